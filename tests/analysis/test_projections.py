"""The maps stage: 2-D layouts from each model's own distances, and what the build writes of them."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sitegen.analysis.projections import (
    TWIN_SPACING,
    finish,
    knn_graph,
    normalise,
    pca_layout,
    project,
    project_models,
    projections_json,
    sample_distances,
    sample_rows,
    spread_twins,
    twins,
)
from sitegen.analysis.search import search
from sitegen.config import BuildConfig, ProjectionConfig, replace, validate
from sitegen.errors import ConfigError
from sitegen.models import REGISTRY
from sitegen.site.render import json_text

FAST = ProjectionConfig(method="pca")


@pytest.fixture(scope="module")
def fitted(demo_catalogue):
    """A cosine model, a custom one, and the blend whose manga are not at 0 from themselves."""
    names = ("lsi", "adjacency_cosine", "lsi_popularity")
    config = replace(BuildConfig(seed=3), **{"models.lsi_popularity.weight": 0.2})
    return [REGISTRY[n].from_config(config).fit(demo_catalogue) for n in names]


def test_sample_is_the_most_followed_prefix(demo_catalogue):
    n = len(demo_catalogue)
    assert sample_rows(n, 100).tolist() == list(range(100))
    assert sample_rows(n, 10 * n).tolist() == list(range(n))
    follows = [m.follows for m in demo_catalogue.manga[:100]]
    assert follows == sorted(follows, reverse=True)  # catalogue order: most followed first


def test_pca_maps_have_the_sample_shape_and_fill_the_box(fitted, demo_catalogue):
    maps = project_models(fitted, len(demo_catalogue), replace(FAST, size=250), seed=1)
    assert [p.model for p in maps] == [m.name for m in fitted]
    for p in maps:
        assert p.method == "pca" and p.coords.shape == (250, 2)
        assert np.isfinite(p.coords).all()
        assert np.abs(p.coords).max() == 1.0 and np.abs(p.coords).max(axis=0).min() > 0
        assert np.array_equal(p.coords, np.round(p.coords, 3))


def test_pca_is_deterministic_and_uses_unit_rows_for_cosine(fitted):
    lsi = fitted[0]
    sample = np.arange(200)
    first, again = pca_layout(lsi, sample), pca_layout(lsi, sample)
    assert np.array_equal(first, again)
    scaled = type(lsi).__new__(type(lsi))
    scaled.embedding_ = lsi.embedding_ * np.linspace(1, 50, len(lsi.embedding_))[:, None].astype(np.float32)
    assert np.allclose(pca_layout(scaled, sample), first, atol=1e-5)  # cosine ignores row lengths


def test_sample_distances_are_the_models_restricted_to_the_sample(fitted):
    sample = np.arange(120)
    for model in fitted:
        d = sample_distances(model, sample)
        full = model.distances(sample)[:, sample]
        np.fill_diagonal(full, 0)
        assert d.shape == (120, 120) and d.dtype == np.float32
        assert np.array_equal(d, full)


def test_knn_from_distances_matches_the_exact_neighbours(fitted, demo_catalogue):
    n, k = len(demo_catalogue), 10
    for model in fitted:
        idx, dist = knn_graph(sample_distances(model, np.arange(n)), k + 1)
        assert idx.shape == dist.shape == (n, k + 1) and idx.dtype == np.int32
        assert (idx[:, 0] == np.arange(n)).all() and (dist[:, 0] == 0).all()
        exact = search(model, n, k, method="exact")
        assert np.array_equal(idx[:, 1:], exact.indices)  # same ties too: by catalogue order
        assert np.array_equal(dist[:, 1:], exact.distances)


@pytest.mark.slow
def test_umap_on_a_few_hundred_points_is_deterministic(fitted, demo_catalogue):
    """The one UMAP test: a custom model's map, twice, byte for byte, twins around their point."""
    config = ProjectionConfig(size=300, n_epochs=60)
    model, sample = fitted[1], sample_rows(len(demo_catalogue), 300)
    groups = demo_catalogue.tag_groups[:300]
    first = project(model, sample, config, seed=11, candidates=groups)
    again = project(model, sample, config, seed=11, candidates=groups)
    assert first.method == "umap" and first.coords.shape == (300, 2)
    assert np.isfinite(first.coords).all() and np.abs(first.coords).max() == 1.0
    text = json_text(projections_json([first], len(demo_catalogue), config, 11))
    assert text == json_text(projections_json([again], len(demo_catalogue), config, 11))
    twin = np.flatnonzero(groups != np.arange(300))
    assert len(twin) > 10  # the demo has twins; each sits within its sunflower
    gap = np.linalg.norm(first.coords[twin] - first.coords[groups[twin]], axis=1)
    assert (gap <= TWIN_SPACING * np.sqrt(np.bincount(groups)[groups[twin]]) + 2e-3).all()
    # neighbours on the map are mostly neighbours under the model (twins aside: they are all tied)
    idx, _ = knn_graph(sample_distances(model, sample), 11)
    on_map = np.argsort(((first.coords[:, None, :] - first.coords[None, :, :]) ** 2).sum(-1), axis=1)[:, 1:31]
    loners = np.flatnonzero(np.bincount(groups, minlength=300)[groups] == 1)
    kept = np.mean([len(set(idx[i, 1:]) & set(on_map[i])) / 10 for i in loners])
    assert kept > 0.5


def test_a_tiny_sample_falls_back_to_pca(fitted):
    p = project(fitted[0], np.arange(5), ProjectionConfig(), seed=0)
    assert p.method == "pca" and p.coords.shape == (5, 2) and np.isfinite(p.coords).all()


def test_normalise_and_finish_centre_scale_and_keep_json_clean():
    coords = np.array([[10.0, 5.0], [30.0, 5.0], [20.0, 6.0], [np.nan, 1.0], [20.0, 5.5 - 1e-7]])
    out = normalise(coords)
    assert out[:, 0].tolist() == [-1.0, 1.0, 0.0, 0.0, 0.0]
    assert out[3].tolist() == [0.0, 0.0]  # no position: the centre, never NaN
    assert normalise(np.ones((3, 2))).tolist() == [[0.0, 0.0]] * 3
    done = finish(coords, np.arange(5))
    assert done[4].tolist() == [0.0, 0.0] and not np.signbit(done).any(axis=1)[4]  # -1e-8 rounds to 0.0, not -0.0
    assert np.array_equal(done, np.round(done, 3)) and np.abs(done).max() == 1.0


def test_twins_are_confirmed_on_each_models_own_rows(fitted, demo_catalogue):
    sample = np.arange(300)
    groups = demo_catalogue.tag_groups[:300]
    assert (groups != sample).sum() > 10
    for model in fitted:  # tags alone, a network model, and the popularity blend (rows differ by column only)
        assert np.array_equal(twins(sample_distances(model, sample), groups, square=True), groups)
    rows = np.repeat(np.arange(6.0)[:, None], 3, axis=1)
    rows[4] = rows[1] + 1e-3  # a candidate the model does tell apart
    rows[5] = rows[1]
    assert twins(rows, np.array([0, 1, 2, 3, 1, 1]), square=False).tolist() == [0, 1, 2, 3, 4, 1]


def test_spread_twins_puts_a_sunflower_around_the_first():
    coords = np.zeros((5, 2))
    owner = np.array([0, 0, 2, 0, 0])
    out = spread_twins(coords, owner, spacing=0.1)
    assert out[0].tolist() == [0.0, 0.0] and out[2].tolist() == [0.0, 0.0]
    radii = np.linalg.norm(out[[1, 3, 4]], axis=1)
    assert np.allclose(radii, 0.1 * np.sqrt([1, 2, 3]))
    assert len({tuple(np.round(p, 6)) for p in out[[0, 1, 3, 4]]}) == 4


def test_json_has_the_sample_once_and_a_map_per_model(fitted, demo_catalogue):
    n = len(demo_catalogue)
    config = replace(FAST, size=40)
    data = json.loads(json_text(projections_json(project_models(fitted, n, config, 2), n, config, 2)))
    assert data["method"] == "pca" and data["sample"] == list(range(40))
    assert list(data["models"]) == [m.name for m in fitted]
    assert all(len(points) == 40 and all(len(xy) == 2 for xy in points) for points in data["models"].values())


def test_config_checks_every_projection_field():
    bad = replace(BuildConfig(), **{"projection.size": 3, "projection.method": "tsne",
                                    "projection.n_neighbors": 1, "projection.min_dist": 2.0, "projection.n_epochs": 0})
    with pytest.raises(ConfigError) as err:
        validate(bad)
    for field in ("size", "method", "n_neighbors", "min_dist", "n_epochs"):
        assert f"'projection.{field}'" in str(err.value)
    with pytest.raises(ConfigError, match="projection.size"):  # a dense sample matrix: 20k would be 1.6 GB a model
        validate(replace(BuildConfig(), **{"projection.size": 20_000}))
