"""The top eigenpairs of ``X = C C^T - diag(w)`` without forming ``X`` (n x n), from a secular
equation in ``m x m`` matrices (``m``: the columns of ``C``, the ~77 tags).

The spectral embedding (:class:`~sitegen.models.network.SpectralEmbedding`) needs the top
eigenvectors of the shared-tag adjacency ``A = B B^T - diag(d)``, and global silencing
(:mod:`sitegen.models.indirect`) its largest eigenvalue; both are ``C C^T - diag(w)`` for a
sparse ``C`` of ``m`` columns.
"""

from __future__ import annotations

import logging

import numpy as np
import scipy.sparse as sp

from ..linalg import fixed_signs

log = logging.getLogger(__name__)

#: Newton steps allowed per eigenvalue; convergence is quadratic, so this is never reached.
MAX_SECULAR_STEPS = 200


def pair_matrix(c: sp.spmatrix) -> sp.csr_matrix:
    """Products of entries within each row: ``P[t m + u, i] = c_it c_iu``, shape (m * m, n).

    Then ``C^T diag(s) C`` is ``(P @ s).reshape(m, m)`` for any weights ``s``, for many ``s``
    at once, at a cost of ``sum_i nnz(c_i)^2`` per weight vector.
    """
    c = sp.csr_matrix(c)
    n, m = c.shape
    lens = np.diff(c.indptr)
    owner = np.repeat(np.arange(n), lens)  # row of each stored entry
    rep = lens[owner]  # each entry pairs with every entry of its row
    left = np.repeat(np.arange(c.nnz), rep)
    offsets = np.arange(len(left)) - np.repeat(np.cumsum(rep) - rep, rep)
    right = np.repeat(c.indptr[owner], rep) + offsets
    data = c.data[left] * c.data[right]
    rows = c.indices[left] * m + c.indices[right]
    return sp.csr_matrix((data, (rows, owner[left])), shape=(m * m, n))


def _secular_roots(
    c: sp.csr_matrix, w: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Roots ``mu_j`` of ``phi_j(mu) = 1`` in ``[lo_j, hi_j]``, all ``j`` in lock-step.

    ``phi_j`` is the ``j``-th largest eigenvalue of ``F(mu) = C^T (diag(w) + mu I)^-1 C``; it
    decreases, with derivative ``-|P^-1 C z|^2`` (Hellmann-Feynman). Newton's method runs on
    ``1 / phi_j``, which is nearly linear when one pole dominates, inside a shrinking bracket.

    Returns
    -------
    mu : ndarray, shape (k,)
    z : ndarray, shape (m, k)
        Eigenvectors of ``F(mu_j)`` for ``phi_j``.
    """
    pairs = pair_matrix(c)
    m, k = c.shape[1], len(lo)
    lo, hi, mu = lo.copy(), hi.copy(), hi.copy()
    z, done = np.zeros((m, k)), np.zeros(k, dtype=bool)
    for _ in range(MAX_SECULAR_STEPS):
        todo = np.flatnonzero(~done)
        if not len(todo):
            break
        scales = 1.0 / (w[:, None] + mu[todo][None, :])
        vals, vecs = np.linalg.eigh((pairs @ scales).T.reshape(len(todo), m, m))
        phi = vals[np.arange(len(todo)), m - 1 - todo]
        z[:, todo] = vecs[np.arange(len(todo)), :, m - 1 - todo].T
        lo[todo] = np.where(phi >= 1.0, mu[todo], lo[todo])
        hi[todo] = np.where(phi <= 1.0, mu[todo], hi[todo])
        done[todo] = (np.abs(phi - 1.0) <= 1e-14) | (hi[todo] - lo[todo] <= 4e-16 * hi[todo])
        slope = -np.sum((c @ z[:, todo]) ** 2 * scales**2, axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = mu[todo] + phi * (1.0 - phi) / slope
        inside = (step > lo[todo]) & (step < hi[todo])
        mu[todo] = np.where(inside, step, 0.5 * (lo[todo] + hi[todo]))
    if not done.all():
        log.warning("secular equation unconverged for %d eigenvalue(s)", int((~done).sum()))
    return mu, z


def _share_repeated(
    c: sp.csr_matrix, w: np.ndarray, mu: np.ndarray, z: np.ndarray, rtol: float = 1e-9
) -> None:
    """Give a repeated eigenvalue one ``mu`` and orthogonal ``z`` from one ``F(mu)``, in place.

    Solved separately, the copies of a repeated root land on either side of it, where the
    order of ``F``'s eigenvalues swaps, and can return the same direction twice.
    """
    m = c.shape[1]
    start = 0
    while start < len(mu):
        stop = start + 1
        while stop < len(mu) and abs(mu[stop] - mu[start]) <= rtol * abs(mu[start]):
            stop += 1
        if stop - start > 1:
            mu[start:stop] = mu[start:stop].mean()
            f = (c.T @ c.multiply(1.0 / (w + mu[start])[:, None])).toarray()
            z[:, start:stop] = np.linalg.eigh(f)[1][:, m - 1 - np.arange(start, stop)]
        start = stop


def top_eigenpairs(c: sp.spmatrix | np.ndarray, w: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` largest eigenpairs of ``X = C C^T - diag(w)`` (``w >= 0``) with eigenvalue > 0.

    For ``mu > 0``, ``P = diag(w) + mu I`` is positive definite and (Haynsworth inertia on
    ``[[P, C], [C^T, I]]``) the number of eigenvalues of ``X`` above ``mu`` equals the number of
    eigenvalues of ``F(mu) = C^T P^-1 C`` above 1. So the ``j``-th eigenvalue of ``X`` is the root
    of ``phi_j(mu) = 1``, bracketed by Weyl in ``[lambda_j(C^T C) - max w, lambda_j(C^T C)]``, and
    its eigenvector is ``P^-1 C z``. A final Rayleigh-Ritz step makes the vectors orthonormal
    even when eigenvalues repeat.

    Parameters
    ----------
    c : sparse or ndarray, shape (n, m)
    w : ndarray, shape (n,)
    k : int

    Returns
    -------
    values : ndarray, shape (k',)
        Descending; ``k' <= k`` when fewer eigenvalues are positive.
    vectors : ndarray, shape (n, k')
        Orthonormal, signs fixed.
    """
    c = sp.csr_matrix(c, dtype=np.float64)
    n, m = c.shape
    lam = np.linalg.eigvalsh((c.T @ c).toarray())[::-1][: min(k, m, n)]
    if not len(lam) or lam[0] <= 0:  # C = 0: no link anywhere, X = -diag(w) has nothing positive
        return np.zeros(0), np.zeros((n, 0))
    floor = 1e-12 * lam[0]
    lo = np.maximum(lam - float(w.max(initial=0.0)), floor)
    # eigenvalues of X that are not above the floor are not wanted; they come last
    keep = lam > floor
    if (lo <= floor).any():
        doubtful = np.flatnonzero(keep & (lo <= floor))
        scales = np.full((n, 1), 1.0) / (w[:, None] + floor)
        f = (c.T @ c.multiply(scales)).toarray()
        keep[doubtful] = np.linalg.eigvalsh(f)[::-1][doubtful] > 1.0
    keep = np.cumprod(keep).astype(bool)
    if not keep.any():
        return np.zeros(0), np.zeros((n, 0))
    mu, z = _secular_roots(c, w, lo[keep], lam[keep])
    _share_repeated(c, w, mu, z)
    found = np.asarray(c @ z) / (w[:, None] + mu[None, :])
    basis, _ = np.linalg.qr(found)
    projected = np.asarray(c.T @ basis).T
    ritz = projected @ projected.T - basis.T @ (w[:, None] * basis)
    values, rot = np.linalg.eigh(0.5 * (ritz + ritz.T))
    return values[::-1], fixed_signs(basis @ rot[:, ::-1])
