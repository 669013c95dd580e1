"""Loading catalogue files: typed records, display titles, and every kind of bad line."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest

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
    assert [m.title for m in catalogue.manga] == ["Good One"]
    assert report.loaded == 1
    assert report.skipped == {
        "id not a UUID": 1, "malformed tag": 1, "no id": 1, "no tags": 1, "no title": 1,
        "not JSON": 1, "not an object": 1, "tags not a list": 1,
    }


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
    manga, _, _, report = parse_lines([json.dumps(first), json.dumps(second)])
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


def test_missing_and_empty_files_are_clear_errors(tmp_path):
    with pytest.raises(CatalogueError, match="does not exist.*--demo"):
        load_catalogue(tmp_path / "nope.jsonl")
    with pytest.raises(CatalogueError, match="no usable manga"):
        load_catalogue(write_lines(tmp_path / "junk.jsonl", ["{}", "nope"]))


@pytest.mark.skipif(not (SHARED / "mangadex" / "responses").exists(), reason="../shared not present")
def test_real_mangadex_responses_parse():
    path = SHARED / "mangadex" / "responses" / "manga_list_hondana_2025-06-15.json"
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    manga, vocabulary, _, report = parse_lines(json.dumps(m) for m in data)
    assert report.skipped == {} and len(manga) == len(data)
    assert all(m.title for m in manga)
    assert {t.group for t in vocabulary.values()} <= {"genre", "theme", "format", "content"}
