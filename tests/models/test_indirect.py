"""Deconvolution and silencing: the write-up's toy networks, and exactness of the scalable forms."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from sitegen.analysis.neighbours import exact
from sitegen.models.indirect import (
    Deconvolution,
    Silencing,
    deconvolution_factors,
    max_offdiagonal,
    silencing_factors,
)
from sitegen.sources.catalogue import Catalogue
from support import dense
from support.helpers import awkward_catalogue
from support.toys import BETA, toy_networks

K = 20
RECALL = 0.99




def finished(queries: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """The dense network the factors stand for, finished like the write-up's (small n only)."""
    return dense._finish(queries @ keys.T)


@pytest.fixture(scope="module")
def toys():
    return toy_networks()


@pytest.fixture(scope="module")
def small() -> Catalogue:
    return awkward_catalogue(600, seed=3)


def off_diagonal(x: np.ndarray) -> np.ndarray:
    return x[~np.eye(len(x), dtype=bool)]


# --- the write-up's toys -------------------------------------------------------------------


def test_clique_deconvolution_removes_every_edge_silencing_keeps_them(toys):
    clique = toys["clique"]
    assert np.isclose(clique.eigenvalues[0], -1.0)  # I + G is singular: the pole
    assert not clique.deconvolved.any()
    np.testing.assert_allclose(off_diagonal(clique.silenced), 1.0)


def test_clique_deconvolution_depends_on_which_side_of_the_pole(toys):
    assert not toys["clique_heavy"].deconvolved.any()
    np.testing.assert_allclose(off_diagonal(toys["clique_light"].deconvolved), 1.0)
    for name in ("clique", "clique_heavy", "clique_light"):
        # scaled into the convergent range, a uniform clique is its own direct network
        np.testing.assert_allclose(off_diagonal(toys[name].deconvolved_scaled), 1.0)
        np.testing.assert_allclose(off_diagonal(toys[name].silenced), 1.0)


def ring_steps(n: int) -> np.ndarray:
    i = np.arange(n)
    steps = np.abs(i[:, None] - i[None, :])
    return np.minimum(steps, n - steps)


def test_ring_silencing_removes_the_weak_long_links(toys):
    ring = toys["ring"]
    steps = ring_steps(len(ring.network))
    assert (ring.silenced[steps >= 4] == 0).all()
    assert (ring.silenced[steps == 1] > 0).all()


def test_ring_deconvolution_keeps_the_ring(toys):
    ring = toys["ring"]
    assert ring.eigenvalues[0] < -1  # as given the series cannot converge: scaling is needed
    steps = ring_steps(len(ring.network))
    direct = ring.deconvolved_scaled
    strongest = np.argsort(-direct, axis=1)[:, :2]
    assert (np.take_along_axis(steps, strongest, axis=1) == 1).all()
    assert direct[steps >= 2].max() < 0.15 < direct[steps == 1].min()


def test_bipartite_silencing_keeps_the_projection(toys):
    bipartite = toys["bipartite"]
    assert ((bipartite.silenced > 0) == (bipartite.network > 0)).all()
    assert not bipartite.network[0].any()  # manga 0's links weigh 0: isolated, G singular


def test_bipartite_deconvolution_explains_links_through_the_common_tag_away(toys):
    bipartite = toys["bipartite"]
    direct, projected = bipartite.deconvolved_scaled, bipartite.network
    upper = np.triu_indices(5, 1)
    linked = projected[upper] > 0
    # the order of link strengths is kept ...
    assert (np.argsort(direct[upper][linked]) == np.argsort(projected[upper][linked])).all()
    # ... but links among manga 1-3, all running through tag 0 that manga 4 also has, shrink most
    among = direct[np.ix_([1, 2, 3], [1, 2, 3])]
    assert off_diagonal(among).max() < 0.1 < 0.4 < direct[4, 1:4].min()
    assert not bipartite.deconvolved.any()  # as given: eigenvalues far below -1


def test_toy_matrices_are_ready_for_figures(toys):
    for toy in toys.values():
        for name, matrix in toy.matrices().items():
            assert matrix.shape == toy.network.shape and np.isfinite(matrix).all(), (toy.name, name)
            if name != "network":
                assert matrix.min() >= 0 and matrix.max() <= 1 and not np.diag(matrix).any()


# --- scalable forms against dense definitions on small graphs ------------------------------


@pytest.mark.parametrize(
    "factor",
    [np.ones((6, 1)), np.sqrt(2) * np.ones((6, 1)), toy_networks()["bipartite"].factor],
    ids=["clique", "clique_heavy", "bipartite"],
)
def test_scalable_forms_match_dense_on_toys(factor):
    b = sp.csr_matrix(factor)
    a = dense.adjacency(factor)
    q, alpha, _ = deconvolution_factors(b, BETA)
    np.testing.assert_allclose(finished(q, q), dense.deconvolve(a, scale=alpha), atol=1e-10)
    queries, keys, *_ = silencing_factors(b)
    np.testing.assert_allclose(finished(queries, keys), dense.silence(a), atol=1e-10)


def test_silencing_pseudo_inverse_without_an_isolated_manga():
    # a path a - b - c: adjacency eigenvalues -sqrt(2), 0, sqrt(2), so G is singular
    b = sp.csr_matrix(np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]))
    queries, keys, null, *_ = silencing_factors(b)
    assert null == 1
    np.testing.assert_allclose(finished(queries, keys), dense.silence(dense.adjacency(b)), atol=1e-12)


def test_deconvolution_scale_keeps_every_eigenvalue_in_the_convergent_range(small):
    b = sp.csr_matrix(small.matrix)
    a = dense.adjacency(b)
    _, alpha, lam_max = deconvolution_factors(b, BETA)
    values = np.linalg.eigvalsh(alpha * a)
    assert np.isclose(lam_max, np.linalg.eigvalsh(a)[-1], rtol=1e-12)
    assert np.isclose(values[-1] / (1 + values[-1]), BETA)
    assert values[0] >= -BETA / (1 + BETA) > -0.5


def test_max_offdiagonal_matches_brute_force():
    rng = np.random.default_rng(4)
    for n, p in ((1, 3), (2, 3), (700, 5), (3000, 4)):
        queries, keys = rng.standard_normal((n, p)), rng.standard_normal((n, p))
        keys[n // 2] = queries[n // 2]
        brute = queries @ keys.T
        np.fill_diagonal(brute, -np.inf)
        assert max_offdiagonal(queries, keys) == pytest.approx(brute.max(), rel=1e-12)
        sym = queries @ queries.T
        np.fill_diagonal(sym, -np.inf)
        assert max_offdiagonal(queries, queries) == pytest.approx(sym.max(), rel=1e-12)
    # out of budget before the bound proves the best: an upper bound, never below the maximum
    assert max_offdiagonal(queries, keys, first=2, budget=2) >= brute.max()


# --- scalable models against dense models on catalogues ------------------------------------


def check_exact(model, reference, catalogue: Catalogue) -> None:
    n = len(catalogue)
    truth = 1.0 - reference.fit(catalogue).network_
    found = exact(model.fit(catalogue), n, K, progress=False)
    assert dense.tie_aware_recall(found.indices, truth, K) >= RECALL
    rows = np.array([0, 1, n // 2, n - 3, n - 2, n - 1])
    want = truth[rows]
    want[np.arange(len(rows)), rows] = 0
    np.testing.assert_allclose(model.distances(rows), want, atol=2e-5)


@pytest.fixture(scope="module")
def big() -> Catalogue:
    # no isolated manga: G is invertible, so the dense reference needs no n^3 eigen-decomposition
    return awkward_catalogue(4000, seed=5, isolated=False)


@pytest.mark.slow
def test_deconvolution_is_exact(big):
    check_exact(Deconvolution(beta=BETA), dense.DenseIndirect("deconvolution", beta=BETA), big)


@pytest.mark.slow
def test_silencing_is_exact(big):
    model = Silencing()
    check_exact(model, dense.DenseIndirect("silencing"), big)
    assert model.null_dims_ == 0


def test_models_are_exact_with_an_isolated_manga(small):
    silencing = Silencing()
    check_exact(silencing, dense.DenseIndirect("silencing"), small)
    assert silencing.null_dims_ == 1  # the isolated manga: G is singular
    check_exact(Deconvolution(), dense.DenseIndirect("deconvolution"), small)


def test_models_agree_with_dense_on_a_genre_subset(small):
    subset = dense.genre_subset(small, "Romance")
    assert 0 < len(subset) < len(small) and all(subset.tag_index[t.id] >= 0 for t in subset.tags)
    check_exact(Deconvolution(), dense.DenseIndirect("deconvolution"), subset)
    check_exact(Silencing(), dense.DenseIndirect("silencing"), subset)


def test_clipped_scores_tie_at_distance_one_listed_by_catalogue_order(small):
    model = Silencing().fit(small)
    n = len(small)
    network = dense.DenseIndirect("silencing").fit(small).network_
    d = model.distances(np.arange(n))
    off = ~np.eye(n, dtype=bool)
    linked = network > 1e-6  # below that, rounding noise of exact zeros, and 1 - s is 1 in float32
    assert (d[off & (network <= 0)] == 1).all() and (d[off & linked] < 1).all()
    found = exact(model, n, K, progress=False)
    short = np.flatnonzero(linked.sum(axis=1) < K)
    assert len(short)
    for i in short:
        tail = found.indices[i][found.distances[i] == 1]
        assert len(tail) and (np.diff(tail) > 0).all() and not linked[i, tail].any()


def test_word2vec_trains_on_a_sample_past_its_cap_and_keeps_rare_words():
    from sitegen.models.word2vec import RARE_KEEP, training_rows

    rng = np.random.default_rng(0)
    words = (rng.random((5000, 12)) < 0.3).astype(float)
    words[:, 11] = 0
    words[[17, 4000, 4999], 11] = 1  # a rare word: its three manga are kept whatever the sample
    terms = sp.csr_matrix(words)
    assert np.array_equal(training_rows(terms, 5000, seed=1), np.arange(5000))
    rows = training_rows(terms, 300, seed=1)
    assert 300 <= len(rows) <= 300 + 12 * RARE_KEEP
    assert np.all(np.diff(rows) > 0)
    assert {17, 4000, 4999} <= set(rows.tolist())
    assert np.array_equal(rows, training_rows(terms, 300, seed=1))
    assert not np.array_equal(rows, training_rows(terms, 300, seed=2))
