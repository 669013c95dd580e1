"""Removing indirect effects from the manga network: deconvolution and global silencing.

The shared-tag network ``A = B B^T - diag(d)`` is all indirect (manga meet through tags). Both
methods below turn it into a network of "direct" links. Their dense definitions
(``tests/support/dense.py``) need ``n x n`` inverses; here both are exact for the full
catalogue because ``A`` is a diagonal plus a rank-``m`` matrix, so the Woodbury identity moves
every inverse into an ``m x m`` core and each entry of the result is an inner product of
``m``-vectors.

Both results are scores (larger = more direct); as in the write-up, the diagonal is zeroed,
negative scores are clipped to zero and the rest is divided by the largest. A manga's
neighbours are ranked by distance ``1 - score / max``. Every clipped score becomes distance 1:
"no direct link". Such manga tie below every manga with a link and, like all ties, are listed
by catalogue order (most followed first), which is how a manga with fewer than ``k`` direct
links gets a full neighbour list.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, NamedTuple

import numba
import numpy as np
import scipy.linalg as la
import scipy.sparse as sp

from ..linalg import fixed_signs
from ..params import Param, between
from .network import QueryKeyModel, degrees, self_positions, tag_matrix
from .secular import top_eigenpairs
from .sparse_keys import SparseKeys, SparseProduct

if TYPE_CHECKING:
    from typing import Self

    from ..sources.catalogue import Catalogue

log = logging.getLogger(__name__)

EPS = np.finfo(np.float64).eps


def nd_scale(lam_max: float, lam_min: float, beta: float) -> float:
    """Feizi et al.'s factor ``alpha`` that maps the eigenvalues of ``G_dir`` into ``[-beta, beta]``.

    ``alpha lambda / (1 + alpha lambda) <= beta`` for the largest eigenvalue and ``>= -beta`` for
    the smallest; 1 when the graph has no edge.
    """
    bounds = []
    if lam_max > 0:
        bounds.append(beta / ((1.0 - beta) * lam_max))
    if lam_min < 0:
        bounds.append(beta / ((1.0 + beta) * -lam_min))
    return min(bounds) if bounds else 1.0


#: Columns of one product in :func:`_rows_max`: 512 rows by every manga was a 4 GB float64 block at
#: 1,000,000 manga (and the Laplacian and indirect-effect fits' peak: 430 MiB at 110,000).
COLUMN_BLOCK = 65536


def _rows_max(left: np.ndarray, right: np.ndarray, rows: np.ndarray, chunk: int = 512) -> float:
    """``max left[i] . right[j]`` over ``i`` in ``rows`` and every ``j != i``."""
    best = -np.inf
    for start in range(0, len(rows), chunk):
        r = rows[start : start + chunk]
        lr = left[r]
        for first in range(0, len(right), COLUMN_BLOCK):
            prod = lr @ right[first : first + COLUMN_BLOCK].T
            own = np.flatnonzero((r >= first) & (r < first + COLUMN_BLOCK))
            prod[own, r[own] - first] = -np.inf
            best = max(best, float(prod.max()))
            del prod  # before the next block is made
    return best


def max_offdiagonal(queries: np.ndarray, keys: np.ndarray, first: int = 512, budget: int = 8192) -> float:
    """``max_{i != j} q_i . k_j`` without visiting most pairs: exact, or a close upper bound.

    Rows are taken in order of decreasing norm; once the ``t`` longest queries and the ``t``
    longest keys have met everything, every pair left is bounded by Cauchy-Schwarz by the
    product of the next norms, and the search stops as soon as that bound cannot win. If it
    has not stopped after ``budget`` rows (``2 budget n p`` flops), the larger of the best score
    found and that bound is returned: an upper bound, which leaves every ranking unchanged.

    Parameters
    ----------
    queries, keys : ndarray, shape (n, p)

    Returns
    -------
    float
        ``-inf`` for fewer than two rows.
    """
    n = len(queries)
    qn, kn = np.linalg.norm(queries, axis=1), np.linalg.norm(keys, axis=1)
    oq, ok = np.argsort(-qn, kind="stable"), np.argsort(-kn, kind="stable")
    best, done, t = -np.inf, 0, min(first, n)
    while done < n:
        best = max(best, _rows_max(queries, keys, oq[done:t]), _rows_max(keys, queries, ok[done:t]))
        done = t
        bound = qn[oq[t]] * kn[ok[t]] if t < n else -np.inf
        if bound <= best:
            return best
        if t >= budget:
            log.warning("largest score bounded, not found: %.6g <= max <= %.6g", best, bound)
            return bound
        t = min(4 * t, n)
    return best


def score_pair(queries: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Augment scores ``q_i . k_j`` so that one product gives ``1 - score / max``.

    Returns
    -------
    queries, keys : ndarray, shape (n, p + 1), float32
    top : float
        The largest off-diagonal score; when none is positive every distance is 1.
    """
    top = max_offdiagonal(queries, keys)
    ones = np.ones((len(queries), 1))
    scale = 1.0 / top if top > 0 else 0.0
    return (
        np.hstack([-scale * queries, ones]).astype(np.float32),
        np.hstack([keys, ones]).astype(np.float32),
        top,
    )


def deconvolution_factors(b: sp.spmatrix, beta: float) -> tuple[np.ndarray, float, float]:
    """``Q`` with ``G_dir_ij = q_i . q_j`` (``i != j``) for ``G = alpha A``, ``G_dir = G (I + G)^-1``.

    ``alpha`` is Feizi et al.'s scaling with the exact largest eigenvalue of ``A`` and the
    bound ``lambda_min(A) >= -max d`` (``B B^T`` is positive semi-definite). It puts every
    eigenvalue of ``G`` at or above ``-beta / (1 + beta) > -1/2``: ``I + G`` is positive
    definite and no eigenvalue comes near the pole at -1. ``G_dir = I - (I + G)^-1`` and
    ``I + G = E + alpha B B^T`` with ``E = I - alpha diag(d)`` positive, so by Woodbury the
    off-diagonal of ``G_dir`` is ``E^-1 B (I / alpha + B^T E^-1 B)^-1 B^T E^-1``.

    Parameters
    ----------
    b : sparse matrix, shape (n, m)
    beta : float
        In (0, 1).

    Returns
    -------
    q : ndarray, shape (n, m)
    alpha : float
    lam_max : float
        Largest eigenvalue of ``A`` (0 when no eigenvalue is positive).
    """
    dense = b.toarray()
    d = np.einsum("ij,ij->i", dense, dense)
    values, _ = top_eigenpairs(b, d, 1)
    lam_max = float(values[0]) if len(values) else 0.0
    alpha = nd_scale(lam_max, -float(d.max(initial=0.0)), beta)
    e, factor = _deconvolution_core(b, alpha, beta)
    q = la.solve_triangular(factor, (dense / e[:, None]).T, lower=True).T
    return q, alpha, lam_max


def _deconvolution_core(b: sp.spmatrix, alpha: float, beta: float) -> tuple[np.ndarray, np.ndarray]:
    """``e = 1 - alpha d`` and the lower Cholesky factor ``L`` of ``I / alpha + B^T E^-1 B``
    (sparse products: no dense copy of ``B``)."""
    b = sp.csr_matrix(b)
    e = 1.0 - alpha * np.asarray(b.multiply(b).sum(axis=1)).ravel()
    if (e <= 0).any():  # impossible for beta < 1; a guard against misuse, not a code path
        raise ValueError(f"beta={beta} leaves I + G indefinite")
    core = np.eye(b.shape[1]) / alpha + (b.T @ sp.csr_matrix(b.multiply(1.0 / e[:, None]))).toarray()
    return e, la.cholesky(core, lower=True)


def deconvolution_sparse_keys(b: sp.spmatrix, alpha: float, beta: float, keys: np.ndarray) -> SparseKeys:
    """:class:`SparseKeys` of the deconvolution's keys ``[q, 1]``: ``q = (B / e) L^-T`` with ``L``
    as in :func:`deconvolution_factors` (for the ``alpha`` it chose)."""
    e, factor = _deconvolution_core(b, alpha, beta)
    transform = la.solve_triangular(factor, np.eye(len(factor)), lower=True).T
    return SparseKeys.from_parts(sp.csr_matrix(b).multiply(1.0 / e[:, None]), transform, keys[:, -1:])


def _null_basis(ks: np.ndarray) -> np.ndarray:
    """Orthonormal basis of the null space of a symmetric ``m x m`` core, to rounding."""
    vals, vecs = np.linalg.eigh(ks)
    tol = 8 * len(ks) * EPS * max(1.0, float(np.abs(vals).max(initial=0.0)))
    return vecs[:, np.abs(vals) <= tol]


class SilencingFactors(NamedTuple):
    """:func:`silencing_factors`' result."""

    queries: np.ndarray
    keys: np.ndarray
    null_dims: int
    #: ``1 - |a_i|^2`` (0 for a manga without links) and the vectors it scales: the queries are
    #: ``[weights * base, null-space part]``, so that with no null space ``S_ij = w_i M_ij`` for
    #: ``M = base keys^T``, which is symmetric (``D^-1 U H U^T D^-1``, ``H`` symmetric).
    weights: np.ndarray
    base: np.ndarray
    #: Each manga's tag count (its diagonal ``d_i``) and whether it has no link.
    counts: np.ndarray
    isolated: np.ndarray


def silencing_factors(b: sp.spmatrix) -> SilencingFactors:
    """Queries and keys with ``S_ij = q_i . k_j`` (``i != j``) for global silencing of ``G = A``.

    With zero diagonal, ``S = G G^+ - Lambda G^+ = I - P - Lambda G^+`` where
    ``Lambda = diag(1 - |g_i|^2)`` and ``P`` projects on the null space of ``G`` (zero when ``G``
    is invertible). ``G^+`` comes from ``A = -D + B B^T``: Woodbury gives
    ``A^-1 = -D^-1 - D^-1 B K^-1 B^T D^-1`` with the core ``K = I - B^T D^-1 B``, and ``A`` is
    singular exactly when ``K`` is, with null space ``Z = D^-1 B Y`` for ``Y`` spanning
    ``null(K)``. Then ``P = Z (Z^T Z)^-1 Z^T``, ``A^+ = (A + P)^-1 - P``, and ``A + P`` is again
    diagonal plus low rank: a second Woodbury with a core of size ``m + r`` (``r = dim null``).

    Returns
    -------
    SilencingFactors
        ``queries`` and ``keys``, shape (n, m + 2 r); ``null_dims``, ``r``, the dimension of
        the null space of ``A``; ``weights``, shape (n,), and ``base``, shape (n, m + r).
    """
    dense = b.toarray()
    n, m = dense.shape
    d = np.einsum("ij,ij->i", dense, dense)
    weight = 1.0 - (np.einsum("ij,ij->i", dense @ (dense.T @ dense), dense) - d**2)  # 1 - |a_i|^2
    dd = np.where(d > 0, d, 1.0)  # a manga without tags is isolated; its -1 diagonal is harmless
    x = dense / dd[:, None]
    y = _null_basis(np.eye(m) - dense.T @ x)
    z = x @ y
    u = np.hstack([dense, z])
    r = y.shape[1]
    inner = la.block_diag(np.eye(m), z.T @ z) - (u / dd[:, None]).T @ u
    h = la.inv(inner)
    w = la.inv(z.T @ z) if r else np.zeros((0, 0))
    isolated = degrees(b) == 0  # their scores are exactly zero; do not leave rounding noise
    weight[isolated] = 0.0
    base = (u @ h) / dd[:, None]
    base[isolated] = 0.0
    queries = np.hstack([weight[:, None] * base, (weight - 1.0)[:, None] * (z @ w)])
    keys = np.hstack([u / dd[:, None], z])
    queries[isolated] = 0.0
    keys[isolated] = 0.0
    if r:
        log.info("silencing: A is singular (null space of dimension %d), pseudo-inverse used", r)
    return SilencingFactors(queries, keys, r, weight, base, dd, isolated)


class Deconvolution(QueryKeyModel):
    """Network deconvolution (Feizi et al. 2013) of the shared-tag network, exact.

    Parameters
    ----------
    beta : float
        Largest eigenvalue magnitude of the deconvolved network, in (0, 1); sets the scale of
        ``G = alpha A`` (see :func:`deconvolution_factors`).
    """

    name = "deconvolution"
    label = "Network deconvolution"
    finish = "cap1"
    symmetric_distance = True  # scores q_i . q_j
    summary = "shared-tag network with indirect paths removed by deconvolution, exact"

    params = {"beta": Param(
        0.9, "largest eigenvalue magnitude of the deconvolved network, in (0, 1): sets the scale of G = alpha A",
        between(0, 1, open_low=True, open_high=True))}

    search_made = ("top_score_",)

    def fit(self, catalogue: Catalogue) -> Self:
        q, self.scale_, self.lam_max_ = deconvolution_factors(tag_matrix(catalogue), self.beta)
        self.embedding_ = q.astype(np.float32)
        self._search_from_ = catalogue.matrix  # Q is n x m float64: made again for the search
        log.info("deconvolution: alpha=%.4g (lambda_max=%.6g)", self.scale_, self.lam_max_)
        return self

    def _search_state(self, source: sp.spmatrix) -> dict[str, Any]:
        b = tag_matrix(source)
        q, _, _ = deconvolution_factors(b, self.beta)
        queries, keys, top = score_pair(q, q)
        log.info("deconvolution: top score %.4g", top)
        return {"queries_": queries, "keys_": keys, "top_score_": top,
                "sparse_keys_": deconvolution_sparse_keys(b, self.scale_, self.beta, keys)}


class Silencing(QueryKeyModel):
    """Global silencing of indirect correlations (Barzel and Barabasi 2013), exact.

    ``G`` is the network of shared-tag counts as is, as in the write-up and its toys. Then
    ``S_ij = (|a_i|^2 - 1) (A^+)_ij - P_ij`` off the diagonal (``P``: projector on the null space
    of ``A``, zero when ``A`` is invertible), and ``|a_i|^2 >= 1`` for every manga with a link, so
    every row ranks its neighbours the same way round: by ``(A^+)_ij``, largest first, when ``A``
    is invertible. Scaling ``G`` would flip that order in rows with ``|g_i| < 1``.
    """

    name = "silencing"
    label = "Global silencing"
    finish = "cap1"
    summary = "shared-tag network with indirect correlations silenced, exact"

    search_only = ("queries_", "keys_", "sparse_keys_", "pair_base_", "pair_scale_")
    search_made = ("top_score_",)

    def fit(self, catalogue: Catalogue) -> Self:
        factors = silencing_factors(tag_matrix(catalogue))
        self.null_dims_ = factors.null_dims
        self.embedding_ = _key_coordinates(factors.keys)
        self._search_from_ = catalogue.matrix  # the factors are n x ~2m float64: made again for the search
        return self

    def _search_state(self, source: sp.spmatrix) -> dict[str, Any]:
        b = tag_matrix(source)
        factors = silencing_factors(b)
        queries, keys, top = score_pair(factors.queries, factors.keys)
        state: dict[str, Any] = {"queries_": queries, "keys_": keys, "top_score_": top, "sparse_keys_": None}
        if factors.null_dims == 0:
            # Then d(i, j) = 1 - c_i M_ij with M symmetric: one product serves both ends
            # (distance_pair), and the exact search computes half of them.
            state["pair_base_"] = factors.base.astype(np.float32)
            state["pair_scale_"] = (-factors.weights / top if top > 0 else np.zeros(len(b.indptr) - 1)).astype(np.float32)
            # M's keys are the tag rows over the tag counts (zero for isolated manga)
            scale = np.divide(1.0, factors.counts, out=np.zeros(len(factors.counts)), where=~factors.isolated)
            state["sparse_keys_"] = SparseKeys.from_parts(sp.diags(scale) @ b, np.eye(b.shape[1]),
                                                          np.zeros((b.shape[0], 0)))
        return state

    def sparse_product(self) -> SparseProduct | None:
        if not self.row_scaled_symmetric or self.sparse_keys_ is None:
            return None
        return SparseProduct(self.pair_base_, self.sparse_keys_, self.pair_scale_)

    @property
    def row_scaled_symmetric(self) -> bool:
        return self._search_ready() and "pair_base_" in self.__dict__

    def distance_pair(self, rows: np.ndarray, cols: np.ndarray, *,
                      twin_diagonal: bool = False) -> tuple[np.ndarray, np.ndarray]:
        if not self.row_scaled_symmetric:
            return super().distance_pair(rows, cols, twin_diagonal=twin_diagonal)
        rows, cols = np.asarray(rows), np.asarray(cols)
        there = self.pair_base_[rows] @ self.keys_[cols, :-1].T  # M, shape (rows, cols)
        back = np.empty_like(there)
        _scaled_both_ways(there, self.pair_scale_[rows], self.pair_scale_[cols], back)
        if not twin_diagonal:
            at, where = self_positions(rows, cols)
            there[at, where] = back[at, where] = 0
        return there, back


@numba.njit(parallel=True, cache=True, nogil=True)
def _scaled_both_ways(product, row_scale, col_scale, back):  # pragma: no cover - compiled
    """``min(1 + c_i M_ij, 1)`` into ``product`` and ``min(1 + c_j M_ij, 1)`` into ``back``, in
    one pass over the block (as :meth:`QueryKeyModel.distances` with finish "cap1")."""
    for r in numba.prange(product.shape[0]):
        a = row_scale[r]
        for c in range(product.shape[1]):
            m = product[r, c]
            back[r, c] = min(np.float32(1.0) + col_scale[c] * m, np.float32(1.0))
            product[r, c] = min(np.float32(1.0) + a * m, np.float32(1.0))


def _key_coordinates(keys: np.ndarray) -> np.ndarray:
    """A vector per manga for maps: the keys on the principal axes of their span, float32.

    Scores are ``queries @ keys.T`` with different queries and keys; the keys carry each manga's
    (tag-share) profile, rotated so that the first axis carries the most.
    """
    vals, vecs = np.linalg.eigh(keys.T @ keys)
    keep = vals > 1e-12 * max(vals.max(initial=0.0), 1e-300)
    return fixed_signs(keys @ vecs[:, keep][:, ::-1]).astype(np.float32)
