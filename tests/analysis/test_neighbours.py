"""Neighbour search: exact, self-free, deterministic, ties broken by catalogue index."""

from __future__ import annotations

import numpy as np
import pytest

from sitegen.analysis.neighbours import GRID, Neighbours, approximate, exact
from sitegen.analysis.search import search
from support.helpers import Fixed, assert_same_neighbours


def brute_force(vectors, k, metric):
    x = np.asarray(vectors, dtype=np.float64)
    if metric == "cosine":
        u = x / np.linalg.norm(x, axis=1, keepdims=True)
        d = 1 - u @ u.T
    else:
        d = np.linalg.norm(x[:, None, :] - x[None, :, :], axis=2)
    d = np.floor(d * GRID + 0.5)
    np.fill_diagonal(d, np.inf)
    # lexsort: distance first, then index
    order = np.lexsort((np.broadcast_to(np.arange(len(x)), d.shape), d), axis=1)
    return order[:, :k]


@pytest.mark.parametrize("block", [None, 4 * 300 * 7, 4 * 300])  # one block; blocks of 7+ rows; of 1+
@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_exact_matches_brute_force_with_index_tie_break(metric, block):
    rng = np.random.default_rng(0)
    # Few distinct rows, many copies: distances tie everywhere.
    base = rng.normal(size=(12, 5))
    vectors = base[rng.integers(0, 12, size=300)]
    model = Fixed(vectors, metric).fit()
    found = exact(model, 300, 15, progress=False, block_bytes=block)
    assert np.array_equal(found.indices, brute_force(vectors, 15, metric))


class OneWay(Fixed):
    """A distance that is not symmetric: each column's distance is scaled by its own factor."""

    def __init__(self, vectors):
        super().__init__(vectors, "custom")

    def distances(self, rows, cols=None, *, twin_diagonal=False):
        d = Fixed(self.embedding_, "euclidean").fit().distances(rows, cols)
        return d * (1 + np.arange(len(self.embedding_)) if cols is None else 1 + np.asarray(cols))[None, :]


def test_only_a_symmetric_distance_is_searched_by_halves():
    vectors = np.random.default_rng(3).normal(size=(120, 4))
    model = OneWay(vectors).fit()
    assert not model.symmetric and Fixed(vectors).fit().symmetric
    found = exact(model, 120, 8, progress=False, block_bytes=4 * 120 * 5)
    d = model.distances(np.arange(120))
    np.fill_diagonal(d, np.inf)
    assert np.array_equal(found.indices, np.argsort(d, axis=1, kind="stable")[:, :8])


def test_self_never_listed_even_among_identical_rows():
    model = Fixed(np.ones((30, 3))).fit()
    found = exact(model, 30, 5, progress=False)
    assert not (found.indices == np.arange(30)[:, None]).any()
    # all tied at distance zero: the lowest other indices, in order
    assert found.indices[0].tolist() == [1, 2, 3, 4, 5]
    assert found.indices[3].tolist() == [0, 1, 2, 4, 5]
    assert np.all(found.distances == 0)


def test_k_is_capped_by_catalogue_size():
    model = Fixed(np.eye(4) + 0.1).fit()
    assert exact(model, 4, 20, progress=False).indices.shape == (4, 3)


@pytest.mark.slow
def test_nndescent_agrees_with_exact_on_small_data():
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(400, 8))
    model = Fixed(vectors).fit()
    ann = approximate(model, 10, seed=3)
    ref = exact(model, 400, 10, progress=False)
    assert ann.method == "nndescent"
    assert not (ann.indices == np.arange(400)[:, None]).any()
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ann.indices, ref.indices)])
    assert recall > 0.95


def test_search_chooses_exact_below_the_threshold():
    model = Fixed(np.random.default_rng(2).normal(size=(50, 3))).fit()
    assert search(model, 50, 5, method="auto", exact_max=100).method == "exact"
    assert search(model, 50, 5, method="auto", exact_max=10).method == "partitioned"
    assert search(model, 50, 5, method="nndescent").method == "nndescent"


@pytest.mark.parametrize("block", [None, 4 * 200 * 3])
@pytest.mark.parametrize("distinct", [15, 4, 1])  # fewer distinct rows than a list is long, too
def test_shared_rows_give_the_same_lists_as_computing_every_row(distinct, block):
    rng = np.random.default_rng(4)
    base = rng.normal(size=(distinct, 4))
    pick = rng.integers(0, distinct, size=200)
    model = Fixed(base[pick]).fit()
    first = {}
    groups = np.array([first.setdefault(int(p), i) for i, p in enumerate(pick)])
    shared = exact(model, 200, 12, groups=groups, progress=False, block_bytes=block)
    plain = exact(model, 200, 12, progress=False, block_bytes=block)
    assert np.array_equal(shared.indices, plain.indices)
    assert np.array_equal(shared.distances, plain.distances)


def test_twins_that_share_rows_but_not_columns_get_the_lists_of_a_full_scan(demo_catalogue):
    # the popularity blend: a twin's row is its set's, but the listed manga's own popularity counts
    from sitegen.models import REGISTRY

    model = REGISTRY["lsi_popularity"](seed=1, weight=0.2).fit(demo_catalogue)
    assert model.rows_by_tag_set and not model.ties_among_twins
    n = len(demo_catalogue)
    shared = exact(model, n, 15, groups=demo_catalogue.tag_groups, progress=False)
    plain = exact(model, n, 15, progress=False)
    assert_same_neighbours(shared, plain)


class RowByRow:
    """A model searched row by row whatever it says: the scan a search by halves must agree with."""

    def __init__(self, model):
        self._model = model

    symmetric = row_scaled_symmetric = False

    def __getattr__(self, name):
        return getattr(self._model, name)


@pytest.mark.parametrize("block", [None, 4 * 300 * 40])  # one block; many (the rows' share shrinks)
def test_silencing_searched_by_halves_gets_the_lists_of_a_row_scan(demo_catalogue, block):
    # its distance is a symmetric product scaled per row: one product gives both ends
    from sitegen.models import REGISTRY

    model = REGISTRY["silencing"](seed=0).fit(demo_catalogue)
    assert model.row_scaled_symmetric and not model.symmetric
    n, groups = len(demo_catalogue), demo_catalogue.tag_groups
    for g in (None, groups):
        halves = exact(model, n, 15, groups=g, progress=False, block_bytes=block)
        rows = exact(RowByRow(model), n, 15, groups=g, progress=False, block_bytes=block)
        assert_same_neighbours(halves, rows)
    # manga left out (no tags) are neither listed nor given a list, either way
    without = np.arange(0, n, 9)
    halves = search(model, n, 15, method="exact", groups=groups, without=without)
    rows = search(RowByRow(model), n, 15, method="exact", groups=groups, without=without)
    assert (halves.indices[without] == -1).all() and (rows.indices[without] == -1).all()
    kept = np.setdiff1d(np.arange(n), without)
    # lists cut short by the manga left out end in -1 at distance inf: compared as 2, past any distance
    assert_same_neighbours(*(Neighbours(f.model, f.indices[kept], np.where(np.isinf(f.distances), 2, f.distances)[kept],
                                        f.method) for f in (halves, rows)))
    assert not np.isin(halves.indices, without).any()
