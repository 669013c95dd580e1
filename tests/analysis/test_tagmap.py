"""Tag maps: tags placed by a model's tag vectors, counted, with the tags they come with."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from sitegen.analysis.tagmap import cooccurring, tag_layout, tag_maps, tag_vectors
from sitegen.config import BuildConfig
from sitegen.models import REGISTRY


@pytest.fixture(scope="module")
def fitted(demo_catalogue):
    config = BuildConfig(seed=4)
    return [REGISTRY[n].from_config(config).fit(demo_catalogue) for n in ("lsi", "word2vec", "adjacency_cosine")]


def test_tag_vectors_come_from_lsi_and_word2vec_only(fitted, demo_catalogue):
    lsi, w2v, network = fitted
    n = len(demo_catalogue.tags)
    assert np.allclose(tag_vectors(lsi, n), lsi.components_[:n] * lsi.singular_values_)
    assert np.array_equal(tag_vectors(w2v, n), w2v.tag_vectors_[:n])
    assert tag_vectors(network, n) is None
    assert tag_vectors(lsi, lsi.components_.shape[0] + 1) is None  # fewer rows than tags: not tag vectors


def test_layout_puts_tags_of_one_direction_together_and_is_deterministic():
    vectors = np.array([[1.0, 0, 0], [2.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0], [0, 0, 0]])
    xy = tag_layout(vectors)
    assert xy.shape == (5, 2) and np.abs(xy).max() == 1.0
    assert np.allclose(xy[0], xy[1])  # the same direction, whatever the length
    assert np.linalg.norm(xy[0] - xy[2]) > 0.5 and np.linalg.norm(xy[2] - xy[3]) > 0.5
    assert np.array_equal(xy, tag_layout(vectors))


def test_cooccurring_counts_and_orders_the_companions():
    b = sp.csr_matrix(np.array([[1, 1, 0, 0], [1, 1, 1, 0], [1, 0, 1, 0], [0, 1, 0, 0]]))
    counts, lists = cooccurring(b, top=2)
    assert counts == [3, 3, 2, 0]
    assert lists == [[[1, 2], [2, 2]], [[0, 2], [2, 1]], [[0, 2], [1, 1]], []]


def test_tag_maps_for_the_models_with_tag_vectors(fitted, demo_catalogue):
    out = tag_maps(fitted, demo_catalogue.matrix)
    n = len(demo_catalogue.tags)
    assert [m["model"] for m in out["maps"]] == ["lsi", "word2vec"]
    assert all(len(m["xy"]) == n for m in out["maps"])
    assert len(out["counts"]) == n and sum(out["counts"]) == demo_catalogue.matrix.nnz
