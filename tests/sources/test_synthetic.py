"""The synthetic demo catalogue: deterministic, realistic, and in MangaDex's shape."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from scipy.stats import spearmanr

from sitegen.sources import synthetic
from sitegen.sources.catalogue import UUID_RE, build_catalogue, load_catalogue, parse_lines
from sitegen.sources.vocabulary import VOCABULARY


def test_same_seed_same_bytes_other_seed_other_catalogue(tmp_path):
    a = synthetic.write(synthetic.generate(300, seed=3), tmp_path / "a.jsonl.gz")
    b = synthetic.write(synthetic.generate(300, seed=3), tmp_path / "b.jsonl.gz")
    c = synthetic.write(synthetic.generate(300, seed=4), tmp_path / "c.jsonl.gz")
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()


def test_written_file_loads_with_no_skips(tmp_path):
    records = synthetic.generate(200, seed=1)
    assert not any("synthetic" in r for r in records)  # plain MangaDex objects: nothing marks a line
    path = synthetic.write(records, tmp_path / "demo.jsonl")
    catalogue, report = load_catalogue(path)
    assert report.loaded == 200 and report.skipped == {}
    # Synthetic is how a catalogue was made (the demo source says so), never what a file claims.
    assert not catalogue.synthetic


def test_tag_frequencies_follow_the_2022_catalogue(demo_catalogue):
    observed = dict(zip((t.id for t in demo_catalogue.tags), np.asarray(demo_catalogue.matrix.mean(axis=0)).ravel()))
    target = synthetic.target_frequencies()
    pairs = [(target[j], observed.get(t.id, 0.0)) for j, t in enumerate(VOCABULARY)]
    rho = spearmanr(*zip(*pairs)).statistic
    assert rho > 0.9
    by_name = {t.name: observed[t.id] for t in demo_catalogue.tags}
    assert by_name["Romance"] > by_name["Isekai"] > by_name.get("Traditional Games", 0)


def test_tags_per_manga_are_heavy_tailed(demo_catalogue):
    counts = np.asarray(demo_catalogue.matrix.sum(axis=1)).ravel()
    assert 3 <= np.median(counts) <= 5
    assert counts.max() >= 12
    assert (counts == 1).sum() > 0


@pytest.fixture(scope="module")
def catalogue_5k():
    # Co-occurrence of rare tags and exact-set sharing need a few thousand manga to show.
    manga, vocabulary, _ = parse_lines(synthetic.lines(synthetic.generate(5000, seed=5)))
    return build_catalogue(manga, vocabulary)


def test_themes_make_tags_cooccur(catalogue_5k):
    b = catalogue_5k.matrix.toarray().astype(bool)
    col = {t.name: j for j, t in enumerate(catalogue_5k.tags)}

    def lift(x, y):
        both = (b[:, col[x]] & b[:, col[y]]).mean()
        return both / (b[:, col[x]].mean() * b[:, col[y]].mean())

    assert lift("Isekai", "Reincarnation") > 2
    assert lift("Boys' Love", "Romance") > 1.2
    assert lift("Boys' Love", "Action") < 1


def test_many_manga_share_their_exact_tag_set(catalogue_5k):
    # On MangaDex about one manga in three shares its exact tag set with another.
    sets = Counter(m.tag_ids for m in catalogue_5k.manga)
    shared = sum(c for c in sets.values() if c > 1) / len(catalogue_5k)
    assert 0.2 < shared < 0.6


def test_records_look_like_mangadex(demo_records):
    for record in demo_records:
        assert UUID_RE.match(record["id"]) and record["type"] == "manga"
        attrs = record["attributes"]
        assert attrs["contentRating"] in {"safe", "suggestive", "erotica", "pornographic"}
        assert attrs["status"] in {"ongoing", "completed", "hiatus", "cancelled"}
        assert attrs["createdAt"] <= attrs["updatedAt"]
        assert isinstance(record["statistics"]["follows"], int)
    scripts = {lang for r in demo_records for alt in r["attributes"]["altTitles"] for lang in alt}
    assert {"ja", "ko", "zh"} <= scripts


def test_series_are_linked_both_ways(demo_catalogue):
    index = demo_catalogue.index
    reverse = {"sequel": "prequel", "prequel": "sequel", "spin_off": "main_story", "side_story": "main_story"}
    linked = 0
    for m in demo_catalogue.manga:
        for rel in m.relations:
            other = demo_catalogue.manga[index[rel.id]]
            assert any(r.id == m.id for r in other.relations)
            if rel.kind in reverse and rel.kind != "main_story":
                assert any(r.id == m.id and r.kind == reverse[rel.kind] for r in other.relations)
            linked += 1
    assert linked > 0


def test_titles_are_unique_and_include_hostile_ones(demo_catalogue):
    titles = [m.title for m in demo_catalogue.manga]
    assert any("<" in t for t in titles) and any("&" in t for t in titles)
