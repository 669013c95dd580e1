"""Ties among twins ordered by description similarity, then index; nothing else changes."""

from __future__ import annotations

import numpy as np
import pytest

from sitegen.analysis.neighbours import Neighbours
from sitegen.analysis.search import search
from sitegen.analysis.ties import break_ties
from sitegen.models import REGISTRY
from sitegen.models.text import TagsText


@pytest.fixture(scope="module")
def text(demo_catalogue):
    return TagsText(seed=2, k=10, sample=200).fit(demo_catalogue).text_


@pytest.mark.parametrize("name", [n for n, cls in REGISTRY.items() if cls.ties_among_twins])
def test_twins_are_equally_far_from_everyone(demo_catalogue, name):
    """The premise: under these models a manga's distance to another depends on the other's tags only."""
    model = REGISTRY[name](seed=2).fit(demo_catalogue)
    groups = demo_catalogue.tag_groups
    twins = np.flatnonzero((groups != np.arange(groups.size)) & (np.diff(demo_catalogue.matrix.indptr) > 0))[:40]
    rows = np.arange(0, len(demo_catalogue), 7)
    d = model.distances(rows)
    a, b = d[:, twins], d[:, groups[twins]]
    apart = (rows[:, None] != twins[None, :]) & (rows[:, None] != groups[twins][None, :])  # not itself
    np.testing.assert_allclose(a[apart], b[apart], atol=2e-6)


def test_equal_distances_follow_the_description(demo_catalogue, text):
    from sitegen.models.lsi import LSI

    n, width = len(demo_catalogue), 12
    model = LSI(seed=2).fit(demo_catalogue)
    groups = demo_catalogue.tag_groups
    found = search(model, n, width, method="exact", groups=groups, without=demo_catalogue.tagless)
    broken = break_ties(found, groups, text)
    changed = 0
    for i in range(n):
        a, b = found.indices[i], broken.indices[i]
        if a[0] < 0:
            assert (b == -1).all()  # no list stays no list
            continue
        assert i not in b and len(set(b.tolist())) == width
        np.testing.assert_array_equal(found.distances[i], broken.distances[i])  # the same distances
        for d in np.unique(broken.distances[i][:-1]):  # whole runs (the last may be cut)
            run = b[broken.distances[i] == d]
            if (broken.distances[i] == d)[-1]:
                continue
            sims = text[run] @ text[i]
            assert (np.diff(sims) <= 1e-6).all() or np.array_equal(run, np.sort(run))
            changed += not np.array_equal(run, a[found.distances[i] == d])
    assert changed > 0  # the demo's twins do get reordered


def _brute_force(found, groups, group_dist, text, width):
    """Each manga's list as break_ties should make it: the whole tag sets of its tag set's first
    manga's list, by distance, then text similarity (highest first), then index."""
    n = groups.size
    out = np.full((n, width), -1)
    for i in range(n):
        listed = np.unique(groups[found.indices[groups[i]]])
        others = np.array([j for j in range(n) if j != i and groups[j] in listed])
        d = group_dist[groups[i], groups[others]]
        sims = (text[others] @ text[i]).astype(np.float64)
        out[i] = others[np.lexsort((others, -sims, d))][:width]
    return out


def test_long_runs_of_twins_keep_their_most_similar():
    """Tag sets with far more twins than a list has room for: the room left goes to the twins
    whose text is most like the pick's, whatever their index (the run is cut, not sorted whole)."""
    rng = np.random.default_rng(5)
    n, width = 240, 8
    groups = np.maximum.accumulate(np.where(np.arange(n) % 9 == 0, np.arange(n), 0))  # runs of 9 twins
    groups[100:180] = 100  # and one of 80
    group_dist = np.round(rng.random((n, n)), 1)  # a coarse grid: runs of several tag sets tie too
    group_dist = np.minimum(group_dist, group_dist.T)
    np.fill_diagonal(group_dist, 0.0)
    text = rng.standard_normal((n, 16)).astype(np.float32)
    text /= np.linalg.norm(text, axis=1, keepdims=True)
    # the search's lists: by distance, ties by index
    indices = np.empty((n, width + 2), dtype=np.int32)
    distances = np.empty((n, width + 2), dtype=np.float32)
    for i in range(n):
        others = np.array([j for j in range(n) if j != i])
        d = group_dist[groups[i], groups[others]]
        order = np.lexsort((others, d))[: width + 2]
        indices[i], distances[i] = others[order], d[order]
    found = Neighbours("lsi", indices, distances)
    broken = break_ties(found, groups, text)
    np.testing.assert_array_equal(broken.indices[:, :width], _brute_force(found, groups, group_dist, text, width))


def test_the_build_orders_ties_by_text_the_text_model_has_let_go(demo_catalogue):
    """The text model drops its text vectors once searched (it is searched first), yet the tag
    models searched after it still have their ties ordered by them."""
    from sitegen.build import Timings, find_neighbours
    from sitegen.config import BuildConfig, replace

    config = replace(BuildConfig(seed=2), **{"models.names": ("lsi", "tags_text"), "neighbours.k": 10,
                                             "neighbours.spare": 2, "models.tags_text.sample": 200})
    models = [REGISTRY[name].from_config(config).fit(demo_catalogue) for name in config.models.names]
    text = models[1].text_.copy()
    lsi, _ = find_neighbours(models, demo_catalogue, config, Timings())
    assert not hasattr(models[1], "text_")
    plain = search(REGISTRY["lsi"].from_config(config).fit(demo_catalogue), len(demo_catalogue), 12, method="exact",
                   groups=demo_catalogue.tag_groups, without=demo_catalogue.tagless)
    expected = break_ties(plain, demo_catalogue.tag_groups, text)
    assert not np.array_equal(expected.indices, plain.indices)  # ties there are to order
    np.testing.assert_array_equal(lsi.indices, expected.indices)
