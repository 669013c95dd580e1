"""The normalized Laplacian read as commute times, exact for the whole catalogue.

Comparing *rows* of the normalized Laplacian ``L = I - D^-1/2 A D^-1/2`` ranks manga that share
a tag last (:func:`support.dense.laplacian_rows` keeps that literal reading and says
why). The useful reading goes through its Moore-Penrose pseudo-inverse ``L+``: the normalized
commute time ``c(i, j) = L+_ii + L+_jj - 2 L+_ij`` is the squared euclidean distance between
rows of ``L+^1/2``, and ``L+_ij / sqrt(L+_ii L+_jj)`` is the cosine between them.

``L+`` is a diagonal plus a matrix of rank at most ``m + k`` (``m`` tags, ``k`` connected
components), found in ``(m + k)``-sized matrices (:mod:`sitegen.models.commute`): so
``L+_ij = -sum_k theta_k F_ik F_jk`` for ``i != j`` and ``L+_ii`` is known exactly, and both
distances are one float32 product of queries and keys per block.

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

from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from .commute import CommuteFactors, commute_factors
from .indirect import max_offdiagonal
from .network import QueryKeyModel, tag_matrix
from .sparse_keys import SparseKeys

if TYPE_CHECKING:
    from typing import Self

    from ..sources.catalogue import Catalogue

#: Distances start this far above 0 (in units of an unrelated pair): the lower bound can be
#: attained, and float32 rounding must not take the closest pair below zero.
MARGIN = 2.0**-20


def per_row(values: np.ndarray, labels: np.ndarray, default: float) -> np.ndarray:
    """``values[labels[i]]`` for each manga, ``default`` for isolated ones (label -1), shape (n,)."""
    if not len(values):
        return np.full(len(labels), default)
    return np.where(labels >= 0, values[np.maximum(labels, 0)], default)


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

    search_made = ("lower_", "scale_", "far_")

    def release_search_state(self) -> None:
        """Also let go of the factors, which the search state is made from (``F`` alone is n x r
        float64: about 0.6 GB at 1,000,000 manga, for each of the two models)."""
        super().release_search_state()
        self.__dict__.pop("factors_", None)

    def _pair(self, f: CommuteFactors) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Set ``lower_``, ``scale_``, ``far_``; return float32 queries and keys, and the factor
        of each manga's key: its first ``r`` entries are ``f.vectors`` rows times it, shape (n,)."""
        raise NotImplementedError

    def fit(self, catalogue: Catalogue) -> Self:
        self.factors_ = f = commute_factors(tag_matrix(catalogue))
        self._search_from_ = f
        keep = f.weights < 0
        coords = f.vectors[:, keep] * np.sqrt(-f.weights[keep])
        if not keep.any():  # no link anywhere: one zero column
            coords = np.zeros((len(f.diagonal), 1))
        self.embedding_ = np.ascontiguousarray(coords[:, ::-1], dtype=np.float32)
        return self

    def _search_state(self, source: CommuteFactors) -> dict[str, Any]:
        queries, keys, key_scale = self._pair(source)
        r = source.vectors.shape[1]
        sparse = SparseKeys.from_parts(sp.diags(key_scale) @ source.rows, source.transform, keys[:, r:])
        return {"queries_": queries, "keys_": keys, "sparse_keys_": sparse}


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
