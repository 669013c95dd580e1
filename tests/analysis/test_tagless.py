"""Manga without tags: kept, found by their text, never listed by a model that knows only tags."""

from __future__ import annotations

import numpy as np
import pytest

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
def test_a_tag_model_neither_lists_nor_places_manga_without_tags(catalogue, method):
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
