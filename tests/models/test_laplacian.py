"""The Laplacian models are exact: commute times through the pseudo-inverse, against dense pinv.

The scalable forms never build the n x n pseudo-inverse; the reference is ``np.linalg.pinv`` of
the dense normalized Laplacian (:func:`support.dense.commute_distances`). The models
report an increasing affine map of the commute time (or of ``1 - cos``) per component, so the
reference goes through the same map, with the model's constants, before it is compared.
"""

from __future__ import annotations

import uuid

import numpy as np
import pytest
from scipy.sparse.csgraph import connected_components

from sitegen.analysis.neighbours import exact
from sitegen.models import REGISTRY
from sitegen.models.commute import commute_factors
from sitegen.models.laplacian import LaplacianCosine, LaplacianEuclidean
from sitegen.sources import synthetic
from sitegen.sources.catalogue import Catalogue, Manga, build_catalogue, parse_lines
from sitegen.sources.vocabulary import Tag
from support import dense

K = 20
RECALL = 0.99
METRIC = {LaplacianEuclidean: "euclidean", LaplacianCosine: "cosine"}


def tiny_catalogue(groups: list[list[tuple[int, ...]]], n_tags: int) -> Catalogue:
    """Manga given as tuples of tag numbers, one list per intended group, in catalogue order."""
    tags = [Tag(str(uuid.UUID(int=t + 1)), f"t{t}", "theme") for t in range(n_tags)]
    manga = [
        Manga(id=str(uuid.UUID(int=1000 + i)), title=f"m{i}", tag_ids=tuple(tags[t].id for t in tagset))
        for i, tagset in enumerate(ts for group in groups for ts in group)
    ]
    return build_catalogue(manga, {t.id: t for t in tags})


def reference(model, catalogue: Catalogue) -> np.ndarray:
    """The dense pseudo-inverse's distances through the model's own affine map, shape (n, n)."""
    a = dense.adjacency(catalogue.matrix)
    raw = dense.commute_distances(a, METRIC[type(model)])
    labels = model.factors_.labels
    lower = np.where(labels >= 0, model.lower_[np.maximum(labels, 0)], 0.0)
    scale = np.where(labels >= 0, model.scale_[np.maximum(labels, 0)], 1.0)
    out = (raw - lower[:, None]) / scale[:, None]
    out[np.isinf(raw)] = model.far_
    np.fill_diagonal(out, 0.0)
    return out


@pytest.fixture(scope="module")
def mid() -> Catalogue:
    manga, vocabulary, _ = parse_lines(synthetic.lines(synthetic.generate(2000, seed=1)))
    # without the demo's manga that have no tags: one connected network, as the test below needs
    return build_catalogue([m for m in manga if m.tag_ids], vocabulary, synthetic=True)


@pytest.fixture(scope="module")
def mid_pinv(mid) -> np.ndarray:
    lap = dense.normalized_laplacian(dense.adjacency(mid.matrix))
    return np.linalg.pinv(lap, rcond=1e-10, hermitian=True)


@pytest.fixture(scope="module")
def split() -> Catalogue:
    """Two components (four manga on tags 0-2, a triangle on tag 3), a manga whose only tag
    nobody else has, and a manga with no tag at all."""
    return tiny_catalogue([[(0, 1), (0,), (1, 2), (2,)], [(3,), (3,), (3,)], [(4,), ()]], n_tags=5)


def test_literal_laplacian_rows_push_linked_manga_apart():
    # why the rows of L are not a model: the identities dense.laplacian_rows documents
    rng = np.random.default_rng(5)
    a = dense.adjacency((rng.random((40, 6)) < 0.3).astype(float))
    a = a[a.sum(axis=1) > 0][:, a.sum(axis=1) > 0]
    lap, adj = dense.normalized_laplacian(a), dense.normalized_adjacency(a)
    i, j = np.triu_indices(len(a), 1)
    np.testing.assert_allclose(
        ((lap[i] - lap[j]) ** 2).sum(axis=1), 2 + 4 * adj[i, j] + ((adj[i] - adj[j]) ** 2).sum(axis=1)
    )
    np.testing.assert_allclose((lap[i] * lap[j]).sum(axis=1), (adj @ adj)[i, j] - 2 * adj[i, j], atol=1e-12)
    literal = dense.laplacian_rows(a, "euclidean")
    np.testing.assert_allclose(literal[i, j] ** 2, ((lap[i] - lap[j]) ** 2).sum(axis=1))


def test_commute_times_list_manga_that_share_tags_and_literal_rows_do_not(demo_catalogue):
    # the literal rows are kept out of the registry for this; the models take their place
    n = len(demo_catalogue)
    a = dense.adjacency(demo_catalogue.matrix)
    literal = dense.laplacian_rows(a, "euclidean")
    np.fill_diagonal(literal, np.inf)
    nearest = np.argsort(literal, axis=1, kind="stable")[:, :10]
    assert (np.take_along_axis(a, nearest, axis=1) > 0).mean() < 0.05
    for cls in (LaplacianEuclidean, LaplacianCosine):
        found = exact(cls().fit(demo_catalogue), n, 10, progress=False).indices
        assert (np.take_along_axis(a, found.astype(np.intp), axis=1) > 0).mean() > 0.95, cls.name
    assert all(cls.__module__ != dense.__name__ for cls in REGISTRY.values())


def test_registry_keeps_names_and_places():
    names = list(REGISTRY)
    assert REGISTRY["laplacian_euclidean"] is LaplacianEuclidean
    assert REGISTRY["laplacian_cosine"] is LaplacianCosine
    assert names.index("laplacian_euclidean") == names.index("adjacency_cosine") + 1
    assert names.index("laplacian_cosine") == names.index("laplacian_euclidean") + 1
    assert LaplacianEuclidean.label == "Laplacian (commute time)"
    assert LaplacianCosine.label == "Laplacian (cosine)"


def test_factors_give_the_pseudo_inverse(mid, mid_pinv):
    f = commute_factors(mid.matrix)
    low = -(f.vectors * f.weights) @ f.vectors.T
    np.fill_diagonal(low, f.diagonal)
    np.testing.assert_allclose(low, mid_pinv, atol=1e-10)
    assert f.condition < 1e3 and len(f.weights) <= mid.matrix.shape[1] + f.components


@pytest.mark.parametrize("cls", [LaplacianEuclidean, LaplacianCosine])
def test_models_are_exact(cls, mid, mid_pinv):
    model = cls().fit(mid)
    n = len(mid)
    a = dense.adjacency(mid.matrix)
    assert connected_components(a > 0, directed=False)[0] == 1 and (a.sum(axis=1) > 0).all()
    # one component: the reference is the pinv's distances through the model's affine map
    p = np.diag(mid_pinv)
    if cls is LaplacianEuclidean:
        raw = p[:, None] + p[None, :] - 2 * mid_pinv
    else:
        raw = 1 - mid_pinv / np.sqrt(np.outer(p, p))
    ref = (raw - model.lower_[0]) / model.scale_[0]
    np.fill_diagonal(ref, 0.0)
    assert ref[~np.eye(n, dtype=bool)].min() > 0  # the lower bound holds
    found = exact(model, n, K, progress=False)
    assert dense.tie_aware_recall(found.indices, ref, K) >= RECALL
    rows = np.array([0, 1, n // 2, n - 1])
    np.testing.assert_allclose(model.distances(rows), ref[rows], atol=2e-5)
    # what the map is for: the neighbours are ranked finely enough for the tie grid
    assert (np.diff(found.distances, axis=1) == 0).mean() < 0.5


@pytest.mark.parametrize("cls", [LaplacianEuclidean, LaplacianCosine])
def test_components_and_isolated_manga(cls, split):
    n = len(split)
    model = cls().fit(split)
    f = model.factors_
    assert f.components == 2 and (~f.linked).sum() == 2
    ref = reference(model, split)
    d = model.distances(np.arange(n)).astype(np.float64)
    assert np.isfinite(d).all() and np.isfinite(model.embedding_).all()
    np.testing.assert_allclose(d, ref, atol=1e-5)
    labels, off = f.labels, ~np.eye(n, dtype=bool)
    apart = ((labels[:, None] != labels[None, :]) | (labels[:, None] < 0)) & off
    np.testing.assert_allclose(d[apart], model.far_, rtol=1e-6)
    assert d[~apart & off].max() < model.far_
    assert d[off].min() >= 0
    found = exact(model, n, n - 1, progress=False)
    for i in np.flatnonzero(labels < 0):  # an isolated manga lists everyone, by catalogue order
        np.testing.assert_array_equal(found.indices[i], np.delete(np.arange(n), i))
    for i in np.flatnonzero(labels >= 0):  # its own component first
        size = int((labels == labels[i]).sum()) - 1
        assert (labels[found.indices[i, :size]] == labels[i]).all()


def test_factors_against_pinv_on_the_split_catalogue(split):
    f = commute_factors(split.matrix)
    pinv = np.linalg.pinv(dense.normalized_laplacian(dense.adjacency(split.matrix)), hermitian=True)
    low = -(f.vectors * f.weights) @ f.vectors.T
    np.fill_diagonal(low, f.diagonal)
    np.testing.assert_allclose(low, pinv, atol=1e-12)


def test_a_nearly_cut_network_stays_exact_and_reports_its_condition():
    # two groups of 30 joined by one manga carrying both tags: a small spectral gap
    cat = tiny_catalogue([[(0,)] * 30, [(1,)] * 30, [(0, 1)]], n_tags=2)
    f = commute_factors(cat.matrix)
    lap = dense.normalized_laplacian(dense.adjacency(cat.matrix))
    vals = np.linalg.eigvalsh(lap)
    gap = vals[vals > 1e-9].min()
    assert 1 / gap > 10  # the case this test is about
    assert f.condition <= 4 / min(gap, 1.0) + 1e-9
    low = -(f.vectors * f.weights) @ f.vectors.T
    np.fill_diagonal(low, f.diagonal)
    np.testing.assert_allclose(low, np.linalg.pinv(lap, rcond=1e-10, hermitian=True), atol=1e-10)


def test_a_catalogue_without_links_gives_every_manga_at_one_distance():
    cat = tiny_catalogue([[(0,), (1,), (2,), ()]], n_tags=3)
    for cls in (LaplacianEuclidean, LaplacianCosine):
        model = cls().fit(cat)
        d = model.distances(np.arange(4))
        off = ~np.eye(4, dtype=bool)
        assert np.isfinite(d).all() and np.isfinite(model.embedding_).all(), cls.name
        assert np.allclose(d[off], model.far_) and model.far_ > 0, cls.name
