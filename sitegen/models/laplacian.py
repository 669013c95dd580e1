"""The normalized Laplacian read as commute times, exact for the whole catalogue.

Comparing *rows* of the normalized Laplacian ``L = I - D^-1/2 A D^-1/2`` ranks manga that share
a tag last (:func:`sitegen.models.dense.laplacian_rows` keeps that literal reading and says
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
  With ``U = Q R`` (thin QR), ``(I + U S U^T)^-1 = I - Q (I - W^-1) Q^T`` where
  ``W = I + R S R^T`` is the compression of ``I + U S U^T`` onto ``Q``: symmetric positive
  definite, and its eigenvalues are eigenvalues of the scaled ``L + P0`` itself, so its condition
  number is the problem's, not an artefact of the Woodbury form (whose core
  ``S + U^T U`` is indefinite and can be far worse conditioned);
* ``E^1/2 z_c`` lies in the span of ``Q`` (a null vector solves ``z = E^-1 C (C^T z)``), so
  ``P0`` folds into the same core: ``L+ = E^-1/2 (I - Q Theta Q^T) E^-1/2`` with
  ``Theta = (I - W^-1) + T T^T``, ``T = Q^T E^1/2 Z``. Diagonalizing ``Theta = P theta P^T`` and
  ``F = E^-1/2 Q P`` gives ``L+ = E^-1 - F diag(theta) F^T``.

So ``L+_ij = -sum_k theta_k F_ik F_jk`` for ``i != j`` and ``L+_ii`` is known exactly: both
distances are one float32 product of queries and keys per block. A tag belongs to one
component, so ``k <= m`` and the core is never larger than ``2 m``.

Isolated manga (degree 0: no tag, or only tags nobody else has) have a zero row in ``L`` and
in ``L+``. Their commute time is undefined (infinite), so they are put at one distance from
every manga, larger than any other distance the model gives, and in both directions. Their own
lists then hold every other manga at that one distance, ordered as ties are: by catalogue index.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from .base import fixed_signs
from .network import QueryKeyModel, degrees, laplacian_factors, tag_matrix

if TYPE_CHECKING:
    from typing import Self

    from ..catalogue import Catalogue

log = logging.getLogger(__name__)

#: ``W`` eigenvalues below this times the largest are clamped to it (and a warning logged): the
#: direction is numerically a second null vector of a component, which cannot be told apart
#: from an exact one in float64; clamping keeps every entry finite.
RCOND = 1e-12

#: Above this condition number of ``W`` a warning is logged: float32 distances lose the
#: separation of the manga on either side of the near-cut.
COND_WARN = 1e6


@dataclass(frozen=True)
class CommuteFactors:
    """``L+ = diag(1 / e) - F diag(theta) F^T`` off the diagonal, and ``L+``'s diagonal.

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
    """

    vectors: np.ndarray
    weights: np.ndarray
    diagonal: np.ndarray
    linked: np.ndarray
    labels: np.ndarray
    condition: float

    @property
    def components(self) -> int:
        """Number of connected components with a link (``k``)."""
        return int(self.labels.max(initial=-1)) + 1

    def membership(self) -> np.ndarray:
        """One-hot components, shape (n, k); isolated manga have a zero row."""
        return (self.labels[:, None] == np.arange(self.components)[None, :]).astype(np.float64)


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


def commute_factors(b: sp.spmatrix) -> CommuteFactors:
    """Low-rank factors of the pseudo-inverse of the normalized Laplacian (see the module doc).

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
        return CommuteFactors(np.zeros((n, 0)), np.zeros(0), np.zeros(n), linked, labels, 1.0)
    scale = 1.0 / np.sqrt(e[rows])  # E^-1/2 on linked manga; e >= 1 there
    u = np.hstack([c[rows].toarray(), z[rows]]) * scale[:, None]
    q, r = np.linalg.qr(u)
    signs = np.r_[-np.ones(c.shape[1]), np.ones(z.shape[1])]
    w = np.eye(len(r)) + (r * signs) @ r.T
    omega, v = np.linalg.eigh(0.5 * (w + w.T))
    top = float(omega[-1])
    floor = RCOND * top
    if omega[0] < floor:
        log.warning(
            "laplacian: core eigenvalue %.3g below %.3g x the largest; clamped (a component is almost cut)",
            omega[0], RCOND,
        )
    omega = np.maximum(omega, floor)
    condition = top / float(omega[0])
    if condition > COND_WARN:
        log.warning("laplacian: core condition number %.3g; distances near the cut are inexact", condition)
    t = q.T @ (z[rows] / scale[:, None])  # Q^T E^1/2 Z
    theta_core = (v * (1.0 - 1.0 / omega)) @ v.T + t @ t.T
    theta, p = np.linalg.eigh(0.5 * (theta_core + theta_core.T))
    vectors = np.zeros((n, len(theta)))
    vectors[rows] = fixed_signs((q @ p) * scale[:, None])
    diagonal = np.zeros(n)
    diagonal[rows] = 1.0 / e[rows] - np.einsum("ij,j,ij->i", vectors[rows], theta, vectors[rows])
    log.info(
        "laplacian: %d component(s), %d isolated manga, rank %d, core condition %.3g",
        z.shape[1], n - len(rows), len(theta), condition,
    )
    return CommuteFactors(vectors, theta, diagonal, linked, labels, condition)


class _CommuteModel(QueryKeyModel):
    """Shared fit of the two readings of ``L+``: factors, then queries and keys per subclass."""

    factors_: CommuteFactors

    def _pair(self, f: CommuteFactors) -> tuple[np.ndarray, np.ndarray]:
        """Queries and keys, float64, whose product is the distance (or its square)."""
        raise NotImplementedError

    def fit(self, catalogue: Catalogue) -> Self:
        self.factors_ = f = commute_factors(tag_matrix(catalogue))
        queries, keys = self._pair(f)
        self.queries_ = np.ascontiguousarray(queries, dtype=np.float32)
        self.keys_ = np.ascontiguousarray(keys, dtype=np.float32)
        # The map gets the part of L+ that tells manga apart: the directions where it exceeds
        # the diagonal E^-1 (theta < 0: the smooth, low-Laplacian-eigenvalue ones), largest first.
        keep = f.weights < 0
        coords = f.vectors[:, keep] * np.sqrt(-f.weights[keep])
        self.embedding_ = (coords[:, ::-1] if keep.any() else np.zeros((len(f.diagonal), 1))).astype(np.float32)
        return self


class LaplacianEuclidean(_CommuteModel):
    """Normalized commute time: euclidean distance between rows of ``L+^1/2``.

    The distance is ``sqrt(c(i, j))`` with ``c(i, j) = L+_ii + L+_jj - 2 L+_ij`` and ``L+`` the
    pseudo-inverse of the normalized Laplacian, for manga in one component. Manga with no path
    between them (other components, isolated manga) are at ``2 sqrt(max L+_ii)``, which no
    connected pair exceeds since ``c(i, j) <= (sqrt(L+_ii) + sqrt(L+_jj))^2``.

    Attributes
    ----------
    factors_ : CommuteFactors
    queries_, keys_ : ndarray, shape (n, r + 2 k + 1), float32
        ``queries_[i] . keys_[j] = c(i, j)`` for ``i != j``.
    embedding_ : ndarray, shape (n, r'), float32
        The positive part of ``L+ - E^-1``: coordinates for the map.
    """

    name = "laplacian_euclidean"
    label = "Laplacian (commute time)"
    finish = "sqrt"
    summary = "normalized commute time: euclidean distance through the Laplacian's pseudo-inverse, exact"

    def _pair(self, f: CommuteFactors) -> tuple[np.ndarray, np.ndarray]:
        # a float32 number, so that far - far cancels exactly in the float32 product
        far = float(np.float32(4.0 * float(f.diagonal.max(initial=0.0)) or 1.0))  # squared
        h, p = f.membership(), f.diagonal[:, None]
        ones = np.ones((len(p), 1))
        # q = [2 theta F_i, h_i (p_i - far), h_i, far], k = [F_j, h_j, h_j p_j, 1]:
        # one component: p_i + p_j - 2 L+_ij; none shared (h_i . h_j = 0, F_i . F_j = 0): far
        queries = np.hstack([2.0 * f.vectors * f.weights, h * (p - far), h, far * ones])
        keys = np.hstack([f.vectors, h, h * p, ones])
        return queries, keys


class LaplacianCosine(_CommuteModel):
    """Cosine between rows of ``L+^1/2``: distance ``1 - L+_ij / sqrt(L+_ii L+_jj)``.

    ``L+`` has negative entries, so distances within a component run up to 2. Manga with no
    path between them would be orthogonal (distance 1); they are put at 2 instead, the largest
    a cosine distance can be, so that every manga reachable from a manga ranks before every
    manga that is not, as with :class:`LaplacianEuclidean`.

    Attributes
    ----------
    factors_ : CommuteFactors
    queries_, keys_ : ndarray, shape (n, r + k + 1), float32
        ``queries_[i] . keys_[j]`` is the distance for ``i != j``.
    embedding_ : ndarray, shape (n, r'), float32
        As for :class:`LaplacianEuclidean`.
    """

    name = "laplacian_cosine"
    label = "Laplacian (cosine)"
    summary = "cosine similarity through the normalized Laplacian's pseudo-inverse (commute-time embedding), exact"

    def _pair(self, f: CommuteFactors) -> tuple[np.ndarray, np.ndarray]:
        far = 2.0
        h = f.membership()
        inv = np.divide(1.0, np.sqrt(f.diagonal), out=np.zeros_like(f.diagonal), where=f.linked)
        unit = f.vectors * inv[:, None]
        ones = np.ones((len(inv), 1))
        # q = [theta F_i / sqrt(p_i), (1 - far) h_i, far], k = [F_j / sqrt(p_j), h_j, 1]:
        # one component: 1 - cos; none shared: far
        queries = np.hstack([unit * f.weights, (1.0 - far) * h, far * ones])
        keys = np.hstack([unit, h, ones])
        return queries, keys
