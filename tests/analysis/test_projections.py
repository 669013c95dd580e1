"""The maps stage: every manga laid out (PCA, UMAP over each model's neighbour lists), twins once,
cluster labels named by lift, and the compact files the Maps page loads."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest
import scipy.sparse as sp

from sitegen.analysis.labels import cluster_labels, naming_tags, sample_points
from sitegen.analysis.projections import (
    STEPS,
    coincident,
    finish,
    lay_out,
    map_inputs,
    mapped_count,
    neighbour_graph,
    normalise,
    owners,
    pca_layout,
    project,
    project_models,
    spread_twins,
    umap_epochs,
)
from sitegen.analysis.search import search
from sitegen.analysis.umap_layout import scaled_start, umap_layout
from sitegen.backlog import Backlog
from sitegen.config import BuildConfig, ProjectionConfig, replace, validate
from sitegen.errors import ConfigError
from sitegen.models import REGISTRY
from sitegen.site import contract
from sitegen.site.maps import DEMOGRAPHICS, map_files, pack_manga, pack_map, quantise, unpack_map
from sitegen.site.render import json_text

FAST = ProjectionConfig(method="pca")


@pytest.fixture(scope="module")
def fitted(demo_catalogue):
    """A tag model (twins share rows), a custom network model, and the popularity blend."""
    names = ("lsi", "adjacency_cosine", "lsi_popularity")
    config = replace(BuildConfig(seed=3), **{"models.lsi_popularity.weight": 0.2})
    return [REGISTRY[n].from_config(config).fit(demo_catalogue) for n in names]


@pytest.fixture(scope="module")
def lists(fitted, demo_catalogue):
    groups = demo_catalogue.tag_groups
    return [search(m, len(demo_catalogue), 20, method="exact", groups=groups if m.rows_by_tag_set else None)
            for m in fitted]


def test_every_manga_is_mapped_unless_a_size_is_given():
    assert mapped_count(110_000, 0) == 110_000
    assert mapped_count(300, 100) == 100 and mapped_count(50, 100) == 50


def test_twins_are_one_row_only_for_models_that_cannot_tell_them_apart(fitted, demo_catalogue):
    groups = demo_catalogue.tag_groups
    lsi, network, _ = fitted
    assert lsi.rows_by_tag_set and owners(lsi, groups, 100).tolist() == groups[:100].tolist()
    assert (owners(lsi, groups, 100) != np.arange(100)).any()  # the demo has twins in its first 100

    class Distinct:  # a model whose rows are its own, whatever its tags
        rows_by_tag_set = False

    assert owners(Distinct(), groups, 100).tolist() == list(range(100))
    assert owners(network, None, 7).tolist() == list(range(7))


def test_neighbour_graph_collapses_twins_drops_repeats_and_pads():
    # manga 1 is manga 0's twin; manga 3 lies past the mapped three
    owner = np.array([0, 0, 2])
    indices = np.array([[1, 2, 3], [0, 2, 3], [0, 1, 3], [0, 1, 2]])
    distances = np.array([[0.0, 0.5, 0.7], [0.0, 0.5, 0.7], [0.5, 0.5, 0.9], [0.7, 0.7, 0.9]], dtype=np.float32)
    knn_i, knn_d = neighbour_graph(indices, distances, owner, n_neighbors=3)
    # distinct rows: manga 0 (row 0) and manga 2 (row 1)
    assert knn_i.tolist() == [[0, 1, -1], [1, 0, -1]]
    assert knn_d[:, 0].tolist() == [0, 0]
    assert knn_d.tolist() == [[0.0, 0.5, 0.5], [0.0, 0.5, 0.5]]  # padding repeats the farthest kept
    # lists for the mapped manga only, naming manga past them (a map of the catalogue's first three)
    knn_i, _ = neighbour_graph(indices[:3], distances[:3], owner, n_neighbors=3)
    assert knn_i.tolist() == [[0, 1, -1], [1, 0, -1]]


def test_pca_is_deterministic_and_uses_unit_rows_for_cosine(fitted):
    lsi = fitted[0]
    rows = np.arange(200)
    a, b = pca_layout(lsi, rows), pca_layout(lsi, rows)
    assert a.shape == (200, 2) and np.array_equal(a, b)
    norms = np.linalg.norm(lsi.embedding_[rows], axis=1, keepdims=True)
    x = lsi.embedding_[rows] / np.where(norms > 0, norms, 1)  # a manga without tags stays at 0
    x = x - x.mean(axis=0)
    _, s, _ = np.linalg.svd(x, full_matrices=False)
    assert np.allclose(np.linalg.norm(a, axis=0), s[:2], rtol=1e-6)


def test_pca_maps_draw_every_manga_inside_the_box_twins_apart(fitted, lists, demo_catalogue):
    n = len(demo_catalogue)
    maps = project_models(fitted, lists, n, FAST, seed=1, groups=demo_catalogue.tag_groups)
    assert [[p.method for p in per] for per in maps] == [["pca"]] * 3
    for per in maps:
        xy = per[0].coords
        assert xy.shape == (n, 2) and np.isfinite(xy).all() and np.abs(xy).max() <= 1.0
        assert len(np.unique(quantise(xy).T, axis=0)) == n  # no two manga in one 16-bit step: each can be hovered


def test_umap_follows_each_models_neighbours_and_is_deterministic(fitted, lists, demo_catalogue):
    n = 600
    config = ProjectionConfig(size=n, n_epochs=60, umap_models=("lsi", "adjacency_cosine"))
    first = project_models(fitted, lists, len(demo_catalogue), config, seed=5, groups=demo_catalogue.tag_groups)
    again = project_models(fitted[:1], lists[:1], len(demo_catalogue), config, seed=5, groups=demo_catalogue.tag_groups)
    assert [[p.method for p in per] for per in first] == [["umap", "pca"], ["umap", "pca"], ["pca"]]
    assert np.array_equal(first[0][0].coords, again[0][0].coords)
    for per, nb in zip(first[:2], lists[:2]):
        xy = per[0].coords
        assert xy.shape == (n, 2) and np.abs(xy).max() <= 1.0
        # a manga's nearest others on the map are mostly among its listed neighbours (random: ~3%)
        d = ((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1)
        np.fill_diagonal(d, np.inf)
        near = np.argsort(d, axis=1)[:, :5]
        hits = np.mean([np.isin(near[i], nb.indices[i]).mean() for i in range(n)])
        assert hits > 0.3, (per[0].model, hits)


def test_threads_change_nothing(fitted, lists, demo_catalogue):
    # as the build lays them out: a background thread and the caller, two maps at once
    config = ProjectionConfig(size=300, n_epochs=30, umap_models=())
    groups = demo_catalogue.tag_groups
    one = project_models(fitted, lists, len(demo_catalogue), config, seed=5, groups=groups)
    with Backlog("maps") as jobs:
        for model, nb in zip(fitted, lists):
            jobs.add(model.name, project, model, nb, 300, config, 5, groups)
        two = [jobs.result(model.name) for model in fitted]
    assert [[p.method for p in per] for per in one] == [["umap", "pca"]] * 3
    for a, b in zip(one, two):
        assert all(np.array_equal(p.coords, q.coords) for p, q in zip(a, b))


def _map_precision(coords, knn_indices, nearest=5):
    """The share of each point's ``nearest`` neighbours on the map that are among its listed ones."""
    from scipy.spatial import cKDTree

    _, near = cKDTree(coords).query(coords, k=nearest + 1)
    return (near[:, 1:, None] == knn_indices[:, None, 1:]).any(axis=2).mean()


def test_our_umap_epochs_keep_neighbours_together_as_well_as_umap_learns_own(lists):
    """The optimiser is this project's (negatives applied together, float32): from a random start,
    a point's nearest on the map are its listed neighbours as often as with umap-learn's own
    simplicial_set_embedding over the same graph (measured: 0.61-0.62 here, umap-learn 0.58-0.60)."""
    import umap.umap_ as umap_

    n = 600
    knn = neighbour_graph(lists[1].indices, lists[1].distances, np.arange(n), 10)
    start = np.random.default_rng(1).normal(size=(n, 2))
    ours = umap_layout(*knn, start, 0.1, 60, seed=9)
    random_state = np.random.RandomState(9)
    shape_only = np.empty((n, 0))
    graph, _, _ = umap_.fuzzy_simplicial_set(shape_only, 10, random_state, "euclidean",
                                             knn_indices=knn[0], knn_dists=knn[1])
    a, b = umap_.find_ab_params(1.0, 0.1)
    theirs, _ = umap_.simplicial_set_embedding(shape_only, graph, 2, 1.0, a, b, 1.0, 5, 60, scaled_start(start),
                                               random_state, "euclidean", {}, False, {}, False)
    assert np.isfinite(ours).all() and ours.shape == (n, 2)
    assert _map_precision(start, knn[0]) < 0.05
    assert _map_precision(ours, knn[0]) >= _map_precision(theirs, knn[0]) - 0.02


def test_a_umap_layout_depends_on_its_seed_alone_and_runs_beside_another(lists):
    """The same seed gives the same bytes, on a thread beside another layout too (the build lays
    out one map a core at once); another seed gives another map."""
    from concurrent.futures import ThreadPoolExecutor

    knn = neighbour_graph(lists[0].indices, lists[0].distances, np.arange(300), 10)
    start = np.random.default_rng(2).normal(size=(300, 2))
    alone = umap_layout(*knn, start, 0.1, 30, seed=4)
    with ThreadPoolExecutor(2) as pool:
        together = list(pool.map(lambda seed: umap_layout(*knn, start, 0.1, 30, seed=seed), (4, 5)))
    assert np.array_equal(together[0], alone)
    assert not np.allclose(together[1], alone)


def test_a_umap_layout_turns_on_the_graph_stage_cache(lists, monkeypatch):
    import umap.umap_ as umap_

    from sitegen.analysis import umap_layout as module

    asked = []
    monkeypatch.setattr(module, "cache_graph_stage", asked.append)
    knn = neighbour_graph(lists[0].indices, lists[0].distances, np.arange(200), 10)
    umap_layout(*knn, np.random.default_rng(3).normal(size=(200, 2)), 0.1, 5, seed=1)
    assert asked == [umap_]


def _membership(values):
    """A stand-in for one of umap-learn's graph-stage functions (defined here, compiled per test)."""
    return values * 2.0


def test_umap_learns_graph_stage_is_cached_on_disk_and_read_by_the_next_process(tmp_path, monkeypatch):
    """A new process compiles umap-learn's uncached graph stage (about 10 s here) unless its numba
    cache is turned on: a second dispatcher of the same function, as the next build's process
    would make, loads the compiled code instead of compiling."""
    import types

    import numba
    import umap.umap_ as umap_

    from sitegen.analysis import umap_layout as module

    assert all(hasattr(getattr(umap_, name), "enable_caching") for name in module.GRAPH_STAGE)
    monkeypatch.setattr(numba.config, "CACHE_DIR", str(tmp_path))
    plain = numba.njit(_membership)
    first = types.SimpleNamespace(smooth_knn_dist=numba.njit(_membership), compute_membership_strengths=plain,
                                  other=numba.njit(_membership))
    plain(np.ones(3))  # already compiled in this process: left alone
    monkeypatch.setattr(module, "_graph_stage_cached", False)
    assert module.cache_graph_stage(first) == ["smooth_knn_dist"]
    assert module.cache_graph_stage(first) == []  # once a process
    assert first.smooth_knn_dist(np.ones(3)).tolist() == [2.0] * 3
    assert first.smooth_knn_dist.stats.cache_misses and any(tmp_path.rglob("*.nbi"))
    second = types.SimpleNamespace(smooth_knn_dist=numba.njit(_membership))
    monkeypatch.setattr(module, "_graph_stage_cached", False)
    module.cache_graph_stage(second)
    assert second.smooth_knn_dist(np.ones(3)).tolist() == [2.0] * 3
    assert sum(second.smooth_knn_dist.stats.cache_hits.values()) == 1


def test_normalise_and_finish_centre_scale_and_clean():
    c = normalise(np.array([[0.0, 0.0], [4.0, 2.0], [np.nan, 1.0]]))
    assert c[:2].tolist() == [[-1.0, -0.5], [1.0, 0.5]] and c[2].tolist() == [0.0, 0.0]
    out = finish(np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 1.0]]))
    assert np.abs(out).max() == 1.0 and not np.array_equal(out[0], out[1])
    assert not np.signbit(out[out == 0]).any()


def test_coincident_points_are_those_in_one_step_of_the_site_files():
    half_step = 1 / STEPS  # the map is 2 wide: a step is 2 / STEPS
    coords = np.array([[0.0, 0.0], [0.5, -0.5], [0.0, 0.3 * half_step], [0.0, 3 * half_step],
                       [0.5, -0.5], [-1.0, 1.0], [0.3 * half_step, 0.0], [1.0, -1.0]])
    assert coincident(coords).tolist() == [0, 1, 0, 3, 1, 5, 0, 7]  # each point's first in its step
    rng = np.random.default_rng(3)  # the same as telling rows apart, on many points
    many = np.round(rng.uniform(-1, 1, size=(5000, 2)) * 40) / 40
    _, first, inverse = np.unique(np.round((many + 1) / 2 * STEPS), axis=0, return_index=True, return_inverse=True)
    assert np.array_equal(coincident(many), first[inverse.ravel()])


def test_spread_twins_puts_a_sunflower_around_the_first():
    coords = np.zeros((5, 2))
    out = spread_twins(coords, np.array([0, 0, 2, 0, 0]), spacing=0.1)
    assert out[0].tolist() == [0.0, 0.0] and out[2].tolist() == [0.0, 0.0]
    assert np.allclose(np.linalg.norm(out[[1, 3, 4]], axis=1), 0.1 * np.sqrt([1, 2, 3]))


def blobs(seed=0):
    """Three blobs, each of manga carrying its own tag (plus a tag everyone has)."""
    rng = np.random.default_rng(seed)
    centres = np.array([[-0.6, -0.5], [0.6, -0.5], [0.0, 0.6]])
    coords = np.vstack([c + 0.05 * rng.standard_normal((400, 2)) for c in centres])
    rows = np.repeat(np.arange(3), 400)
    tags = sp.csr_matrix((np.ones(2400), (np.repeat(np.arange(1200), 2), np.ravel(np.column_stack([rows, np.full(1200, 3)])))),
                         shape=(1200, 4))
    return coords, tags, rows


def test_labels_find_the_clusters_and_name_them_by_their_tag():
    coords, tags, rows = blobs()
    labels = cluster_labels(coords, tags, seed=1)
    coarse = [lab for lab in labels if lab["level"] == 0]
    assert sorted(lab["tags"][0] for lab in coarse) == [0, 1, 2]  # the tag everyone has is not distinctive
    for lab in coarse:
        blob = lab["tags"][0]
        assert lab["n"] >= 350 and lab["lift"][0] == pytest.approx(3.0, rel=0.15)
        assert np.linalg.norm(np.array([lab["x"], lab["y"]]) - coords[rows == blob].mean(axis=0)) < 0.1
    assert labels == cluster_labels(coords, tags, seed=1)  # deterministic
    assert json.loads(json_text(labels)) == labels


def test_labels_from_one_tree_are_the_labels_of_a_fit_a_level(monkeypatch):
    from sitegen.analysis import labels as module

    coords, tags, _ = blobs(seed=2)
    coords = np.vstack([coords, coords[:300] * 0.5 + 0.4])  # a fourth, looser group: leaves differ from the top
    tags = sp.vstack([tags, tags[:300]]).tocsr()
    sample = module.sample_points(len(coords), seed=3, size=900)
    levels = ((1 / 60, "eom"), (1 / 300, "leaf"))
    assert module._tree_to_labels() is not None  # this scikit-learn lets the second level reuse the tree
    shared = module.clusters(coords, sample, levels)
    assert len(np.unique(shared[1])) > len(np.unique(shared[0]))
    monkeypatch.setattr(module, "_tree_to_labels", lambda: None)  # as with a scikit-learn without it
    assert all(np.array_equal(a, b) for a, b in zip(module.clusters(coords, sample, levels), shared))
    assert cluster_labels(coords, tags, seed=1)


def test_naming_tags_need_share_and_lift():
    base = np.array([0.5, 0.25, 0.5])
    assert naming_tags(np.array([1.0, 0.5, 0.0]), base) == ([0, 1], [2.0, 2.0])  # tied lifts: by column
    assert naming_tags(np.array([1.0, 1.0, 0.0]), base) == ([1, 0], [4.0, 2.0])
    assert naming_tags(base, base) == ([], [])  # the whole map: nothing stands out
    assert naming_tags(np.array([0.2, 0.2, 0.0]), base) == ([], [])  # too few of the cluster's manga


def test_label_sample_is_seeded():
    assert sample_points(100, 1).tolist() == list(range(100))
    a, b = sample_points(50_000, 3, size=100), sample_points(50_000, 3, size=100)
    assert np.array_equal(a, b) and len(np.unique(a)) == 100 and (np.diff(a) > 0).all()


def test_map_files_round_trip_and_follow_the_contract(fitted, lists, demo_catalogue):
    n = len(demo_catalogue)
    maps = project_models(fitted, lists, n, FAST, seed=1, groups=demo_catalogue.tag_groups)
    out = map_files(demo_catalogue, maps, FAST, 1)
    index = json.loads(json_text(out["index"]))
    contract.check("projections", index)
    assert index["manga"] == n and index["methods"] == ["pca"] and index["demographics"] == list(DEMOGRAPHICS)
    assert [m["name"] for m in index["models"]] == [m.name for m in fitted]
    first = index["models"][0]["maps"]  # the page's default map is file 0: it fetches it with the index
    assert first[next(m for m in index["methods"] if m in first)]["file"] == 0
    assert index["tags"] == [{"name": t.name, "group": t.group} for t in demo_catalogue.tags]
    for per, entry in zip(maps, index["models"]):
        blob = out["files"][contract.FILES["map"].name(entry["maps"]["pca"]["file"])]
        assert len(blob) == 16 + 4 * n and blob[:4] == b"MRMP" and blob[4] == contract.FILES["map"].version
        assert np.abs(unpack_map(blob) - per[0].coords).max() <= 1 / 65535 + 1e-12
    manga = gzip.decompress(out["files"][contract.FILES["map_manga"].name()])
    assert manga[:4] == b"MRMT" and int.from_bytes(manga[8:12], "little") == n
    # the index repeats the manga file's demographics, one digit each: the first map needs no more
    assert [int(c) for c in index["demographic"]] == list(manga[16:16 + n])
    assert len(set(index["demographic"])) > 1


def test_manga_file_holds_demographics_and_tag_lists():
    blob = pack_manga([[0, 5], [], [2]], ["seinen", "", "unknown"], n_tags=80, follows=[0, 1, 1023])
    assert blob[:4] == b"MRMT" and blob[4] == contract.FILES["map_manga"].version and blob[5] == 1
    count, total = int.from_bytes(blob[8:12], "little"), int.from_bytes(blob[12:16], "little")
    assert (count, total) == (3, 3)
    body = list(blob[16:])
    # demographics, tag counts, popularity (8 steps a doubling), tags
    assert body == [DEMOGRAPHICS.index("seinen"), 0, 0, 2, 0, 1, 0, 8, 80, 0, 5, 2]
    assert pack_manga([[300]], [""], n_tags=400)[5] == 2  # two bytes a tag past 255 tags


def test_pack_map_quantises_the_box_to_16_bits():
    blob = pack_map(np.array([[-1.0, 1.0], [0.0, 0.5]]))
    q = np.frombuffer(blob[16:], dtype="<u2")
    assert q.tolist() == [0, 32768, 65535, 49151]  # x column, then y column


def test_umap_epochs_fall_for_large_maps_unless_set():
    assert umap_epochs(0, 5_000) == umap_epochs(0, 10_000) == 100
    assert umap_epochs(0, 10_001) == umap_epochs(0, 200_000) == 60
    assert umap_epochs(0, 200_001) == umap_epochs(0, 1_000_000) == 40
    assert umap_epochs(150, 1_000_000) == 150  # a configured number is taken as it is


def test_config_checks_every_projection_field():
    bad = replace(BuildConfig(), **{"projection.size": -1, "projection.method": "tsne", "projection.n_neighbors": 1,
                                    "projection.min_dist": 2.0, "projection.n_epochs": -1,
                                    "projection.umap_models": ("nope",)})
    with pytest.raises(ConfigError) as err:
        validate(bad)
    for field in ("size", "method", "n_neighbors", "min_dist", "n_epochs", "umap_models"):
        assert f"'projection.{field}'" in str(err.value)


def test_the_build_s_map_job_gives_the_maps_laid_out_in_one_go_with_labels(demo_catalogue):
    """The build's job (a PCA map, then the UMAP map started from it) equals :func:`lay_out`."""
    from sitegen.mapjobs import labelled_maps

    config = replace(BuildConfig(seed=3), **{"models.names": ("word2vec",), "projection.n_epochs": 20})
    model = REGISTRY["word2vec"].from_config(config).fit(demo_catalogue)
    lists = search(model, len(demo_catalogue), 20, method="exact", groups=demo_catalogue.tag_groups)
    inputs = map_inputs(model, lists, len(demo_catalogue), config.projection, demo_catalogue.tag_groups)
    job = labelled_maps(model, inputs, demo_catalogue, config)
    whole = lay_out(model, inputs, config.projection, config.seed)
    assert [p.method for p in job] == ["umap", "pca"]
    for a, b in zip(job, whole):
        np.testing.assert_array_equal(a.coords, b.coords)
        assert a.labels == cluster_labels(b.coords, demo_catalogue.matrix, config.seed)
