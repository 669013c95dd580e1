"""The pseudo-inverse of the normalized Laplacian in low-rank factors, for the whole catalogue.

The Laplacian models (:mod:`sitegen.models.laplacian`) compare manga through the Moore-Penrose
pseudo-inverse ``L+`` of the normalized Laplacian ``L = I - D^-1/2 A D^-1/2`` of the shared-tag network.

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
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from ..linalg import sign_flips
from .network import degrees, laplacian_factors

log = logging.getLogger(__name__)

#: ``W`` eigenvalues below this times the largest are clamped to it (and a warning logged): the
#: direction is numerically a second null vector of a component, which cannot be told apart
#: from an exact one in float64; clamping keeps every entry finite.
RCOND = 1e-12

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
