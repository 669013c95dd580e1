"""The site's numbering: manga alike share pick shards; renumbering keeps every list, map and title."""

from __future__ import annotations

import numpy as np
import pytest

from sitegen.analysis.neighbours import Neighbours
from sitegen.analysis.projections import Projection
from sitegen.site.data import shards, unpack_list
from sitegen.site.numbering import graph_order, kd_order, renumber, renumber_maps, site_order
from sitegen.site.packed import scales


def blobs(per: int = 24, centres: int = 5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Points in well-separated blobs, shuffled: (coords (n, 2), blob of each point)."""
    rng = np.random.default_rng(seed)
    blob = rng.permutation(np.repeat(np.arange(centres), per))
    coords = np.stack([blob * 10.0, np.zeros(len(blob))], axis=1) + rng.normal(0, 0.5, (len(blob), 2))
    return coords, blob


@pytest.mark.parametrize("n, leaf", [(120, 24), (121, 24), (5, 8), (0, 4), (64, 1)])
def test_kd_order_is_a_permutation_cut_on_leaf_boundaries(n, leaf):
    coords = np.random.default_rng(1).normal(size=(n, 2))
    order = kd_order(coords, leaf)
    assert sorted(order.tolist()) == list(range(n))
    assert np.array_equal(order, kd_order(coords, leaf))  # deterministic


def test_kd_order_gives_each_blob_its_own_shards():
    coords, blob = blobs()
    order = kd_order(coords, 24)
    shard_blobs = [set(blob[order[s:s + 24]].tolist()) for s in range(0, len(order), 24)]
    assert all(len(b) == 1 for b in shard_blobs) and len({b.pop() for b in shard_blobs}) == 5


def test_without_a_map_the_lists_give_the_order_and_without_lists_the_catalogue_does():
    coords, blob = blobs()
    n = len(blob)
    # each point's list: three others of its blob
    members = {b: np.flatnonzero(blob == b) for b in range(5)}
    idx = np.array([[j for j in members[blob[i]] if j != i][:3] for i in range(n)], dtype=np.int32)
    nb = Neighbours("m", idx, np.zeros(idx.shape, np.float32))
    order = site_order(nb, None, n, 24)
    assert sorted(order.tolist()) == list(range(n)) and np.array_equal(order, graph_order(idx))
    spread = [len(set(blob[order[s:s + 24]].tolist())) for s in range(0, n, 24)]
    assert np.mean(spread) < 2.5  # shuffled, a shard of 24 would hold 4 to 5 blobs
    assert np.array_equal(site_order(None, None, n, 24), np.arange(n))
    assert np.array_equal(site_order(nb, coords, n, 24), kd_order(coords, 24))


def test_renumbering_keeps_every_list_map_and_title(demo_catalogue):
    n = len(demo_catalogue)
    rng = np.random.default_rng(2)
    idx = rng.integers(0, n, size=(n, 4)).astype(np.int32)
    idx[::7, -1] = -1  # empty places stay empty
    nb = Neighbours("m", idx, rng.random((n, 4)).astype(np.float32))
    maps = [[Projection("m", "pca", rng.random((n, 2)), 0.0)]]
    order = rng.permutation(n)
    (cat, (moved,)), [[proj]] = renumber(order, demo_catalogue, [nb]), renumber_maps(order, maps)
    old_ids, new_ids = [m.id for m in demo_catalogue.manga], [m.id for m in cat.manga]
    assert new_ids == [old_ids[i] for i in order]
    for p in range(0, n, 13):  # the same manga list the same manga, in the same order
        i = order[p]
        assert [new_ids[j] if j >= 0 else None for j in moved.indices[p]] == \
               [old_ids[j] if j >= 0 else None for j in idx[i]]
        assert np.array_equal(moved.distances[p], nb.distances[i]) and np.array_equal(proj.coords[p], maps[0][0].coords[i])
    # "most followed first" survives the renumbering
    assert [cat.manga[i].id for i in np.argsort(cat.follows_rank)] == old_ids
    same = renumber(np.arange(n), demo_catalogue, [nb])
    assert same[0] is demo_catalogue and same[1][0] is nb


def test_a_pick_shard_names_nothing_it_does_not_carry(demo_catalogue):
    n = len(demo_catalogue)
    rng = np.random.default_rng(3)
    idx = rng.integers(0, n, size=(n, 5)).astype(np.int32)
    nb = Neighbours("m", idx, rng.random((n, 5)).astype(np.float32))
    (scale,) = scales([nb.distances])
    for _, shard in shards(demo_catalogue, 32, [nb], nb, scale):
        start, rows = shard["start"], len(shard["id"])
        near = dict(zip(shard["near"]["i"], range(len(shard["near"]["i"]))))
        assert not any(start <= j < start + rows for j in near)  # the shard's own are not repeated
        named = {j for r in range(rows) for j in unpack_list(shard["list"][r], shard["dist"][r])[0]}
        named |= {j for rel in shard["rel"] for j, _ in rel} | {j for by in shard["by"] for p in by for j in p[2]}
        for j in named:
            if start <= j < start + rows:
                continue
            row = near[j]
            assert shard["near"]["title"][row] == demo_catalogue.manga[j].title
            assert shard["near"]["tags"][row] == demo_catalogue.tag_lists[j]
        assert set(near) == {j for j in named if not start <= j < start + rows}  # and nothing more
