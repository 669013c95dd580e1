"""Loading catalogue files: typed records, display titles, and every kind of bad line."""

from __future__ import annotations

import gzip
import json
import random
import unicodedata
import uuid

import numpy as np
import pytest

import sitegen.sources.catalogue as catalogue_module
import sitegen.sources.records as records_module
from sitegen.errors import CatalogueError
from sitegen.sources.catalogue import load_catalogue, parse_lines
from support.helpers import SHARED, catalogue_of, manga_object


def write_lines(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_bad_lines_are_skipped_counted_and_reported(tmp_path):
    good = manga_object("Good One", follows=10)
    no_id = manga_object("No Id")
    del no_id["id"]
    bad_id = manga_object("Bad Id", manga_id="../../etc/passwd")
    no_title = manga_object({"en": "", "fr": None})
    bad_tags = manga_object("Bad Tags")
    bad_tags["attributes"]["tags"] = [{"id": "not-a-uuid", "attributes": {"name": {"en": "X"}, "group": "genre"}}]
    tags_not_list = manga_object("Tags Not List")
    tags_not_list["attributes"]["tags"] = "Romance"
    no_tags = manga_object("No Tags", tags=())
    lines = [json.dumps(good), "{not json", json.dumps(no_id), json.dumps(bad_id), json.dumps(no_title),
             json.dumps(bad_tags), json.dumps(tags_not_list), "[1, 2]", json.dumps(no_tags), ""]
    catalogue, report = load_catalogue(write_lines(tmp_path / "c.jsonl", lines))
    assert [m.title for m in catalogue.manga] == ["Good One", "No Tags"]  # a manga without tags is kept
    assert report.loaded == 2 and report.tagless == 1 and catalogue.tagless.tolist() == [1]
    assert report.skipped == {
        "id not a UUID": 1, "malformed tag": 1, "no id": 1, "no title": 1,
        "not JSON": 1, "not an object": 1, "tags not a list": 1,
    }


def test_a_tag_seen_before_is_checked_again_when_it_comes_otherwise(tmp_path):
    # a known tag whose record repeats it exactly is not read twice; any other form is read and judged
    first = manga_object("First")
    tag = first["attributes"]["tags"][0]
    broken = []
    for damage in ({"name": {}}, {"name": "Action"}, {"group": "nonsense"}):
        other = manga_object(f"Damaged {len(broken)}")
        other["attributes"]["tags"] = [{**tag, "attributes": {**tag["attributes"], **damage}}]
        broken.append(json.dumps(other))
    again = manga_object("Again")
    again["attributes"]["tags"] = [json.loads(json.dumps(tag))]
    catalogue, report = load_catalogue(write_lines(tmp_path / "c.jsonl", [json.dumps(first), *broken, json.dumps(again)]))
    assert [m.title for m in catalogue.manga] == ["First", "Again"]
    assert report.skipped == {"malformed tag": 3}
    assert catalogue.manga[1].tag_ids == (tag["id"],)


def test_unknown_fields_are_ignored_and_gzip_is_read(tmp_path):
    obj = manga_object("Extra Fields", follows=3)
    obj["attributes"]["somethingNew"] = {"deep": [1, 2]}
    obj["unknownTopLevel"] = True
    path = tmp_path / "c.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write(json.dumps(obj) + "\n")
    catalogue, report = load_catalogue(path)
    assert catalogue.manga[0].title == "Extra Fields"
    assert catalogue.manga[0].follows == 3
    assert report.skipped == {}


@pytest.mark.parametrize(
    "title, alt, expected",
    [
        ({"ja": "進撃", "ja-ro": "Shingeki", "en": "Attack"}, [], "Attack"),
        ({"ja": "進撃", "ja-ro": "Shingeki"}, [], "Shingeki"),
        ({"ko": "나 혼자"}, [{"en": "Solo"}], "나 혼자"),
        ({}, [{"ja": "日本"}, {"en": "English Alt"}], "English Alt"),
        ({}, [{"ja": "日本"}], "日本"),
    ],
)
def test_display_title_preference(title, alt, expected):
    obj = manga_object(title)
    obj["attributes"]["altTitles"] = alt
    catalogue = catalogue_of([obj])
    assert catalogue.manga[0].title == expected
    assert expected not in catalogue.manga[0].alt_titles


def test_matrix_and_ordering_follow_records():
    a = manga_object("Less Followed", ("Romance", "Drama"), follows=5)
    b = manga_object("More Followed", ("Action",), follows=50)
    catalogue = catalogue_of([a, b])
    assert [m.title for m in catalogue.manga] == ["More Followed", "Less Followed"]
    assert catalogue.matrix.shape == (2, 3)
    assert np.array_equal(np.asarray(catalogue.matrix.sum(axis=1)).ravel(), [1, 2])
    names = [t.name for t in catalogue.tags]
    assert names == ["Action", "Drama", "Romance"]  # one group: by name


def test_duplicate_ids_keep_the_last_copy():
    first = manga_object("Same", follows=1, manga_id="0b5bd8d1-7d5e-4b34-8a6a-7a5a3f0e1c11")
    second = manga_object("Same Updated", follows=2, manga_id="0b5bd8d1-7d5e-4b34-8a6a-7a5a3f0e1c11")
    manga, _, report = parse_lines([json.dumps(first), json.dumps(second)])
    assert [m.title for m in manga] == ["Same Updated"]
    assert report.skipped == {"duplicate id": 1}


def test_relations_statistics_and_junk_values():
    obj = manga_object("Related", follows=7, year="1999", contentRating="suggestive")
    obj["relationships"] = [
        {"id": "0b5bd8d1-7d5e-4b34-8a6a-7a5a3f0e1c11", "type": "manga", "related": "sequel"},
        {"id": "not-uuid", "type": "manga", "related": "sequel"},
        {"id": "0b5bd8d1-7d5e-4b34-8a6a-7a5a3f0e1c12", "type": "author"},
    ]
    obj["statistics"]["rating"] = {"average": float("nan"), "bayesian": 8.25}
    m = catalogue_of([obj]).manga[0]
    assert [(r.id[-2:], r.kind) for r in m.relations] == [("11", "sequel")]
    assert m.year is None and m.rating is None and m.bayesian == 8.25
    assert m.content_rating == "suggestive"
    assert m.people == ()  # an author without the includes has no name: nobody to show


def test_authors_and_artists_come_with_the_includes():
    obj = manga_object("Drawn")
    person = "0b5bd8d1-7d5e-4b34-8a6a-7a5a3f0e1c21"
    obj["relationships"] = [
        {"id": person, "type": "author", "attributes": {"name": "Asano Inio"}},
        {"id": person, "type": "artist", "attributes": {"name": "Asano Inio"}},
        {"id": "0b5bd8d1-7d5e-4b34-8a6a-7a5a3f0e1c22", "type": "artist", "attributes": {"name": "\u202eEvil\u0000"}},
        {"id": "../etc", "type": "author", "attributes": {"name": "Bad id"}},
        {"id": "0b5bd8d1-7d5e-4b34-8a6a-7a5a3f0e1c23", "type": "author", "attributes": {"name": 5}},
        {"id": "0b5bd8d1-7d5e-4b34-8a6a-7a5a3f0e1c24", "type": "cover_art", "attributes": {"fileName": "x.jpg"}},
    ]
    m = catalogue_of([obj]).manga[0]
    assert [(p.id[-2:], p.name, p.role) for p in m.people] == [("21", "Asano Inio", "artist, author"),
                                                                 ("22", "Evil", "artist")]


@pytest.mark.parametrize("raw, expected", [
    ("Charlotte&rsquo;s Letter", "Charlotte\u2019s Letter"),
    ("Tom &amp;amp; Jerry", "Tom &amp; Jerry"),  # decoded once
    ("&#x202e;Evil&#x200b;", "Evil"),  # an entity cannot bring back what the cleaning drops
    ("A & B", "A & B"),
])
def test_title_entities_are_decoded_once(raw, expected):
    obj = manga_object(raw)
    obj["attributes"]["altTitles"] = [{"en": raw + " 2"}]
    m = catalogue_of([obj]).manga[0]
    assert m.title == expected and m.alt_titles == (expected + " 2",)


def test_missing_and_empty_files_are_clear_errors(tmp_path):
    with pytest.raises(CatalogueError, match="does not exist.*--demo"):
        load_catalogue(tmp_path / "nope.jsonl")
    with pytest.raises(CatalogueError, match="no usable manga"):
        load_catalogue(write_lines(tmp_path / "junk.jsonl", ["{}", "nope"]))


@pytest.mark.skipif(not (SHARED / "mangadex" / "responses").exists(), reason="../shared not present")
def test_real_mangadex_responses_parse():
    path = SHARED / "mangadex" / "responses" / "manga_list_hondana_2025-06-15.json"
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    manga, vocabulary, report = parse_lines(json.dumps(m) for m in data)
    assert report.skipped == {} and len(manga) == len(data)
    assert all(m.title for m in manga)
    assert {t.group for t in vocabulary.values()} <= {"genre", "theme", "format", "content"}
    assert sum(bool(m.people) for m in manga) > 0.9 * len(manga)  # fetched with includes[]=author, artist


# -- hostile lines ---------------------------------------------------------------------------------

RELATED_ID = "0b5bd8d1-7d5e-4b34-8a6a-7a5a3f0e1c11"
#: Every reason a line may be skipped for; "unreadable record" (the loader's last resort) is not
#: one a test should ever reach.
REASONS = {"not JSON", "nested too deep", "number too long", "not an object", "no id", "id not a UUID",
           "no attributes", "no title", "tags not a list", "malformed tag", "duplicate id"}


def full_object(title="Base", manga_id=None):
    """A manga object with every field the loader reads filled in, each list with one entry."""
    obj = manga_object(title, manga_id=manga_id, follows=5, year=2001, status="ongoing", originalLanguage="ja",
                       publicationDemographic="seinen", availableTranslatedLanguages=["en", "fr"],
                       createdAt="2020-01-01T00:00:00+00:00", updatedAt="2021-01-01T00:00:00+00:00")
    obj["attributes"]["altTitles"] = [{"ja": "ベース"}]
    obj["relationships"] = [{"id": RELATED_ID, "type": "manga", "related": "sequel"}]
    return obj


def test_one_line_of_any_shape_is_skipped_and_counted(tmp_path):
    good = json.dumps(full_object("Good"))
    lines = [
        "[" * 200_000 + "]" * 200_000,
        '{"attributes": ' * 100_000 + "{}" + "}" * 100_000,
        '{"id": ' + "1" * 5001 + "}",
        json.dumps(full_object("Huge")).replace('"follows": 5', '"follows": ' + "9" * 5001),
        "\ufeff" + json.dumps(full_object("Second BOM")),
        json.dumps(full_object("Newline Id", manga_id=RELATED_ID + "\n")),
        "NaN", "1e999", '"text"', "null",
    ]
    path = tmp_path / "c.jsonl"
    path.write_text("\ufeff" + "\n".join([good, *lines]) + "\n", encoding="utf-8")
    catalogue, report = load_catalogue(path)
    assert sorted(m.title for m in catalogue.manga) == ["Good", "Second BOM"]
    assert report.skipped == {"nested too deep": 2, "number too long": 2, "id not a UUID": 1, "not an object": 4}
    assert report.loaded + report.skipped_total == 1 + len(lines)


def test_a_gzipped_file_with_a_byte_order_mark_loads(tmp_path):
    path = tmp_path / "c.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8-sig") as fh:
        fh.write(json.dumps(manga_object("First Line")) + "\n")
    catalogue, report = load_catalogue(path)
    assert [m.title for m in catalogue.manga] == ["First Line"] and report.skipped == {}


def test_an_unforeseen_failure_in_a_record_is_counted_not_raised(monkeypatch):
    def broken_cleaner(value):
        raise TypeError("a case the loader did not foresee")

    monkeypatch.setattr(records_module, "localized_paragraphs", broken_cleaner)
    manga, _, report = parse_lines([json.dumps(manga_object("Fine")), "{}"])
    assert manga == [] and report.skipped == {"unreadable record": 1, "no id": 1}


def test_synthetic_is_never_read_from_a_line():
    obj = manga_object("Claims To Be Synthetic")
    obj["synthetic"] = True
    manga, _, report = parse_lines([json.dumps(obj)])
    assert len(manga) == 1 and report.skipped == {}
    assert catalogue_of([obj]).synthetic is False


@pytest.mark.parametrize("raw, expected", [
    ("Zero\u200bWidth\u200c\u200dJoin\u2060\ufeff", "ZeroWidthJoin"),
    ("\u202eevil\u202c \u2066isolate\u2069 \u202a\u202b\u202d", "evil isolate"),
    ("Bell\x07 and\x00 null\x7f\x9b", "Bell and null"),
    ("Tab\there\nnew line\r\u00a0no-break\u2028sep\x85end", "Tab here new line no-break sep end"),
    ("Lone \ud800surrogate\udfff", "Lone surrogate"),
    ("Soft\u00adhyphen \U0001f600 ok", "Softhyphen \U0001f600 ok"),
])
def test_titles_drop_invisible_and_control_characters(raw, expected):
    obj = manga_object({"en": raw, "ja": raw + "\u200b 日本"})
    obj["attributes"]["altTitles"] = [{"ko": "\u202e한국\u200b"}, {"fr": "\u200b"}]
    m = catalogue_of([obj]).manga[0]
    assert m.title == expected
    assert m.alt_titles == (expected + " 日本", "한국")


def test_a_title_with_nothing_visible_is_no_title():
    invisible = manga_object({"en": "\u200b\u200d\ufeff", "ja-ro": " \x00\u202e "}, manga_id=RELATED_ID)
    falls_back = manga_object({"en": "\u2060"}, follows=1)
    falls_back["attributes"]["altTitles"] = [{"en": "\u200b"}, {"ja": "\u200b代わり"}]
    manga, _, report = parse_lines([json.dumps(invisible), json.dumps(falls_back)])
    assert report.skipped == {"no title": 1}
    assert [(m.title, m.alt_titles) for m in manga] == [("代わり", ())]


def test_other_text_fields_are_cleaned_too():
    obj = full_object("Text")
    obj["attributes"]["tags"][0]["attributes"]["name"] = {"en": "Rom\u200bance\ud800"}
    obj["attributes"]["description"] = {"en": "Line\u202e one\r\nline\x00 two\ud800\tend\u200d\U0001f469"}
    obj["attributes"]["status"] = "on\x00going"
    obj["relationships"][0]["related"] = "\u200b"
    (m,), tags, _ = parse_lines([json.dumps(obj)])
    assert m.description == "Line one\nline two end\u200d\U0001f469"
    assert m.status == "ongoing" and m.relations == ()
    assert "Romance" in {t.name for t in tags.values()}


@pytest.mark.parametrize("stats, follows, rating, bayesian", [
    ({"follows": 10**400, "rating": {"average": 10**400, "bayesian": -(10**400)}}, 0, None, None),
    ({"follows": -3, "rating": {"average": 11, "bayesian": 1e999}}, 0, None, None),
    ({"follows": "12", "rating": {"average": "8", "bayesian": True}}, 0, None, None),
    ({"follows": 12.7, "rating": [8, 9]}, 12, None, None),
    ([1, 2], 0, None, None),
    ({"follows": 3, "rating": {"average": 0, "bayesian": 10}}, 3, 0.0, 10.0),
])
def test_statistics_of_any_shape_load_as_unknown(stats, follows, rating, bayesian):
    obj = manga_object("Stats")
    obj["statistics"] = stats
    m = catalogue_of([obj]).manga[0]
    assert (m.follows, m.rating, m.bayesian) == (follows, rating, bayesian)


#: Stand-ins for what ``json.dumps`` cannot write, put into the text by :func:`dumps`.
HUGE, DEEP = "<an integer of 5,001 digits>", "<nested 5,000 deep>"


def dumps(obj, rng: random.Random) -> str:
    text = json.dumps(obj, ensure_ascii=rng.random() < 0.5)
    return text.replace(json.dumps(HUGE), "9" * 5001).replace(json.dumps(DEEP), "[" * 5000 + "]" * 5000)


def hostile_value(rng: random.Random, depth: int = 0):
    """A random JSON value meant to break a loader: wrong types, huge or non-finite numbers,
    invisible or unencodable text, nesting."""
    scalars = [None, True, False, 0, -1, 2**63, 10**400, -(10**4000), 1e308, -1e-320, float("inf"),
               float("-inf"), float("nan"), -0.0, 1999, "1999", "", " ", "\u200b", "\ud800", "\x00\x1f",
               "\u202e", "a" * 10_000, "<script>", "en", "genre", "manga", RELATED_ID, RELATED_ID.upper(),
               HUGE, DEEP]
    roll = rng.random()
    if depth > 3 or roll < 0.6:
        return rng.choice(scalars)
    if roll < 0.8:
        return [hostile_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    keys = ["en", "ja-ro", "", "id", "attributes", "name", "group", "rating", "follows", "\ud800"]
    return {rng.choice(keys): hostile_value(rng, depth + 1) for _ in range(rng.randint(0, 3))}


#: Where a field may be broken without losing the manga: the field is dropped, not the line.
OPTIONAL = [("attributes", k) for k in ("description", "contentRating", "status", "year", "originalLanguage",
                                        "publicationDemographic", "availableTranslatedLanguages", "createdAt",
                                        "updatedAt", "altTitles")] + [
    ("attributes", "description", "en"), ("attributes", "altTitles", 0), ("attributes", "altTitles", 0, "ja"),
    ("relationships",), ("relationships", 0), ("relationships", 0, "id"), ("relationships", 0, "type"),
    ("relationships", 0, "related"), ("statistics",), ("statistics", "follows"), ("statistics", "rating"),
    ("statistics", "rating", "average"), ("statistics", "rating", "bayesian"), ("type",)]
#: Fields a manga cannot do without: broken, the line may be skipped (and counted).
REQUIRED = [("id",), ("attributes",), ("attributes", "title"), ("attributes", "title", "en"), ("attributes", "tags"),
            ("attributes", "tags", 0), ("attributes", "tags", 0, "id"), ("attributes", "tags", 0, "attributes"),
            ("attributes", "tags", 0, "attributes", "name"), ("attributes", "tags", 0, "attributes", "name", "en"),
            ("attributes", "tags", 0, "attributes", "group")]


def broken(rng: random.Random, path: tuple) -> dict:
    """A full manga object with the field at ``path`` replaced by a hostile value or deleted."""
    obj = full_object(f"Broken {rng.random()}", manga_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)))
    parent = obj
    for key in path[:-1]:
        parent = parent[key]
    if rng.random() < 0.1 and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = hostile_value(rng)
    return obj


def mangled(rng: random.Random, line: str) -> str:
    """A line cut short, spliced or sprinkled with junk characters."""
    cut = rng.randrange(len(line))
    junk = "".join(rng.choice('{}[]",:\\\x00\ufeff\ud800 0e9') for _ in range(rng.randint(1, 5)))
    return rng.choice([line[:cut], line[:cut] + junk + line[cut:], junk + line, line[cut:]])


def assert_clean(m) -> None:
    assert m.title and all(m.alt_titles) and all(m.languages)
    for text in (m.title, *m.alt_titles, m.status, m.demographic, m.created_at, *m.languages):
        assert text == text.strip()
        assert not any(unicodedata.category(ch) in ("Cc", "Cf", "Cs") for ch in text), repr(text)
    json.dumps([m.title, m.alt_titles, m.description], ensure_ascii=False).encode("utf-8")  # writable
    assert isinstance(m.follows, int) and 0 <= m.follows <= 10**9
    assert m.year is None or 1900 <= m.year <= 2200
    assert all(r is None or 0 <= r <= 10 for r in (m.rating, m.bayesian))


def test_fuzzed_lines_are_loaded_or_counted_never_raised():
    rng = random.Random(20240611)
    lines, optional = [], []
    for _ in range(40):
        for path in OPTIONAL + REQUIRED:
            obj = broken(rng, path)
            lines.append(dumps(obj, rng))
            if path in OPTIONAL and not {HUGE, DEEP} & set(json.dumps(obj).split('"')):  # JSON can't read those
                optional.append(lines[-1])
    lines += [mangled(rng, rng.choice(lines)) for _ in range(1500)]
    lines += [dumps(hostile_value(rng), rng) for _ in range(500)]
    rng.shuffle(lines)

    manga, vocabulary, report = parse_lines(lines)
    nonblank = sum(1 for line in lines if line.strip())
    assert report.loaded == len(manga) and report.loaded + report.skipped_total == nonblank
    assert set(report.skipped) <= REASONS, report.skipped
    assert report.loaded > len(optional) // 2  # the check is not vacuous: most lines still load
    for m in manga:
        assert_clean(m)
        assert set(m.tag_ids) <= set(vocabulary)
    for line in optional:  # a broken optional field drops the field, never the manga
        assert parse_lines([line])[2].loaded == 1, line[:300]


def parallel_case():
    """Lines whose meaning depends on their order: copies of an id (the last wins), a tag named two
    ways (the first accepted name wins, even from a record skipped for another reason), bad lines."""
    lines = []
    for i in range(12):
        obj = manga_object(f"Title {i % 5}", follows=i, manga_id=str(uuid.UUID(int=i % 5 + 1)))
        obj["relationships"] = [{"id": str(uuid.UUID(int=99)), "type": "manga", "related": "sequel"},
                                {"id": str(uuid.UUID(int=50 + i)), "type": "author", "attributes": {"name": f"P{i}"}}]
        lines.append(json.dumps(obj))
    renamed = manga_object("Renamed", tags=("Comedy",))
    renamed["attributes"]["tags"][0]["attributes"]["name"] = {"en": "Funny"}
    broken = manga_object("Broken", tags=("Action", "Drama"))  # its first tag is read, then its second fails
    broken["attributes"]["tags"][0]["attributes"]["name"] = {"en": "First Action"}
    broken["attributes"]["tags"][1]["id"] = "not-a-uuid"
    pair = json.dumps(manga_object("Two New Tags", tags=("Horror", "Mystery")))  # one line, two new tags
    reversed_pair = json.dumps(manga_object("Two Tags Again", tags=("Mystery", "Horror")))  # the next part's batch
    return [lines[0], "", "{oops", pair, reversed_pair, json.dumps(broken), *lines[1:6], json.dumps(renamed), "[]",
            *lines[6:], json.dumps(manga_object("Late", tags=("Action", "Comedy")))]


@pytest.mark.parametrize("workers", [2, 3])
def test_a_file_parsed_by_several_processes_is_the_file_parsed_once(tmp_path, workers):
    path = write_lines(tmp_path / "c.jsonl", parallel_case())
    manga, vocabulary, report = catalogue_module.parse_file(path, workers, batch=2, min_bytes=0)
    once = parse_lines(parallel_case())
    assert manga == once[0] and report == once[2]
    assert list(vocabulary.items()) == list(once[1].items())  # the same names, in the same order
    assert report.skipped == {"duplicate id": 7, "malformed tag": 1, "not JSON": 1, "not an object": 1}
    names = {t.name for t in vocabulary.values()}
    assert {"First Action", "Comedy"} <= names and "Funny" not in names
    assert [m.follows for m in manga[:7] if m.follows] == [10, 11, 7, 8, 9] and manga[0].people[0].name == "P10"


def test_a_parsing_process_that_dies_leaves_its_part_to_the_build(tmp_path, monkeypatch, caplog):
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    class DeadPool:
        def __init__(self, *args, **kwargs):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def submit(self, *args):
            future = Future()
            future.set_exception(BrokenProcessPool("killed"))
            return future

    monkeypatch.setattr(catalogue_module, "ProcessPoolExecutor", DeadPool)
    path = write_lines(tmp_path / "c.jsonl", parallel_case())
    assert catalogue_module.parse_file(path, 2, batch=2, min_bytes=0) == parse_lines(parallel_case())
    assert "its part is parsed here instead" in caplog.text


def test_where_no_process_can_start_the_file_is_parsed_here(tmp_path, monkeypatch, caplog):
    def no_processes(*args, **kwargs):
        raise OSError("no /dev/shm")

    monkeypatch.setattr(catalogue_module, "ProcessPoolExecutor", no_processes)
    path = write_lines(tmp_path / "c.jsonl", parallel_case())
    assert catalogue_module.parse_file(path, 2, batch=2, min_bytes=0) == parse_lines(parallel_case())
    assert "parsed in the build process alone" in caplog.text
