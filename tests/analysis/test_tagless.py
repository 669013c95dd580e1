"""Manga without tags: kept, found by their text, never listed by a model that knows only tags."""

from __future__ import annotations

import numpy as np
import pytest

from sitegen.analysis import neighbours
from sitegen.analysis.search import search
from sitegen.models.lsi import LSI
from sitegen.models.text import TagsText
from sitegen.sources import synthetic
from sitegen.sources.catalogue import build_catalogue, parse_lines


@pytest.fixture(scope="module")
def catalogue():
    records = synthetic.generate(300, 5)
    for record in records[::20]:
        record["attributes"]["tags"] = []
    manga, vocabulary, _ = parse_lines(synthetic.lines(records))
    return build_catalogue(manga, vocabulary, synthetic=True)


@pytest.mark.parametrize("method", ["exact", "partitioned", "nndescent"])
def test_a_tag_model_neither_lists_nor_places_manga_without_tags(catalogue, method, monkeypatch):
    monkeypatch.setattr(neighbours, "BLOCK_BYTES", 4 * 300 * 9)  # several blocks: the halves' search read rows as columns
    tagless = catalogue.tagless
    assert tagless.size >= 10
    found = search(LSI(seed=1).fit(catalogue), len(catalogue), 10, method=method, without=tagless, sample=50,
                   min_recall=0.0)
    assert (found.indices[tagless] == -1).all() and np.isinf(found.distances[tagless]).all()
    assert not np.isin(found.indices, tagless).any()
    tagged = np.setdiff1d(np.arange(len(catalogue)), tagless)
    assert (found.indices[tagged] >= 0).all()  # the others' lists stay full


def test_the_description_model_places_them(catalogue):
    model = TagsText(seed=1, k=10, sample=200).fit(catalogue)
    assert not model.needs_tags and LSI.needs_tags
    found = search(model, len(catalogue), 10, method="exact")
    assert (found.indices[catalogue.tagless] >= 0).all()
    assert np.isin(found.indices, catalogue.tagless).any()


def test_manga_left_out_stay_out_of_a_search_by_halves(monkeypatch):
    from support.helpers import Fixed

    monkeypatch.setattr(neighbours, "BLOCK_BYTES", 4 * 60 * 4)
    vectors = np.random.default_rng(2).normal(size=(60, 3))
    vectors[:20] = vectors[40:]  # the left-out manga, first, are copies of the last 20: their closest
    found = search(Fixed(vectors).fit(), 60, 5, method="exact", without=np.arange(20))
    assert not np.isin(found.indices, np.arange(20)).any()
    assert (found.indices[20:] >= 0).all() and (found.indices[:20] == -1).all()
