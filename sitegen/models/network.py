"""Network models on the manga-manga graph, computed exactly from the manga x tag matrix.

Two manga are linked by the number of tags they share: ``A = B B^T - diag(d)`` with ``B`` the
binary manga x tag matrix and ``d_i = |b_i|^2`` each manga's tag count, so ``A`` has a zero
diagonal. With 64k manga ``A`` would take 15.5 GiB, but ``B`` has only ``m`` (~77) columns, so
every quantity these models need is a product of rows of ``B`` with ``m x m`` matrices:

* rows of ``X = sigma C C^T + diag(delta)`` (the adjacency: ``C = B, sigma = 1, delta = -d``; the
  normalized Laplacian: ``C = D^-1/2 B, sigma = -1``) have inner products
  ``x_i . x_j = c_i^T K c_j + sigma (delta_i + delta_j) c_i . c_j`` for ``i != j`` with
  ``K = C^T C``: an inner product of a query and a key of ``2 m`` numbers each;
* the top eigenpairs of ``C C^T - diag(w)`` solve a secular equation in an ``m x m`` matrix
  (:mod:`sitegen.models.secular`).

No ``n x n`` matrix is ever built; :mod:`support.dense` holds the dense definitions the
tests compare against. The Laplacian models live in :mod:`sitegen.models.laplacian`: they
compare manga through the Laplacian's pseudo-inverse (commute times), because its rows compared
directly rank manga that share a tag last (:func:`support.dense.laplacian_rows`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar

import numba
import numpy as np
import scipy.sparse as sp

from ..linalg import fixed_signs
from ..params import Param, at_least
from .base import Model
from .secular import top_eigenpairs
from .sparse_keys import SparseKeys, SparseProduct

if TYPE_CHECKING:
    from typing import Self

    from ..sources.catalogue import Catalogue

log = logging.getLogger(__name__)

def tag_matrix(catalogue: Catalogue | sp.spmatrix) -> sp.csr_matrix:
    """The catalogue's binary manga x tag matrix ``B`` as float64 CSR, shape (n, m), from the
    catalogue or its ``matrix`` (which a fitted model keeps to make its search state)."""
    return sp.csr_matrix(catalogue if sp.issparse(catalogue) else catalogue.matrix, dtype=np.float64)


def degrees(b: sp.spmatrix) -> np.ndarray:
    """Weighted degree of each manga in ``A = B B^T - diag(|b_i|^2)``, shape (n,).

    ``A 1 = B (B^T 1) - d``: each manga's tags' column totals, minus its own tags.
    """
    b = sp.csr_matrix(b)
    own = np.asarray(b.multiply(b).sum(axis=1)).ravel()
    totals = np.asarray(b.sum(axis=0)).ravel()
    return np.maximum(b @ totals - own, 0.0)


def row_products(
    c: np.ndarray, sigma: float, delta: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Queries and keys whose inner products are those of rows of ``X = sigma C C^T + diag(delta)``.

    Parameters
    ----------
    c : ndarray, shape (n, m)
    sigma : float
        +1 or -1.
    delta : ndarray, shape (n,)

    Returns
    -------
    queries, keys : ndarray, shape (n, 2 m)
        ``queries[i] . keys[j] = x_i . x_j`` for ``i != j``.
    sq : ndarray, shape (n,)
        ``|x_i|^2 = c_i^T K c_i + 2 sigma delta_i |c_i|^2 + delta_i^2``.
    """
    kc = c @ (c.T @ c)
    queries = np.hstack([kc + sigma * delta[:, None] * c, sigma * c])
    keys = np.hstack([c, delta[:, None] * c])
    sq = np.einsum("ij,ij->i", kc, c) + 2 * sigma * delta * np.einsum("ij,ij->i", c, c) + delta**2
    return queries, keys, np.maximum(sq, 0.0)


def cosine_pair(queries: np.ndarray, keys: np.ndarray, sq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Augment so that one product gives ``1 - cos``; zero rows come out at distance 1.

    Parameters
    ----------
    queries, keys : ndarray, shape (n, p)
    sq : ndarray, shape (n,)
        Squared norms of the rows the queries and keys stand for.

    Returns
    -------
    ndarray, ndarray : shape (n, p + 1), float32
    """
    norms = np.sqrt(sq)
    inv = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)[:, None]
    ones = np.ones((len(sq), 1))
    return (
        np.hstack([-queries * inv, ones]).astype(np.float32),
        np.hstack([keys * inv, ones]).astype(np.float32),
    )


def euclidean_pair(
    queries: np.ndarray, keys: np.ndarray, sq: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Augment so that one product gives ``|x_i - x_j|^2 = sq_i + sq_j - 2 x_i . x_j``.

    Returns
    -------
    ndarray, ndarray : shape (n, p + 2), float32
    """
    ones = np.ones((len(sq), 1))
    return (
        np.hstack([-2.0 * queries, sq[:, None], ones]).astype(np.float32),
        np.hstack([keys, ones, sq[:, None]]).astype(np.float32),
    )


def row_sparse_keys(c: np.ndarray, delta: np.ndarray, sq: np.ndarray, keys: np.ndarray, *,
                    cosine: bool) -> SparseKeys:
    """The keys of :func:`cosine_pair` or :func:`euclidean_pair` over :func:`row_products` as
    :class:`SparseKeys`: ``[c_j, delta_j c_j]`` (scaled by ``1 / |x_j|`` for cosine), then the
    augmented columns as they are."""
    scale = np.divide(1.0, np.sqrt(sq), out=np.zeros_like(sq), where=sq > 0) if cosine else np.ones(len(sq))
    cs = sp.csr_matrix(c)
    scaled = sp.hstack([cs.multiply(scale[:, None]), cs.multiply((delta * scale)[:, None])], format="csr")
    m = cs.shape[1]
    return SparseKeys.from_parts(scaled, np.eye(2 * m), keys[:, 2 * m:])


def gram_coordinates(c: np.ndarray) -> np.ndarray:
    """Coordinates whose inner products are those of rows of ``C C^T``, shape (n, rank) float32.

    Row ``i`` of ``C C^T`` is ``C c_i``; ``(C c_i) . (C c_j) = c_i^T V L V^T c_j`` with
    ``C^T C = V L V^T``, so ``c_i^T V L^1/2`` is an isometric copy in at most ``m`` dimensions.
    """
    vals, vecs = np.linalg.eigh(c.T @ c)
    keep = vals > 1e-12 * max(vals.max(initial=0.0), 1e-300)
    coords = c @ (vecs[:, keep] * np.sqrt(vals[keep]))
    return fixed_signs(coords[:, ::-1]).astype(np.float32)


def laplacian_factors(b: sp.spmatrix) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """Factors of the normalized Laplacian ``L = I - D^-1/2 A D^-1/2 = diag(e) - C C^T``.

    Isolated manga (degree 0) get ``D^-1/2 = 0`` and a zero row, as in
    ``scipy.sparse.csgraph.laplacian(normed=True)``.

    Returns
    -------
    c : sparse matrix, shape (n, m)
        ``D^-1/2 B``.
    e : ndarray, shape (n,)
        Diagonal of ``L + C C^T``: ``1 + d_i / deg_i``, or 0 for an isolated manga.
    w : ndarray, shape (n,)
        ``d_i / deg_i``: the diagonal removed from ``C C^T`` to give ``D^-1/2 A D^-1/2``.
    """
    b = sp.csr_matrix(b)
    deg = degrees(b)
    s = np.divide(1.0, np.sqrt(deg), out=np.zeros_like(deg), where=deg > 0)
    c = sp.csr_matrix(b.multiply(s[:, None]))
    w = np.asarray(c.multiply(c).sum(axis=1)).ravel()
    return c, np.where(deg > 0, 1.0 + w, 0.0), w


@numba.njit(parallel=True, cache=True, nogil=True)
def _sqrt_clipped(out):  # pragma: no cover - compiled
    """``sqrt(max(x, 0))`` in place, one pass: rounding can leave a square just below zero."""
    for i in numba.prange(out.shape[0]):
        for j in range(out.shape[1]):
            v = out[i, j]
            out[i, j] = np.sqrt(v) if v > 0 else 0


class QueryKeyModel(Model):
    """A model whose distance block is one product ``queries_[rows] @ keys_.T``, then a finish.

    ``queries_`` and ``keys_`` (float32, augmented so that the product is the distance, or its
    square for ``finish = "sqrt"``), and the rest of :attr:`search_only`, are made when first read,
    by :meth:`_search_state` from what ``fit`` left in ``_search_from_``, and let go once the model
    is searched (:meth:`release_search_state`). The build fits every model first and searches them
    one at a time: made in the fit, the search state of the network models waiting for their turn
    (2 x n x ~80 float32 each, 4 GB together at 1,000,000 manga) was held at once. Made from the
    same inputs by the same code, it is the same whenever it is made. ``fit`` fills ``embedding_``.
    """

    metric = "custom"
    finish: ClassVar[str] = "none"  # "none", "sqrt" (the product is a squared distance), "cap1"
    # Twins (the same tag set) have the same query and key, so the same row but for the diagonal:
    # swapping them maps the network onto itself, so every two of a set are as far apart as the
    # off-diagonal formula says for one of them with itself (``twin_diagonal``).
    rows_by_tag_set = True

    queries_: np.ndarray
    keys_: np.ndarray
    #: ``keys_`` as a sparse matrix times a small basis, when the model has them (else None): the
    #: exact search then makes its distances from them (:mod:`sitegen.analysis.sparse_scan`).
    sparse_keys_: SparseKeys | None
    #: What :meth:`_search_state` makes; all of it is let go after the search.
    search_only: ClassVar[tuple[str, ...]] = ("queries_", "keys_", "sparse_keys_")
    #: Also made by :meth:`_search_state`, and kept after the search (a few numbers).
    search_made: ClassVar[tuple[str, ...]] = ()

    def _search_state(self, source: Any) -> dict[str, Any]:
        """The attributes of :attr:`search_only` (and of :attr:`search_made`), from ``source``,
        what ``fit`` left in ``_search_from_``."""
        raise NotImplementedError

    def __getattr__(self, name: str) -> Any:
        # reached only for an attribute not set: the search state is made when first read
        if name in self.search_only + self.search_made and self._search_ready() and name in self.__dict__:
            return self.__dict__[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _search_ready(self) -> bool:
        """Make the search state if it is still to be made; whether the model has it."""
        source = self.__dict__.pop("_search_from_", None)
        if source is not None:
            self.__dict__.update(self._search_state(source))
        return "queries_" in self.__dict__

    def release_search_state(self) -> None:
        super().release_search_state()
        for name in (*self.search_only, "_search_from_"):
            self.__dict__.pop(name, None)

    def sparse_product(self) -> SparseProduct | None:
        """The distance block as ``queries_`` times :attr:`sparse_keys_`, for the exact search over
        sparse keys (:mod:`sitegen.analysis.sparse_scan`); None without them or for a distance
        that is not symmetric."""
        if not self._search_ready() or self.sparse_keys_ is None or not self.symmetric:
            return None
        return SparseProduct(self.queries_, self.sparse_keys_)

    def distances(self, rows: np.ndarray, cols: np.ndarray | None = None, *, twin_diagonal: bool = False) -> np.ndarray:
        if not self._search_ready():
            raise RuntimeError(f"model {self.name!r}: distances asked for after its search state was released")
        rows = np.asarray(rows)
        out = self.queries_[rows] @ (self.keys_ if cols is None else self.keys_[cols]).T
        if self.finish == "sqrt":
            _sqrt_clipped(out)
        elif self.finish == "cap1":
            # scores clipped at zero all become "no edge": distance 1, listed after every edge
            np.minimum(out, 1, out=out)
        # The off-diagonal formulas do not hold on the diagonal, where a manga is at 0 from itself;
        # there they give the distance to a twin, which is what a row shared by twins needs.
        if not twin_diagonal:
            at, where = self_positions(rows, cols)
            out[at, where] = 0
        return out


def self_positions(rows: np.ndarray, cols: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Where each of ``rows`` sits among ``cols`` (distinct; every manga when ``None``).

    Returns
    -------
    at, where : ndarray of int
        Row positions and the column positions holding the same manga, for rows found in ``cols``.
    """
    rows = np.asarray(rows)
    if cols is None:
        return np.arange(len(rows)), rows
    order = np.argsort(cols, kind="stable")
    found = np.minimum(np.searchsorted(cols[order], rows), len(cols) - 1)
    hit = np.flatnonzero(cols[order][found] == rows) if len(cols) else np.zeros(0, dtype=np.int64)
    return hit, order[found[hit]]


class _RowModel(QueryKeyModel):
    """Rows of ``X = sigma C C^T + diag(delta)`` compared by cosine, or euclidean (``finish="sqrt"``)."""

    symmetric_distance = True

    def _factors(self, b: sp.csr_matrix) -> tuple[np.ndarray, float, np.ndarray]:
        """``C`` (dense), ``sigma`` and ``delta`` of the matrix whose rows are compared."""
        raise NotImplementedError

    def fit(self, catalogue: Catalogue) -> Self:
        c, _, _ = self._factors(tag_matrix(catalogue))
        # the map shows the rank-m part C C^T; the diagonal only matters to exact distances
        self.embedding_ = gram_coordinates(c)
        self._search_from_ = catalogue.matrix  # C is n x m float64: made again for the search
        return self

    def _search_state(self, source: sp.spmatrix) -> dict[str, Any]:
        c, sigma, delta = self._factors(tag_matrix(source))
        augment = euclidean_pair if self.finish == "sqrt" else cosine_pair
        queries, keys, sq = row_products(c, sigma, delta)
        queries, keys = augment(queries, keys, sq)
        return {"queries_": queries, "keys_": keys,
                "sparse_keys_": row_sparse_keys(c, delta, sq, keys, cosine=augment is cosine_pair)}


class AdjacencyCosine(_RowModel):
    """Structural equivalence: manga whose rows of ``A`` (zero diagonal) point the same way."""

    name = "adjacency_cosine"
    label = "Adjacency (cosine)"
    summary = "rows of the shared-tag manga network compared by cosine, exact without the n x n matrix"

    def _factors(self, b: sp.csr_matrix) -> tuple[np.ndarray, float, np.ndarray]:
        return b.toarray(), 1.0, -np.asarray(b.multiply(b).sum(axis=1)).ravel()


class SpectralEmbedding(Model):
    """Top eigenvectors of the normalized adjacency ``D^-1/2 A D^-1/2``, rows compared by cosine.

    This is the Ng-Jordan-Weiss spectral embedding (cosine equals comparing row-normalized
    eigenvector rows). The eigenpairs are exact, from a secular equation in ``m x m`` matrices.

    Parameters
    ----------
    dims : int
        Eigenvectors kept (fewer when fewer eigenvalues are positive).
    """

    name = "spectral"
    label = "Spectral embedding"
    metric = "cosine"
    rows_by_tag_set = True  # an eigenvector's entry is a function of the manga's row of C
    summary = "top eigenvectors of the normalized manga network, cosine between manga"

    params = {"dims": Param(16, "eigenvectors of the normalized manga network kept", at_least(1))}

    def fit(self, catalogue: Catalogue) -> Self:
        c, _, w = laplacian_factors(tag_matrix(catalogue))
        self.eigenvalues_, vectors = top_eigenpairs(c, w, self.dims)
        if not vectors.shape[1]:  # no edge at all: one zero column, every manga at distance 1
            vectors = np.zeros((c.shape[0], 1))
        self.embedding_ = vectors.astype(np.float32)
        log.info("spectral: eigenvalues %s", np.array2string(self.eigenvalues_, precision=4))
        return self

    def sparse_terms(self) -> tuple[sp.csr_matrix, np.ndarray]:
        """``embedding_`` itself through an identity basis: with a few numbers a manga, the
        compiled scan, which never writes a block of distances out, is still twice as fast as the
        dense product (110,000 manga: 4.6 s against 9.3 s)."""
        return sp.csr_matrix(self.embedding_, dtype=np.float64), np.eye(self.embedding_.shape[1])
