"""The normalized Laplacian read as commute times, exact for the whole catalogue.

Comparing *rows* of the normalized Laplacian ``L = I - D^-1/2 A D^-1/2`` ranks manga that share
a tag last (:func:`support.dense.laplacian_rows` keeps that literal reading and says
why). The useful reading goes through its Moore-Penrose pseudo-inverse ``L+``: the normalized
commute time ``c(i, j) = L+_ii + L+_jj - 2 L+_ij`` is the squared euclidean distance between
rows of ``L+^1/2``, and ``L+_ij / sqrt(L+_ii L+_jj)`` is the cosine between them.

``L+`` is an ``n x n`` dense matrix, but it is a diagonal plus a matrix of rank at most
``m + k`` (``m`` tags, ``k`` connected components), found in ``(m + k)``-sized matrices:

* ``L = E - C C^T`` with ``C = D^-1/2 B`` and ``E = diag(1 + d_i / deg_i)`` (``d_i`` = tag count,
  ``deg_i`` = weighted degree), on the manga that have a link at all;
* ``L``'s null space is spanned by ``z_c = D^1/2 1_c / |D^1/2 1_c|``, one per component ``c``;
  with ``P0 = Z Z^T`` the projector on it, ``L+ = (L + P0)^-1 - P0``;
* ``E^-1/2 (L + P0) E^-1/2 = I + U S U^T`` with ``U = E^-1/2 [C Z]`` and ``S = diag(-I, I)``.
  With ``Q`` an orthonormal basis of ``U``'s columns and ``R = Q^T U``,
  ``(I + U S U^T)^-1 = I - Q (I - W^-1) Q^T`` where ``W = I + R S R^T`` is the compression of
  ``I + U S U^T`` onto ``Q``: symmetric positive definite, its eigenvalues those of the scaled
  ``L + P0`` on that subspace, so its condition number is the problem's and not an artefact of
  the textbook Woodbury core ``S + U^T E^-1 U``, which is indefinite;
* ``E^1/2 z_c`` lies in the span of ``Q`` (a null vector solves ``z = E^-1 C (C^T z)``), so
  ``P0`` folds into the same core: ``L+ = E^-1/2 (I - Q Theta Q^T) E^-1/2`` with
  ``Theta = (I - W^-1) + T T^T``, ``T = Q^T E^1/2 Z``. Diagonalizing ``Theta = P theta P^T`` and
  ``F = E^-1/2 Q P`` gives ``L+ = E^-1 - F diag(theta) F^T``.

So ``L+_ij = -sum_k theta_k F_ik F_jk`` for ``i != j`` and ``L+_ii`` is known exactly: both
distances are one float32 product of queries and keys per block. A tag belongs to one
component, so ``k <= m``: the core is never larger than ``2 m`` and no fallback for "many
components" is needed.

Lost in space. ``L+_ii = 1/e_i + (low-rank part)`` with ``e_i = 1 + d_i / deg_i`` close to 1
in a dense network, so every commute time is about 2 and every cosine about 0; at 64k synthetic
manga what ranks the neighbours sits in the fifth decimal, below the neighbour search's tie grid
(2^-17). It is not the degree terms that rank them, though (at 64k the top 20 by ``c`` share 1%
with the top 20 by ``1/e_j`` alone and 74% with those by ``L+_ij`` alone). So each model reports
its distance measured from a lower bound, per component, in units of an unrelated pair: an
increasing affine map, the same ranking, and the resolution the tie grid needs.

Manga with no path between them (different components, or isolated: degree 0, no tag or only
tags nobody else has, a zero row in ``L`` and ``L+``) have an infinite commute time. They are put
at ``far_``, beyond any distance within a component, in both directions; the pseudo-inverse's
finite value would rank a small component's manga first for everyone. An isolated manga's own
list then holds every other manga at that one distance, ordered as ties are: by catalogue index.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from ..linalg import sign_flips
from .indirect import max_offdiagonal
from .network import QueryKeyModel, degrees, laplacian_factors, tag_matrix
from .sparse_keys import SparseKeys

if TYPE_CHECKING:
    from typing import Self

    from ..sources.catalogue import Catalogue

log = logging.getLogger(__name__)

#: ``W`` eigenvalues below this times the largest are clamped to it (and a warning logged): the
#: direction is numerically a second null vector of a component, which cannot be told apart
#: from an exact one in float64; clamping keeps every entry finite.
RCOND = 1e-12

#: Distances start this far above 0 (in units of an unrelated pair): the lower bound can be
#: attained, and float32 rounding must not take the closest pair below zero.
MARGIN = 2.0**-20

#: Above this condition number of ``W`` a warning is logged: ``L+`` is then dominated by the
#: direction across a near-cut, and float32 distances resolve everything else less finely.
COND_WARN = 1e6


@dataclass(frozen=True)
class CommuteFactors:
    """The pseudo-inverse of the normalized Laplacian as ``L+ = diag(1 / e) - F diag(theta) F^T``.

    Attributes
    ----------
    vectors : ndarray, shape (n, r), float64
        ``F``; zero rows for isolated manga.
    weights : ndarray, shape (r,)
        ``theta``, ascending; ``L+_ij = -sum_k theta_k F_ik F_jk`` for ``i != j``.
    diagonal : ndarray, shape (n,)
        ``L+_ii``; 0 for isolated manga.
    linked : ndarray of bool, shape (n,)
        Manga with at least one link.
    labels : ndarray of int, shape (n,)
        Component of each linked manga, ``0 .. k - 1``; -1 for isolated manga.
    condition : float
        Condition number of ``W`` (1 when there is no link at all).
    rows : sparse matrix, shape (n, m + k)
        ``[C, Z] / e`` on linked manga, zero rows for isolated ones: ``vectors = rows @ transform``
        (to rounding), sparse as the tag matrix is (:class:`~sitegen.models.sparse_keys.SparseKeys`).
    transform : ndarray, shape (m + k, r)
    """

    vectors: np.ndarray
    weights: np.ndarray
    diagonal: np.ndarray
    linked: np.ndarray
    labels: np.ndarray
    condition: float
    rows: sp.csr_matrix
    transform: np.ndarray

    @property
    def components(self) -> int:
        """Number of connected components with a link (``k``)."""
        return int(self.labels.max(initial=-1)) + 1


def per_row(values: np.ndarray, labels: np.ndarray, default: float) -> np.ndarray:
    """``values[labels[i]]`` for each manga, ``default`` for isolated ones (label -1), shape (n,)."""
    if not len(values):
        return np.full(len(labels), default)
    return np.where(labels >= 0, values[np.maximum(labels, 0)], default)


def manga_components(b: sp.spmatrix, deg: np.ndarray) -> np.ndarray:
    """Connected component of each manga in the shared-tag network, found on the manga-tag graph.

    Two manga are linked when they share a tag, so components of ``A = B B^T - diag(d)`` are
    the manga sides of components of the bipartite graph ``[[0, B], [B^T, 0]]``, which has
    ``n + m`` nodes and ``nnz(B)`` edges instead of up to ``n^2``. A tag belongs to exactly one
    component, so there are at most ``m`` components with a link.

    Parameters
    ----------
    b : sparse matrix, shape (n, m)
    deg : ndarray, shape (n,)
        Weighted degrees (:func:`~sitegen.models.network.degrees`).

    Returns
    -------
    ndarray of int, shape (n,)
        ``0 .. k - 1`` for manga with a link, numbered in order of first appearance; -1 for
        isolated manga (degree 0), which are left out of the Laplacian problem.
    """
    b = sp.csr_matrix(b)
    n = b.shape[0]
    graph = sp.bmat([[None, b], [b.T, None]], format="csr")
    _, raw = connected_components(graph, directed=False)
    labels = np.full(n, -1)
    rows = np.flatnonzero(deg > 0)
    first, inverse = np.unique(raw[rows], return_index=True, return_inverse=True)[1:]
    rank = np.empty(len(first), dtype=int)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    labels[rows] = rank[inverse]
    return labels


def null_vectors(deg: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Orthonormal basis of the normalized Laplacian's null space, shape (n, k).

    One column per component, ``D^1/2 1_c`` normalized; the columns have disjoint supports,
    hence are orthogonal. Isolated manga (label -1) are zero in every column.
    """
    k = int(labels.max(initial=-1)) + 1
    z = np.zeros((len(deg), k))
    rows = np.flatnonzero(labels >= 0)
    z[rows, labels[rows]] = np.sqrt(deg[rows])
    return z / np.linalg.norm(z, axis=0)


def orthonormal_basis(u: np.ndarray, rtol: float = 1e-7) -> np.ndarray:
    """Orthonormal basis of the column span of a tall ``u``, shape (n, r'), ``r' <= r``.

    See :func:`basis_and_transform`, which also returns ``t`` with ``basis = u @ t``.
    """
    return basis_and_transform(u, rtol)[0]


def basis_and_transform(u: np.ndarray, rtol: float = 1e-7) -> tuple[np.ndarray, np.ndarray]:
    """Orthonormal basis of the column span of a tall ``u``, shape (n, r'), ``r' <= r``, and
    ``t``, shape (r, r'), with ``basis = u @ t`` (to rounding).

    From the ``r x r`` Gram matrix, twice: ``u^T u = V s^2 V^T`` gives ``u V / s``, and a second
    pass on that basis removes the error the squared condition number left (as CholeskyQR2
    does). Directions with ``s < rtol * s_max`` are dropped: they are below the Gram matrix's
    rounding, and ``u`` moves nothing along them. Eight times faster than Householder QR on
    64k x 80, which spends its time forming ``Q``.
    """
    basis, t = u, np.eye(u.shape[1])
    for _ in range(2):
        vals, vecs = np.linalg.eigh(basis.T @ basis)
        keep = vals > rtol**2 * vals[-1]
        step = vecs[:, keep] / np.sqrt(vals[keep])
        basis, t = basis @ step, t @ step
    return basis, t


def commute_factors(b: sp.spmatrix) -> CommuteFactors:
    """Low-rank factors of the pseudo-inverse of the normalized Laplacian (see the module doc).

    Conditioning: ``W``'s eigenvalues are Rayleigh quotients of ``E^-1/2 (L + P0) E^-1/2``, so
    they lie in ``[lambda / 2, 2]`` with ``lambda`` the smallest non-zero eigenvalue of ``L`` (or
    1): its condition number is at most ``4 / lambda``, large only when a component is nearly
    cut in two, and then ``L+`` itself has entries of size ``1 / lambda``. It is logged, warned
    about past :data:`COND_WARN`, and eigenvalues under :data:`RCOND` times the largest are
    clamped so that nothing becomes infinite or NaN.

    Parameters
    ----------
    b : sparse matrix, shape (n, m)
        Binary manga x tag matrix.

    Returns
    -------
    CommuteFactors
    """
    b = sp.csr_matrix(b, dtype=np.float64)
    n = b.shape[0]
    deg = degrees(b)
    linked = deg > 0
    c, e, _ = laplacian_factors(b)
    labels = manga_components(b, deg)
    z = null_vectors(deg, labels)
    rows = np.flatnonzero(linked)
    if not len(rows):
        return CommuteFactors(np.zeros((n, 0)), np.zeros(0), np.zeros(n), linked, labels, 1.0,
                              sp.csr_matrix((n, c.shape[1] + z.shape[1])), np.zeros((c.shape[1] + z.shape[1], 0)))
    scale = 1.0 / np.sqrt(e[rows])  # E^-1/2 on linked manga; e >= 1 there
    u = np.hstack([c[rows].toarray(), z[rows]]) * scale[:, None]
    q, to_q = basis_and_transform(u)
    r = q.T @ u  # u = Q R up to the dropped directions, which u does not reach
    signs = np.r_[-np.ones(c.shape[1]), np.ones(z.shape[1])]
    w = np.eye(q.shape[1]) + (r * signs) @ r.T
    omega, v = np.linalg.eigh(0.5 * (w + w.T))
    top = float(omega[-1])
    floor = RCOND * top
    if omega[0] < floor:
        log.warning("laplacian: core eigenvalue %.3g below %.3g x the largest, clamped", omega[0], RCOND)
    omega = np.maximum(omega, floor)
    condition = top / float(omega[0])
    if condition > COND_WARN:
        log.warning("laplacian: core condition number %.3g; a component is nearly cut in two", condition)
    t = q.T @ (z[rows] / scale[:, None])  # Q^T E^1/2 Z: P0 in the same coordinates
    theta_core = (v * (1.0 - 1.0 / omega)) @ v.T + t @ t.T
    theta, p = np.linalg.eigh(0.5 * (theta_core + theta_core.T))
    vectors = np.zeros((n, len(theta)))
    unsigned = (q @ p) * scale[:, None]
    signs = sign_flips(unsigned)
    vectors[rows] = unsigned * signs
    # F = E^-1/2 u T P (signs) with u = E^-1/2 [C Z]: F = ([C Z] / e) (T P signs)
    inv_e = np.zeros(n)
    inv_e[rows] = 1.0 / e[rows]
    sparse_rows = sp.diags(inv_e) @ sp.hstack([c, sp.csr_matrix(z)], format="csr")
    diagonal = np.zeros(n)
    diagonal[rows] = 1.0 / e[rows] - np.einsum("ij,j,ij->i", vectors[rows], theta, vectors[rows])
    log.info(
        "laplacian: %d component(s), %d isolated manga, rank %d, core condition %.3g",
        z.shape[1], n - len(rows), len(theta), condition,
    )
    return CommuteFactors(vectors, theta, diagonal, linked, labels, condition, sp.csr_matrix(sparse_rows),
                          (to_q @ p) * signs)


def component_maxima(queries: np.ndarray, keys: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """``max q_i . k_j`` over pairs ``i != j`` within each component, shape (k,).

    Exact or an upper bound (:func:`~sitegen.models.indirect.max_offdiagonal`); ``-inf`` for
    a component of fewer than two manga.
    """
    k = int(labels.max(initial=-1)) + 1
    out = np.full(k, -np.inf)
    for comp in range(k):
        rows = np.flatnonzero(labels == comp)
        out[comp] = max_offdiagonal(queries[rows], keys[rows])
    return out


def assemble(
    queries: np.ndarray, keys: np.ndarray, lead: np.ndarray, trail: np.ndarray, labels: np.ndarray, far: float
) -> tuple[np.ndarray, np.ndarray]:
    """Queries and keys for ``q_i . k_j + lead_i + trail_j`` within a component, ``far`` across.

    With ``h`` the one-hot component of each manga (zero for isolated ones), the rows are
    ``[q_i, lead_i h_i, h_i, far h_i, far [i isolated]]`` and ``[k_j, h_j, trail_j h_j, 1 - h_j, 1]``:
    every term but the first is exactly 0, ``far``, ``lead_i`` or ``trail_j``, so nothing cancels
    in float32. ``q_i . k_j`` must vanish across components (``L+`` is block diagonal).

    Returns
    -------
    ndarray, ndarray : shape (n, r + 3 k + 1), float32
    """
    k = int(labels.max(initial=-1)) + 1
    h = (labels[:, None] == np.arange(k)[None, :]).astype(np.float64)
    alone = (labels < 0).astype(np.float64)
    n, r = queries.shape
    # Filled column by column, each block cast as it is written: stacking in float64 first held
    # two more (n, r) copies at the fit's peak (the Laplacian fits' largest step).
    q = np.empty((n, r + 3 * k + 1), dtype=np.float32)
    q[:, :r] = queries
    q[:, r:r + k] = lead[:, None] * h
    q[:, r + k:r + 2 * k] = h
    q[:, r + 2 * k:r + 3 * k] = far * h
    q[:, -1] = far * alone
    key = np.empty((n, r + 3 * k + 1), dtype=np.float32)
    key[:, :r] = keys
    key[:, r:r + k] = h
    key[:, r + k:r + 2 * k] = trail[:, None] * h
    key[:, r + 2 * k:r + 3 * k] = 1.0 - h
    key[:, -1] = 1.0
    return q, key


class _CommuteModel(QueryKeyModel):
    """Shared fit of the two readings of ``L+``: factors, then queries and keys per subclass.

    Attributes
    ----------
    factors_ : CommuteFactors
        Until the model is searched (:meth:`release_search_state`).
    lower_, scale_ : ndarray, shape (k,)
        Per component: the distance is ``(raw - lower_) / scale_`` (see the subclasses).
    far_ : float
        The distance between manga with no path between them.
    queries_, keys_ : ndarray, shape (n, r + 3 k + 1), float32
        ``queries_[i] . keys_[j]`` is the distance for ``i != j``.
    embedding_ : ndarray, shape (n, r'), float32
        Coordinates of the part of ``L+`` that tells manga apart, ``L+ - E^-1``, restricted to
        its positive directions (``theta < 0``: the smooth, low-eigenvalue ones), largest first.
    """

    symmetric_distance = True  # commute times and cosines of rows of L+, scaled per component

    factors_: CommuteFactors
    lower_: np.ndarray
    scale_: np.ndarray
    far_: float

    def release_search_state(self) -> None:
        """Also let go of the factors, which only the fit reads (``F`` alone is n x r float64:
        about 0.6 GB at 1,000,000 manga, for each of the two models)."""
        super().release_search_state()
        self.__dict__.pop("factors_", None)

    def _pair(self, f: CommuteFactors) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Set ``lower_``, ``scale_``, ``far_``; return float32 queries and keys, and the factor
        of each manga's key: its first ``r`` entries are ``f.vectors`` rows times it, shape (n,)."""
        raise NotImplementedError

    def fit(self, catalogue: Catalogue) -> Self:
        self.factors_ = f = commute_factors(tag_matrix(catalogue))
        self.queries_, self.keys_, key_scale = self._pair(f)
        r = f.vectors.shape[1]
        self.sparse_keys_ = SparseKeys.from_parts(sp.diags(key_scale) @ f.rows, f.transform, self.keys_[:, r:])
        keep = f.weights < 0
        coords = f.vectors[:, keep] * np.sqrt(-f.weights[keep])
        if not keep.any():  # no link anywhere: one zero column
            coords = np.zeros((len(f.diagonal), 1))
        self.embedding_ = np.ascontiguousarray(coords[:, ::-1], dtype=np.float32)
        return self


class LaplacianEuclidean(_CommuteModel):
    """Normalized commute time: squared euclidean distance between rows of ``L+^1/2``.

    ``c(i, j) = L+_ii + L+_jj - 2 L+_ij`` with ``L+`` the pseudo-inverse of the normalized
    Laplacian. All of it but a few parts in 10^5 is ``1/e_i + 1/e_j ~ 2`` (von Luxburg's "lost
    in space"), below the neighbour search's tie grid, so the distance is ``c`` measured from a
    lower bound, in units of an unrelated pair: ``(c(i, j) - lower) / (2 mean L+_ii - lower)``
    per component, with ``lower = 2 min L+_ii - 2 max L+_ij``. An unrelated pair
    (``L+_ij = 0``) is at about 1; the ranking is that of ``c`` and of ``sqrt(c)``. Manga with no
    path between them are at ``far_``, which no pair in a component reaches
    (``c <= (sqrt(L+_ii) + sqrt(L+_jj))^2``).

    Attributes
    ----------
    factors_ : CommuteFactors
        Until the model is searched (:meth:`release_search_state`).
    lower_, scale_ : ndarray, shape (k,)
        Per component: ``lower`` and the unit above.
    far_ : float
    queries_, keys_ : ndarray, shape (n, r + 3 k + 1), float32
    embedding_ : ndarray, shape (n, r'), float32
        See :class:`_CommuteModel`.
    """

    name = "laplacian_euclidean"
    label = "Laplacian (commute time)"
    summary = "normalized commute time: distance through the Laplacian's pseudo-inverse, exact"

    def _pair(self, f: CommuteFactors) -> tuple[np.ndarray, np.ndarray]:
        p, labels = f.diagonal, f.labels
        k = f.components
        top = component_maxima(-f.vectors * f.weights, f.vectors, labels)  # max L+_ij
        self.lower_ = np.array([2 * p[labels == c].min() - 2 * top[c] for c in range(k)])
        typical = np.array([2 * p[labels == c].mean() for c in range(k)])
        span = typical - self.lower_
        # a component where every pair is closer than an unrelated one (two manga alone): plain c
        self.scale_ = np.where(span > 1e-12 * typical, span, 1.0)
        self.lower_ -= MARGIN * self.scale_
        highest = np.array([4 * p[labels == c].max() for c in range(k)])
        self.far_ = float(np.max((highest - self.lower_) / self.scale_, initial=1.0))
        row_scale = per_row(self.scale_, labels, 1.0)
        half = (p - per_row(self.lower_, labels, 0.0) / 2) / row_scale
        unit = f.vectors / np.sqrt(row_scale)[:, None]
        # 2 theta F_i . F_j = -2 L+_ij; lead and trail carry L+_ii and L+_jj
        # unit * (2 theta) is 2.0 * unit * theta to the bit (a power of two), with one (n, r) array fewer
        return (*assemble(unit * (2.0 * f.weights), unit, half, half, labels, self.far_), 1.0 / np.sqrt(row_scale))


class LaplacianCosine(_CommuteModel):
    """Cosine between rows of ``L+^1/2``, as a fraction of the largest: ``1 - cos_ij / max cos``.

    ``cos_ij = L+_ij / sqrt(L+_ii L+_jj)``. The rows are nearly orthogonal (cosines of a few
    10^-5: the same lost-in-space diagonal as :class:`LaplacianEuclidean`), below the neighbour
    search's tie grid, so the cosine is divided by its largest value within the component, as
    the indirect-effect models divide by their largest score: the closest pair is at 0, an
    unrelated pair at 1, and negative cosines (``L+`` has negative entries) above 1. The
    ranking is that of ``1 - cos``. Manga with no path between them, which would be orthogonal,
    are at ``far_`` instead, beyond every manga they could reach.

    Attributes
    ----------
    factors_ : CommuteFactors
        Until the model is searched (:meth:`release_search_state`).
    lower_, scale_ : ndarray, shape (k,)
        Per component: ``1 - max cos`` (less a margin) and ``max cos``; a component without a
        positive cosine gets ``0`` and ``1``, the plain ``1 - cos``.
    far_ : float
    queries_, keys_ : ndarray, shape (n, r + 3 k + 1), float32
    embedding_ : ndarray, shape (n, r'), float32
        See :class:`_CommuteModel`.
    """

    name = "laplacian_cosine"
    label = "Laplacian (cosine)"
    summary = "cosine between manga in the commute-time embedding (the Laplacian's pseudo-inverse), exact"

    def _pair(self, f: CommuteFactors) -> tuple[np.ndarray, np.ndarray]:
        labels = f.labels
        inv = np.divide(1.0, np.sqrt(f.diagonal), out=np.zeros_like(f.diagonal), where=f.linked)
        unit = f.vectors * inv[:, None]
        top = component_maxima(-unit * f.weights, unit, labels)  # max cos
        # no positive cosine in a component (two manga alone: cos = -1): plain 1 - cos
        self.scale_ = np.where(top > 0, top, 1.0)
        self.lower_ = 1.0 - (1.0 + MARGIN) * self.scale_
        self.far_ = float(np.max((2.0 - self.lower_) / self.scale_, initial=2.0))  # 1 - cos <= 2
        row_scale = per_row(self.scale_, labels, 1.0)
        unit = unit / np.sqrt(row_scale)[:, None]
        lead = (1.0 - per_row(self.lower_, labels, 0.0)) / row_scale
        # theta U_i . U_j / s = -cos / s; the lead completes (1 - cos - lower) / s
        keys = assemble(unit * f.weights, unit, lead, np.zeros(len(labels)), labels, self.far_)
        return (*keys, inv / np.sqrt(row_scale))
