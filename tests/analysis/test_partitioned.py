"""The partitioned search: exact ranking among candidates, measured recall, exact when it cannot serve."""

from __future__ import annotations

import numpy as np
import pytest

from sitegen.analysis import partitioned as part
from sitegen.analysis.neighbours import GRID, exact
from sitegen.models.network import AdjacencyCosine
from support.helpers import Fixed, assert_same_neighbours


def mixture(n, dims=8, centres=40, seed=0):
    rng = np.random.default_rng(seed)
    middle = rng.normal(size=(centres, dims)) * 4
    return middle[rng.integers(0, centres, size=n)] + rng.normal(size=(n, dims))


def recall_against(found, ref):
    """Plain (not tie-aware) share of the exact lists found: continuous data has no ties."""
    return np.mean([len(set(a) & set(b)) / len(b) for a, b in zip(found.indices, ref.indices)])


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_partitioned_lists_are_nearly_exact_and_say_how_nearly(metric):
    model = Fixed(mixture(3000), metric).fit()
    ref = exact(model, 3000, 10, progress=False)
    found = part.partitioned(model, 3000, 10, candidates=0.02, min_recall=0.99, seed=1, progress=False)
    assert found.method == "partitioned"
    assert not (found.indices == np.arange(3000)[:, None]).any()
    whole = recall_against(found, ref)
    assert whole >= 0.99
    assert abs(found.recall - whole) < 0.02  # the sampled figure tells the truth about all lists
    # every listed manga is ranked by the true distance: rows are sorted, and agree with exact ones
    # wherever the candidates held the whole exact list
    assert (np.diff(found.distances, axis=1) >= 0).all()
    same = (found.indices == ref.indices).all(axis=1)
    assert same.mean() > 0.9
    # the same distance, up to float32 rounding (blocks of other shapes round differently)
    assert np.allclose(found.distances[same], ref.distances[same], rtol=2e-5, atol=1.5 / GRID)


def test_a_model_the_partition_cannot_serve_is_searched_exactly(monkeypatch):
    monkeypatch.setattr(part, "LADDER", ())
    rng = np.random.default_rng(3)
    model = Fixed(rng.normal(size=(2000, 40))).fit()  # no structure: the nearest are anywhere
    found = part.partitioned(model, 2000, 10, candidates=0.01, min_recall=1.0, progress=False)
    assert found.method == "exact"
    assert_same_neighbours(found, exact(model, 2000, 10, progress=False))


def test_custom_distance_models_and_shared_rows(demo_catalogue):
    model = AdjacencyCosine().fit(demo_catalogue)
    n = len(demo_catalogue)
    ref = exact(model, n, 5, progress=False)
    found = part.partitioned(model, n, 5, candidates=0.05, sample=100, progress=False)
    assert not (found.indices == np.arange(n)[:, None]).any()
    if found.method == "exact":
        assert_same_neighbours(found, ref)
    else:
        rows = np.arange(n)
        whole = part.tie_aware_recall(model, rows, part.sample_lists(model, rows, 5), found.indices)
        assert whole >= 0.97 and abs(whole - found.recall) < 0.03
    everyone = part.partitioned(model, n, 5, candidates=1.0, groups=np.arange(n), progress=False)
    assert everyone.recall >= 0.998  # all but float32 rounding at the edge of a tie
    assert_same_neighbours(everyone, ref)  # given every manga as candidates, the search is exact


def test_tie_aware_recall_counts_a_different_tie_as_found():
    model = Fixed(np.array([[1.0, 0], [1.0, 0], [1.0, 0], [0, 1.0]])).fit()
    rows = np.array([0])
    truth = part.sample_lists(model, rows, 1)
    assert truth.tolist() == [[1]]
    assert part.tie_aware_recall(model, rows, truth, np.array([[2]])) == 1.0  # tied with 1
    assert part.tie_aware_recall(model, rows, truth, np.array([[3]])) == 0.0
    assert part.tie_aware_recall(model, rows, truth, np.array([[-1]])) == 0.0


def test_candidates_hold_the_cluster_the_hubs_and_the_nearest():
    model = Fixed(mixture(500)).fit()
    members = part.clusters(model._keys(), 10, 0)
    assert sorted(np.concatenate(members).tolist()) == list(range(500))
    hubs = np.array([3, 499])
    partition = part.Partition(model, members, hubs, 0, np.arange(500))
    cols = partition.joined(0, partition.ranked([0], 50)[0])
    assert set(members[0]) | set(hubs) <= set(cols) and (np.diff(cols) > 0).all()
    assert len(cols) <= len(members[0]) + 2 + 50


def test_tag_sets_are_searched_once_and_their_lists_expanded_to_their_members(demo_catalogue):
    model = AdjacencyCosine().fit(demo_catalogue)
    n, groups = len(demo_catalogue), demo_catalogue.tag_groups
    assert len(np.unique(groups)) <= n - 20  # the demo has twins
    ref = exact(model, n, 5, groups=groups, progress=False)
    everyone = part.partitioned(model, n, 5, candidates=1.0, groups=groups, sample=100, progress=False)
    assert everyone.method == "partitioned"
    assert_same_neighbours(everyone, ref)  # every tag set a candidate: the exact search's lists
    found = part.partitioned(model, n, 5, candidates=0.05, groups=groups, sample=100, progress=False)
    assert not (found.indices == np.arange(n)[:, None]).any()
    if found.method == "partitioned":
        rows = np.arange(n)
        whole = part.tie_aware_recall(model, rows, part.sample_lists(model, rows, 5), found.indices)
        assert whole >= 0.97 and abs(whole - found.recall) < 0.03
        # a manga's twins are as near as anything can be: they lead its list
        first = np.flatnonzero(groups != np.arange(n))  # manga that are not their set's first
        assert (found.distances[first, 0] <= ref.distances[first, 0] + 1.5 / GRID).all()


def test_smallest_takes_the_first_of_equal_values_at_the_edge():
    values = np.array([3.0, 1.0, 2.0, 1.0, 2.0, 2.0, np.inf])
    assert part.smallest(values, 3).tolist() == [1, 3, 2]
    assert part.smallest(values, 4).tolist() == [1, 3, 2, 4]
    assert part.smallest(values, 10).tolist() == [1, 3, 2, 4, 5, 0, 6]
    for count in range(1, 8):  # the c smallest are the first c of any longer run
        assert part.smallest(values, count).tolist() == part.smallest(values, 7)[:count].tolist()


@pytest.mark.parametrize("count", [129, 500, 2000, 9000])
def test_smallest_narrowed_by_a_sampled_bound_is_the_full_selection(count):
    rng = np.random.default_rng(count)
    values = np.round(rng.exponential(size=10_000), 2)  # many ties, at the edge too
    values[rng.choice(10_000, 300, replace=False)] = np.inf
    full = np.lexsort((np.arange(10_000), values))[:count]  # (value, position) order
    assert part.smallest(values, count).tolist() == full.tolist()


def test_smallest_falls_back_to_the_full_selection_when_the_sampled_bound_is_too_low(monkeypatch):
    count = 500
    values = 1 + np.random.default_rng(8).random(10_000)
    stride = 2 * count // part.STRIDE_SAMPLE  # the entries the bound is read off hold the smallest values
    values[::stride] = np.linspace(0, 0.5, len(values[::stride]))
    sizes = []
    full_selection = part._smallest
    monkeypatch.setattr(part, "_smallest", lambda v, c: sizes.append(len(v)) or full_selection(v, c))
    assert part.smallest(values, count).tolist() == np.lexsort((np.arange(10_000), values))[:count].tolist()
    assert sizes == [10_000]  # too few values under the bound: the whole row was selected from


def test_own_edges_are_exact_for_small_ranks_and_close_past_them():
    block = np.random.default_rng(3).random((40, 50_000)).astype(np.float32)
    assert np.array_equal(part.own_edges(block, 100), np.sort(block, axis=1)[:, 99])
    rank = 5000
    estimate = part.own_edges(block, rank)
    ranks = (block < estimate[:, None]).sum(axis=1)
    assert abs(ranks.mean() - rank) < 0.05 * rank  # unbiased,
    assert (np.abs(ranks - rank) < 0.5 * rank).all()  # each within about an eighth (64 sampled below it)


def test_every_representative_brings_its_own_nearest_however_far():
    # manga 0 and 1 are one cluster's representatives: 0 has many manga close by, 1 has its
    # nearest (4, 5) farther than all of 0's; both must be among the candidates
    near = np.zeros((12, 2))
    near[0], near[1] = [0, 0], [100, 0]
    near[2:4] = [[0.1, 0], [0.2, 0]]
    near[4:6] = [[103, 0], [104, 0]]
    near[6:] = [[0.3 + 0.1 * i, 0] for i in range(6)]
    model = Fixed(near, "euclidean").fit()
    partition = part.Partition(model, [np.array([0, 1])], np.array([], dtype=np.int64), 0, np.arange(12))
    cols = partition.joined(0, partition.ranked([0], 6)[0])  # three each, itself included
    assert {2, 3, 4, 5} <= set(cols.tolist())
