"""Top-k lists of the same rows under several blends of two distances, in one scan.

Choosing a blend's weight (:func:`sitegen.models.popularity.choose_weight`) ranks a sample of
manga against the whole catalogue under every candidate weight. Blending each block of
distances once per weight and scanning it wrote and read the block again for every weight: at
1,000,000 manga that step took 124 s of the description-aware model's fit (the popularity
blend's whole fit, its weight chosen so too, took 115 s). Here each entry is read once, every
weight's value made from it in registers, and each weight keeps its own running list, with the
tie rule and grid of :func:`~sitegen.analysis.neighbours.top_k`; the values are the float32
ones ``alpha * a + beta * b`` that the blocks held, so the lists are the same.
"""

from __future__ import annotations

import numba
import numpy as np

from .ranked import GRID, keep


def blend_scales(weights: tuple[float, ...] | list[float]) -> tuple[np.ndarray, np.ndarray]:
    """``(alpha, beta)`` per weight, float32: ``a + w / (1 - w) * b`` below 1, ``b`` alone at 1
    (the ranking of ``(1 - w) * a + w * b`` either way)."""
    alphas = np.array([0.0 if w >= 1 else 1.0 for w in weights], dtype=np.float32)
    betas = np.array([1.0 if w >= 1 else w / (1.0 - w) for w in weights], dtype=np.float32)
    return alphas, betas


def blended_top_k(a: np.ndarray, b: np.ndarray, alphas: np.ndarray, betas: np.ndarray, rows: np.ndarray,
                  k: int, out: np.ndarray) -> None:
    """Each row's ``k`` nearest under every blend ``alphas[w] * a + betas[w] * b``, in place.

    Parameters
    ----------
    a : ndarray, shape (n_rows, n), float32
    b : ndarray, shape (n_rows, n) or (1, n), float32
        The second distance, per row or one row shared by all (a term of the candidate alone).
    alphas, betas : ndarray, shape (n_weights,), float32
    rows : ndarray of int, shape (n_rows,)
        The manga each row belongs to, left out of its own lists; -1 leaves nothing out.
    k : int
    out : ndarray, shape (n_weights, n_rows, k), integer
        Filled with column indices, nearest first, ties by index (-1 where short).
    """
    _blended(a, b, np.ascontiguousarray(alphas, dtype=np.float32), np.ascontiguousarray(betas, dtype=np.float32),
             np.asarray(rows, dtype=np.int64), k, GRID, out)


@numba.njit(parallel=True, cache=True, nogil=True)
def _blended(a, b, alphas, betas, rows, k, grid, out):  # pragma: no cover - compiled
    weights = alphas.shape[0]
    for r in numba.prange(a.shape[0]):
        best_d = np.full((weights, k), np.inf)
        best_i = np.full((weights, k), -1, dtype=np.int64)
        filled = np.zeros(weights, dtype=np.int64)
        bound = np.full(weights, np.inf)  # as in _topk_block: most entries cost one comparison
        other = r if b.shape[0] > 1 else r - r  # (r - r: prange counts unsigned, 0 would make it a float)
        for j in range(a.shape[1]):
            if j == rows[r]:
                continue
            x = a[r, j]
            y = b[other, j]
            for w in range(weights):
                raw = alphas[w] * x + betas[w] * y  # float32, as the blended block held it
                if raw > bound[w]:
                    continue
                d = np.floor(np.float64(raw) * grid + 0.5)
                if d != d:  # NaN sorts last
                    d = np.inf
                filled[w] = keep(best_d[w], best_i[w], filled[w], d, j)
                if filled[w] == k:
                    bound[w] = (best_d[w, k - 1] + 0.5) / grid
        for w in range(weights):
            for p in range(k):
                out[w, r, p] = best_i[w, p]
