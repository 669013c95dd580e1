"""The network models are exact: scalable forms against the dense definitions.

The catalogue is synthetic plus two awkward corners: a manga with a tag nobody else has (an
isolated node, degree 0) and two manga linked only to each other (a second component, so the
normalized adjacency has eigenvalue 1 twice). Ties are common, so neighbour lists are compared
by tie-aware recall: a neighbour counts when it is as close as the true k-th nearest.
"""

from __future__ import annotations

import uuid

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import eigsh

from sitegen.analysis.neighbours import exact
from sitegen.models.network import AdjacencyCosine, SpectralEmbedding, laplacian_factors, row_products
from sitegen.models.secular import pair_matrix, top_eigenpairs
from sitegen.sources.catalogue import Catalogue, Manga, build_catalogue
from sitegen.sources.vocabulary import Tag
from support import dense
from support.helpers import awkward_catalogue

K = 20
RECALL = 0.99




@pytest.fixture(scope="module")
def big() -> Catalogue:
    return awkward_catalogue(4000, seed=5)


@pytest.fixture(scope="module")
def small() -> Catalogue:
    return awkward_catalogue(300, seed=9)


@pytest.fixture(scope="module")
def big_adjacency(big):
    return dense.adjacency(big.matrix)


def check_exact(model, catalogue: Catalogue, reference: np.ndarray) -> None:
    """Neighbours tie-aware equal to the dense reference's, and distance rows equal to it."""
    n = len(catalogue)
    found = exact(model.fit(catalogue), n, K, progress=False)
    assert dense.tie_aware_recall(found.indices, reference, K) >= RECALL
    rows = np.array([0, 1, n // 2, n - 3, n - 2, n - 1])
    got = model.distances(rows).astype(np.float64)
    want = reference[rows]
    want[np.arange(len(rows)), rows] = 0
    np.testing.assert_allclose(got, want, atol=2e-5)


def test_row_products_are_inner_products_of_rows():
    rng = np.random.default_rng(0)
    b = rng.random((60, 7)) * (rng.random((60, 7)) < 0.4)
    b[3] = 0  # a manga without tags
    a = dense.adjacency(b)
    d = np.einsum("ij,ij->i", b, b)
    scaled, e, _ = laplacian_factors(sp.csr_matrix(b))
    for x, (c, sigma, delta) in ((a, (b, 1.0, -d)), (dense.normalized_laplacian(a), (scaled.toarray(), -1.0, e))):
        queries, keys, sq = row_products(c, sigma, delta)
        gram, got = x @ x.T, queries @ keys.T
        off = ~np.eye(len(b), dtype=bool)
        np.testing.assert_allclose(got[off], gram[off], atol=1e-12 * np.abs(gram).max())
        np.testing.assert_allclose(sq, np.diag(gram), atol=1e-12 * np.abs(gram).max())


def test_pair_matrix_gives_weighted_grams():
    rng = np.random.default_rng(1)
    c = sp.random(50, 6, density=0.3, random_state=2, format="csr")
    s = rng.random((50, 3))
    got = (pair_matrix(c) @ s).T.reshape(3, 6, 6)
    for j in range(3):
        np.testing.assert_allclose(got[j], (c.T @ sp.diags(s[:, j]) @ c).toarray(), atol=1e-12)


def test_adjacency_cosine_is_exact(big, big_adjacency):
    check_exact(AdjacencyCosine(), big, dense.row_distances(big_adjacency, "cosine"))


def test_spectral_eigenpairs_match_full_eigh_with_a_repeated_eigenvalue(small):
    model = SpectralEmbedding(dims=12).fit(small)
    values, vectors = dense.spectral_vectors(dense.adjacency(small.matrix), 12)
    np.testing.assert_allclose(model.eigenvalues_, values, atol=1e-10)
    assert np.isclose(values[1], 1.0)  # the pair's own component
    overlap = np.linalg.svd(model.embedding_.astype(np.float64).T @ vectors, compute_uv=False)
    np.testing.assert_allclose(overlap, 1.0, atol=1e-6)


def test_spectral_embedding_is_exact(big, big_adjacency):
    n = len(big)
    adjacency = dense.normalized_adjacency(big_adjacency)
    values, vectors = eigsh(adjacency, k=16, which="LA", v0=np.ones(n), tol=1e-13)
    order = np.argsort(values)[::-1]
    model = SpectralEmbedding(dims=16)
    check_exact(model, big, dense.row_distances(vectors[:, order], "cosine"))
    np.testing.assert_allclose(model.eigenvalues_, values[order], atol=1e-10)


def test_top_eigenpairs_of_the_adjacency_itself():
    rng = np.random.default_rng(3)
    b = (rng.random((200, 9)) < 0.3).astype(float)
    d = b.sum(axis=1)
    values, vectors = top_eigenpairs(b, d, 5)
    full_values, full_vectors = np.linalg.eigh(dense.adjacency(b))
    np.testing.assert_allclose(values, full_values[::-1][:5], rtol=1e-12)
    overlap = np.abs(np.sum(vectors * full_vectors[:, ::-1][:, :5], axis=0))
    np.testing.assert_allclose(overlap, 1.0, atol=1e-8)


def test_a_catalogue_without_links_gives_distances_not_nan():
    tags = [Tag(str(uuid.UUID(int=j + 1)), f"t{j}", "theme") for j in range(4)]
    manga = [Manga(id=str(uuid.UUID(int=50 + j)), title=f"m{j}", tag_ids=(t.id,)) for j, t in enumerate(tags)]
    catalogue = build_catalogue(manga, {t.id: t for t in tags})
    for cls in (AdjacencyCosine, SpectralEmbedding):
        model = cls().fit(catalogue)
        d = model.distances(np.arange(4))
        assert np.isfinite(d).all() and np.isfinite(model.embedding_).all(), cls.name
        off = ~np.eye(4, dtype=bool)
        assert np.allclose(d[off], 1.0), cls.name  # zero rows: cosine 1


def test_tie_aware_recall_treats_ties_as_interchangeable():
    reference = np.array([[0, 1, 1, 2], [1, 0, 3, 3], [1, 3, 0, 2], [2, 3, 2, 0]], dtype=float)
    assert dense.tie_aware_recall(np.array([[2], [0], [0], [2]]), reference, 1) == 1.0
    assert dense.tie_aware_recall(np.array([[3], [0], [0], [2]]), reference, 1) == 0.75
