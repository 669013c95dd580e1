"""The probed (inverted-file) search: lists merged block by block, exact ranking among the probed
clusters, recall measured against the exact search, exact when no step serves."""

from __future__ import annotations

import numpy as np
import pytest

from sitegen.analysis import probed as part
from sitegen.analysis.neighbours import GRID, Neighbours, exact, merge_block, top_k
from sitegen.analysis.search import search
from support.helpers import Fixed, assert_same_neighbours


def blobs(n, dims=16, centres=30, seed=0):
    """Unit vectors around ``centres`` directions: the neighbours of most are in their own blob."""
    rng = np.random.default_rng(seed)
    middle = rng.normal(size=(centres, dims)) * 3
    return middle[rng.integers(0, centres, size=n)] + rng.normal(size=(n, dims))


def test_merging_blocks_in_any_order_gives_the_top_k_with_ties_by_index():
    rng = np.random.default_rng(0)
    dist = np.round(rng.random((6, 40)), 1).astype(np.float32)  # many exact ties
    rows = np.arange(6)
    want_i, want_d = np.empty((6, 7), np.int64), np.empty((6, 7), np.float64)
    top_k(dist, rows, 7, want_i, want_d)
    best_i, best_d = np.full((6, 7), 40, np.int64), np.full((6, 7), np.inf)
    for cols in np.array_split(rng.permutation(40), 5):  # blocks of columns, in shuffled order
        merge_block(np.ascontiguousarray(dist[:, cols]), rows, rows, cols, best_i, best_d)
    assert np.array_equal(best_i, want_i)
    assert np.array_equal(best_d / GRID, want_d)


def test_probing_every_cluster_is_the_exact_search():
    model = Fixed(blobs(1500)).fit()
    ref = exact(model, 1500, 10, progress=False)
    probes = part.Probes.build(model, 20, 20, seed=0)
    indices, distances = probes.lists(np.arange(1500), reach=2.0, k=10)  # reach 2: every centroid qualifies
    assert_same_neighbours(Neighbours("fixed", indices, distances), ref)


def test_probed_lists_are_nearly_exact_and_say_how_nearly():
    n, k = 4000, 10
    model = Fixed(blobs(n)).fit()
    ref = exact(model, n, k, progress=False)
    found = part.probed(model, n, k, min_recall=0.99, sample=300, seed=2, progress=False)
    assert found.method == "probed"
    assert not (found.indices == np.arange(n)[:, None]).any()
    rows = np.arange(n)
    whole = part.tie_aware_recall(model, rows, ref.indices, found.indices)
    assert whole >= 0.99
    assert abs(whole - found.recall) < 0.01  # the reported recall is what the whole catalogue gets
    if whole == 1.0:  # every list found: the same as the exact search, up to float32 rounding
        assert_same_neighbours(found, ref)


def test_the_manga_whose_lists_reach_farthest_are_searched_exactly(monkeypatch):
    n, k = 3000, 8
    vectors = blobs(n, seed=4)
    vectors[:60] = np.random.default_rng(5).normal(size=(60, 16)) * 0.2  # near no blob: far-reaching lists
    model = Fixed(vectors).fit()
    monkeypatch.setattr(part, "PROBE_LADDER", ((0.02, 0.0, 0.05),))
    found = part.probed(model, n, k, min_recall=0.0, sample=200, progress=False)
    ref = exact(model, n, k, progress=False)
    far = np.argsort(-found.distances[:, -1], kind="stable")[: int(np.ceil(0.05 * n))]
    assert np.isin(np.arange(60), far).mean() > 0.9
    assert_same_neighbours(Neighbours("fixed", found.indices[far], found.distances[far]),
                           Neighbours("fixed", ref.indices[far], ref.distances[far]))


def test_a_model_no_step_serves_is_searched_exactly(monkeypatch):
    monkeypatch.setattr(part, "PROBE_LADDER", ((0.02, 0.0, 0.0),))
    model = Fixed(np.random.default_rng(3).normal(size=(2000, 40))).fit()  # no structure to probe
    found = part.probed(model, 2000, 10, min_recall=1.0, sample=200, progress=False)
    assert found.method == "exact" and found.recall is None
    assert_same_neighbours(found, exact(model, 2000, 10, progress=False))


@pytest.mark.parametrize(("probe_above", "method"), [(100, "probed"), (10_000, "exact")])
def test_search_probes_a_cosine_model_that_asks_for_it_past_its_size(probe_above, method):
    model = Fixed(blobs(3000)).fit()
    model.probe_above = probe_above
    assert search(model, 3000, 10, method="auto", sample=200).method == method
    assert search(model, 3000, 10, method="exact").method == "exact"  # an explicit method is obeyed


def test_lists_made_a_few_manga_at_a_time_are_the_same(monkeypatch):
    model = Fixed(blobs(1200, seed=6)).fit()
    probes = part.Probes.build(model, 12, 6, seed=1)
    whole = probes.lists(np.arange(1200), reach=0.1, k=9)
    monkeypatch.setattr(part, "PROBE_ROWS", 7)  # blocks of 7 manga, the last one short
    blocked = probes.lists(np.arange(1200), reach=0.1, k=9)
    assert np.array_equal(whole[0], blocked[0])
    # products of other shapes may round a distance to the neighbouring step of the tie grid
    assert np.abs(whole[1] - blocked[1]).max() <= 1 / GRID


def test_a_manga_as_near_to_every_cluster_probes_no_more_than_its_share():
    sims = np.array([[0.0, 0.0, 0.0, 0.0, 0.0, 0.0],  # as near to every centroid: all tie
                     [0.9, 0.1, 0.8, 0.2, 0.3, 0.7]], dtype=np.float32)
    capped = part._capped(sims >= np.float32(0.0), sims, 2)
    assert capped.sum(axis=1).tolist() == [2, 2]
    assert np.flatnonzero(capped[1]).tolist() == [0, 2]  # the largest two of a row that is over
    assert part._capped(sims > 0.75, sims, 2).sum() == 2  # rows within the cap are left as they are
