"""The feed page's data: which items, validation, and the fold-in the browser reimplements."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import scipy.sparse as sp

from sitegen.build import feed_data
from sitegen.config import BuildConfig, replace, validate
from sitegen.errors import ConfigError, ModelError
from sitegen.models.lsi import LSI
from sitegen.site.feed import catalogue_feed, personalization_model, snapshot_feed
from sitegen.site.render import json_text
from sitegen.sources.catalogue import UUID_RE
from sitegen.sources.mangadex import feed_path
from sitegen.sources.mangadex.records import parse_time
from sitegen.sources.mangadex.snapshot import write_json
from support.helpers import catalogue_of, manga_object


@pytest.fixture(scope="module")
def lsi(demo_catalogue):
    return LSI(rank=12).fit(demo_catalogue)


# -- the browser's formula, reimplemented on the JSON ------------------------------------------


def browser_fold(model: dict, counts: dict[int, float]) -> np.ndarray:
    """What static/js/feed.js computes: q_k = (counts / sum(counts) * idf) @ projection."""
    q = np.zeros(model["rank"])
    total = sum(counts.values())
    for t, c in counts.items():
        q += c / total * model["idf"][t] * np.asarray(model["projection"][t])
    return q


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_fold_in_from_the_json_agrees_with_lsi_transform(demo_catalogue, lsi):
    model = personalization_model(lsi, len(demo_catalogue.tags))
    n_tags = len(demo_catalogue.tags)
    assert len(model["idf"]) == n_tags and np.shape(model["projection"]) == (n_tags, lsi.components_.shape[1])
    rng = np.random.default_rng(3)
    # Single manga (binary rows) and libraries (tag counts over several manga, as the page builds them).
    rows = [dict.fromkeys(demo_catalogue.tag_lists[i], 1.0) for i in range(0, 600, 37)]
    for _ in range(10):
        counts: dict[int, float] = {}
        for i in rng.choice(len(demo_catalogue), size=int(rng.integers(2, 6)), replace=False):
            for t in demo_catalogue.tag_lists[i]:
                counts[t] = counts.get(t, 0) + 1.0
        rows.append(counts)
    dense = np.zeros((len(rows), n_tags))
    for r, counts in enumerate(rows):
        dense[r, list(counts)] = list(counts.values())
    expected = lsi.transform(sp.csr_matrix(dense)).astype(np.float64)
    got = np.array([browser_fold(model, counts) for counts in rows])
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5 * np.abs(expected).max())
    for library, item in zip(range(-10, 0), range(10)):  # the score the page shows
        assert cosine(got[library], got[item]) == pytest.approx(cosine(expected[library], expected[item]), abs=1e-5)


def test_a_manga_folds_onto_its_own_lsi_row(demo_catalogue, lsi):
    model = personalization_model(lsi, len(demo_catalogue.tags))
    for i in (0, 5, 99):
        got = browser_fold(model, dict.fromkeys(demo_catalogue.tag_lists[i], 1.0))
        np.testing.assert_allclose(got, lsi.embedding_[i], rtol=1e-4, atol=1e-6)


def test_model_from_another_vocabulary_is_refused(demo_catalogue, lsi):
    with pytest.raises(ModelError, match="tag columns"):
        personalization_model(lsi, len(demo_catalogue.tags) + 1)


# -- the demo / catalogue-file source ----------------------------------------------------------


def test_catalogue_feed_is_the_latest_updated_manga_newest_first(demo_catalogue, lsi):
    doc = catalogue_feed(demo_catalogue, lsi, 50)
    items = doc["items"]
    assert len(items) == 50 and doc["source"] == "catalogue" and doc["skipped"] == {}
    newest = sorted(demo_catalogue.manga, key=lambda m: parse_time(m.updated_at), reverse=True)[:50]
    assert [i["id"] for i in items] == [m.id for m in newest]
    assert doc["taken_at"] == items[0]["updatedAt"]  # the data's own time, not the clock
    times = [i["updatedAt"] for i in items]
    assert times == sorted(times, reverse=True)
    for item in items:
        row = demo_catalogue.index[item["id"]]
        assert item["index"] == row and item["tags"] == demo_catalogue.tag_lists[row]
        assert item["title"] == demo_catalogue.manga[row].title
        assert item["contentRating"] == demo_catalogue.manga[row].content_rating


def test_catalogue_feed_ties_and_undated_manga():
    objects = [manga_object(f"Title {n}", ("Romance", "Action", "Drama")[n % 3:], updatedAt="2024-05-01T10:00:00+00:00")
               for n in range(4)]
    objects += [manga_object("Older", updatedAt="2024-05-01T09:00:00+00:00"),
                manga_object("Other zone", updatedAt="2024-05-01T12:30:00+02:00"),  # 10:30 UTC
                manga_object("Undated")]
    catalogue = catalogue_of(objects)
    doc = catalogue_feed(catalogue, LSI(rank=2).fit(catalogue), 200)
    titles = [i["title"] for i in doc["items"]]
    assert titles[0] == "Other zone" and titles[-1] == "Older" and "Undated" not in titles
    tied = [i["id"] for i in doc["items"][1:5]]
    assert tied == sorted(tied)
    assert doc["skipped"] == {"no updatedAt": 1}
    assert doc["taken_at"] == "2024-05-01T10:30:00Z"


# -- the MangaDex feed snapshot ----------------------------------------------------------------


@pytest.fixture
def small():
    known = [manga_object("Known Romance", ("Romance", "Comedy"), updatedAt="2024-01-01T00:00:00+00:00"),
             manga_object("Known Action", ("Action", "Isekai"), updatedAt="2024-01-02T00:00:00+00:00")]
    catalogue = catalogue_of(known)
    return known, catalogue, LSI(rank=2).fit(catalogue)


def test_snapshot_feed_keeps_the_feed_order_and_marks_catalogue_manga(small):
    known, catalogue, lsi = small
    new = manga_object("Brand New", ("Romance", "Horror"), updatedAt="2024-03-01T08:00:00+00:00",
                       contentRating="suggestive")
    feed = {"taken_at": "2024-03-02T00:00:00+00:00", "languages": ["en", "<b>", 7],
            "manga": [known[0], new, known[1]]}
    doc = snapshot_feed(catalogue, lsi, feed, 200)
    assert doc["source"] == "mangadex" and doc["taken_at"] == "2024-03-02T00:00:00Z"
    assert doc["languages"] == ["en"]
    assert [i["title"] for i in doc["items"]] == ["Known Romance", "Brand New", "Known Action"]
    first, second, _ = doc["items"]
    assert first["index"] == catalogue.index[known[0]["id"]] and second["index"] is None
    romance = catalogue.tag_index[known[0]["attributes"]["tags"][0]["id"]]
    assert second["tags"] == [romance]  # Horror is not in the catalogue's vocabulary: dropped
    assert second["contentRating"] == "suggestive" and second["updatedAt"] == "2024-03-01T08:00:00Z"
    assert snapshot_feed(catalogue, lsi, feed, 2)["items"] == doc["items"][:2]


def test_snapshot_feed_skips_and_counts_bad_items(small, caplog):
    known, catalogue, lsi = small
    bad_id = manga_object("Bad id", manga_id="../../etc/passwd", updatedAt="2024-01-01T00:00:00+00:00")
    upper = manga_object("Upper id", manga_id=known[0]["id"].upper(), updatedAt="2024-01-01T00:00:00+00:00")
    no_title = manga_object({"en": "   "}, updatedAt="2024-01-01T00:00:00+00:00")
    undated = manga_object("Undated")
    bad_time = manga_object("Bad time", updatedAt="yesterday")
    bad_rating = manga_object("Bad rating", updatedAt="2024-01-01T00:00:00+00:00", contentRating="<script>")
    hostile = manga_object("<img src=x onerror=alert(1)>", updatedAt="2024-01-01T00:00:00+00:00")
    feed = {"taken_at": "not a time", "languages": "en",
            "manga": [bad_id, upper, no_title, undated, bad_time, bad_rating, "junk", None, known[1], known[1], hostile]}
    with caplog.at_level(logging.WARNING, logger="sitegen.site.feed"):
        doc = snapshot_feed(catalogue, lsi, feed, 200)
    # an unknown rating counts as the strictest, as in the catalogue: kept, and hidden by default
    assert [i["title"] for i in doc["items"]] == ["Bad rating", "Known Action", "<img src=x onerror=alert(1)>"]
    assert doc["items"][0]["contentRating"] == "pornographic"
    assert all(UUID_RE.match(i["id"]) for i in doc["items"])
    assert doc["skipped"] == {"id not a UUID": 2, "no title": 1, "no updatedAt": 2,
                              "not an object": 2, "duplicate id": 1}
    assert doc["taken_at"] == "2024-01-02T00:00:00Z"  # unusable taken_at: the newest item's time
    assert doc["languages"] == []
    assert "skipped 2 item(s): id not a UUID" in caplog.text
    assert snapshot_feed(catalogue, lsi, {"taken_at": 3, "manga": "nope"}, 10)["items"] == []


# -- build integration and determinism ---------------------------------------------------------


def test_same_input_same_bytes(demo_catalogue):
    first = json_text(catalogue_feed(demo_catalogue, LSI(rank=10).fit(demo_catalogue), 100))
    again = json_text(catalogue_feed(demo_catalogue, LSI(rank=10).fit(demo_catalogue), 100))
    assert first == again and "NaN" not in first


def test_build_stage_reads_the_feed_snapshot_for_mangadex(small, tmp_path):
    known, catalogue, _ = small
    config = replace(BuildConfig(), **{"catalogue.source": "mangadex", "fetch.data_dir": tmp_path, "feed.size": 5})
    write_json(feed_path(config.fetch), {"taken_at": "2024-03-02T00:00:00+00:00", "languages": ["en"],
                                         "manga": [known[1]]}, gz=True)
    doc = feed_data(catalogue, [], config)  # no LSI among the fitted models: fits its own
    assert doc["source"] == "mangadex" and [i["id"] for i in doc["items"]] == [known[1]["id"]]
    assert doc["model"]["rank"] == 2


def test_build_stage_falls_back_to_the_catalogue_without_a_feed(small, tmp_path, caplog):
    _, catalogue, lsi = small
    config = replace(BuildConfig(), **{"catalogue.source": "mangadex", "fetch.data_dir": tmp_path})
    with caplog.at_level(logging.WARNING, logger="sitegen.build"):
        doc = feed_data(catalogue, [lsi], config)
    assert doc["source"] == "catalogue" and len(doc["items"]) == 2
    assert "latest updates instead" in caplog.text
    assert doc["model"] == personalization_model(lsi, len(catalogue.tags))  # the fitted LSI is reused


def test_feed_size_is_checked():
    with pytest.raises(ConfigError, match="'feed.size': expected > 0"):
        validate(replace(BuildConfig(), **{"feed.size": 0}))
