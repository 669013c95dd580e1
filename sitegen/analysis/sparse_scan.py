"""Exact symmetric search over sparse keys: each pair's distance made and ranked in one pass.

For a model whose keys are a sparse matrix times a small basis
(:class:`~sitegen.models.sparse_keys.SparseKeys`: the network models, and the cosine models whose
vectors are a manga's term weights times term vectors), the distance between a block of manga
and manga ``j`` is ``xt.T @ rows_j``: about 9 multiply-adds along the block per pair for a
network model, against one dot product of 78 to 155 numbers in the dense product. The scan makes each
later manga's distances to the block in a short vector held in cache and merges them at once
into the block's lists and into that manga's own, so no block of distances is ever written out
(the dense search writes every block to memory and reads it twice). Lists are kept in the
(distance, index) order of :func:`~sitegen.analysis.neighbours.keep`, so they are what the dense
search finds, but where the two products round a distance to neighbouring grid steps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numba
import numpy as np
from tqdm import tqdm

from .ranked import GRID, keep

if TYPE_CHECKING:
    from ..models.base import Model
    from ..models.sparse_keys import SparseProduct

#: ``finish`` of :class:`~sitegen.models.network.QueryKeyModel` as the compiled scan's code.
FINISH_CODES = {"none": 0, "cap1": 1, "sqrt": 2}

#: Manga per block: the block's projected queries (``M`` x this, float32) stay in L2.
BLOCK_ROWS = 1024


#: The scan's code for a distance ``min(1 + c M_ij, 1)`` with ``M`` symmetric and ``c`` the row's
#: own (global silencing: :attr:`~sitegen.models.base.Model.row_scaled_symmetric`).
SCALED = 3


def sparse_product(model: Model) -> SparseProduct | None:
    """The model's distance as dense queries times :class:`SparseKeys` when the exact search can
    use it (:meth:`~sitegen.models.network.QueryKeyModel.sparse_product`), else None."""
    made = getattr(model, "sparse_product", None)
    product = made() if made is not None else None
    if product is None or getattr(model, "finish", "none") not in FINISH_CODES:
        return None
    return product


@numba.njit(cache=True, nogil=True)
def _column(xt, indptr, indices, data, m, acc):  # pragma: no cover - compiled
    """``acc = xt.T @ rows[m]``: axpys along the block, four stored entries of manga ``m`` a pass
    (one pass an entry is bound by loading and storing ``acc``: 1.5 times slower)."""
    p, end = indptr[m], indptr[m + 1]
    acc[:] = 0
    while p + 4 <= end:
        v0, v1, v2, v3 = data[p], data[p + 1], data[p + 2], data[p + 3]
        x0, x1, x2, x3 = xt[indices[p]], xt[indices[p + 1]], xt[indices[p + 2]], xt[indices[p + 3]]
        for r in range(acc.shape[0]):
            acc[r] += (v0 * x0[r] + v1 * x1[r]) + (v2 * x2[r] + v3 * x3[r])
        p += 4
    while p < end:
        v0 = data[p]
        x0 = xt[indices[p]]
        for r in range(acc.shape[0]):
            acc[r] += v0 * x0[r]
        p += 1


@numba.njit(cache=True, nogil=True)
def _finish(acc, back, mode, row_scale, col_scale, row_add, any_out):  # pragma: no cover - compiled
    """The model's finish on ``acc`` (a loop each, so that each is a vector loop), then ``inf``
    for the rows taken out. For :data:`SCALED`, ``acc`` becomes the distances from the block's
    rows and ``back`` those from the column's manga; otherwise both ways are ``acc``."""
    if mode == SCALED:
        for r in range(acc.shape[0]):
            back[r] = min(np.float32(1.0) + col_scale * acc[r], np.float32(1.0))
        for r in range(acc.shape[0]):
            acc[r] = min(np.float32(1.0) + row_scale[r] * acc[r], np.float32(1.0))
        if any_out:
            for r in range(acc.shape[0]):
                back[r] += row_add[r]
    elif mode == 1:
        for r in range(acc.shape[0]):
            acc[r] = min(acc[r], np.float32(1.0))
    elif mode == 2:
        for r in range(acc.shape[0]):
            acc[r] = np.sqrt(acc[r]) if acc[r] > 0 else np.float32(0.0)
    if any_out:
        for r in range(acc.shape[0]):
            acc[r] += row_add[r]


@numba.njit(cache=True, nogil=True)
def _up32(bound):  # pragma: no cover - compiled
    """The least float32 at or above ``bound`` (a float64). A float32 distance above it is above
    ``bound``, so the float32 pass never leaves out a distance the exact check would keep (round
    to nearest would too, for float32 distances; rounded up, the copy is a bound a test can check)."""
    b = np.float32(bound)
    if np.float64(b) < bound:
        b = np.nextafter(b, np.float32(np.inf))
    return b


@numba.njit(cache=True, nogil=True)
def _into_rows(acc, j, c, self_out, grid, bounds, bounds32, bd, bi):  # pragma: no cover - compiled
    """Column ``j`` (``c`` past the block's first) into the block's rows' lists ``bd``, ``bi``,
    bounded by ``bounds`` (and their float32 :func:`_up32`, ``bounds32``); a row's own column is
    skipped when ``self_out``.

    A column enters about half a row's list on average (each row keeps k of the catalogue), so
    almost every row of the block is passed over: first by
    float32 vector compares 128 rows at a time, then 16 (compares with the float64 bounds, or a
    count of them, do not vectorise, and cost as much as making the column)."""
    k = bd.shape[1]
    for c0 in range(0, acc.shape[0], 128):
        c1 = min(acc.shape[0], c0 + 128)
        hit = False
        for r in range(c0, c1):
            hit |= not acc[r] > bounds32[r]  # NaN is within: it sorts last, as infinity
        if not hit:
            continue
        for r0 in range(c0, c1, 16):
            r1 = min(c1, r0 + 16)
            hit = False
            for r in range(r0, r1):
                hit |= not acc[r] > bounds32[r]
            if not hit:
                continue
            for r in range(r0, r1):
                raw = acc[r]
                if raw > bounds[r] or (self_out and c == r):
                    continue
                d = np.floor(np.float64(raw) * grid + 0.5)
                if d != d:  # NaN sorts last
                    d = np.inf
                keep(bd[r], bi[r], k, d, j)
                bounds[r] = min(bounds[r], (bd[r, k - 1] + 0.5) / grid)
                bounds32[r] = _up32(bounds[r])


@numba.njit(cache=True, nogil=True)
def _into_column(back, start, grid, cb_d, cb_i):  # pragma: no cover - compiled
    """The block's rows (manga ``start`` on) into one later manga's list ``cb_d``, ``cb_i``,
    passed over 128 at a time as in :func:`_into_rows`."""
    k = cb_d.shape[0]
    bound = (cb_d[k - 1] + 0.5) / grid
    bound32 = _up32(bound)
    for c0 in range(0, back.shape[0], 128):
        c1 = min(back.shape[0], c0 + 128)
        hit = False
        for r in range(c0, c1):
            hit |= not back[r] > bound32
        if not hit:
            continue
        for r in range(c0, c1):
            raw = back[r]
            if raw > bound:
                continue
            d = np.floor(np.float64(raw) * grid + 0.5)
            if d != d:
                d = np.inf
            keep(cb_d, cb_i, k, d, start + r)
            bound = (cb_d[k - 1] + 0.5) / grid
        bound32 = _up32(bound)


@numba.njit(parallel=True, cache=True, nogil=True)
def _merge_chunks(own_i, own_d, empty, best_i, best_d):  # pragma: no cover - compiled
    """Each chunk's lists of the block's rows (``own_*``, shape (chunks, rows, k); ``empty``
    where short) into the rows' running lists ``best_*``."""
    k = best_i.shape[1]
    for r in numba.prange(own_i.shape[1]):
        for ch in range(own_i.shape[0]):
            for p in range(k):
                if own_i[ch, r, p] == empty:
                    break
                keep(best_d[r], best_i[r], k, own_d[ch, r, p], own_i[ch, r, p])


@numba.njit(parallel=True, cache=True, nogil=True)
def _scan_block(xt, indptr, indices, data, points, start, excluded, mode, scale, self_out, grid,
                threads, best_i, best_d):  # pragma: no cover - compiled
    rows = xt.shape[1]
    q = len(points)
    width = q - start
    k = best_i.shape[1]
    chunks = min(max(1, width // 256), threads)
    # Each chunk of columns keeps its own lists for the block's rows, merged at the end: one
    # writer per list. They start from the rows' current k-th distance, which no entry above
    # can beat.
    own_i = np.full((chunks, rows, k), q, dtype=np.int64)
    own_d = np.full((chunks, rows, k), np.inf)
    row_add = np.zeros(rows, dtype=np.float32)  # inf for a manga taken out: it lists nobody
    start_bounds = np.empty(rows)
    for r in range(rows):
        if excluded[points[start + r]]:
            row_add[r] = np.inf
        start_bounds[r] = (best_d[start + r, k - 1] + 0.5) / grid
    any_out = bool((row_add != 0).any())
    for ch in numba.prange(chunks):
        acc = np.empty(rows, dtype=np.float32)
        back = np.empty(rows, dtype=np.float32) if mode == SCALED else acc
        bounds = start_bounds.copy()
        bounds32 = np.empty(rows, dtype=np.float32)
        for r in range(rows):
            bounds32[r] = _up32(bounds[r])
        for j in range(start + (width * ch) // chunks, start + (width * (ch + 1)) // chunks):
            if excluded[points[j]]:
                continue
            _column(xt, indptr, indices, data, points[j], acc)
            _finish(acc, back, mode, scale[start:start + rows], scale[j] if mode == SCALED else np.float32(0),
                    row_add, any_out)
            # the block's own lists take every column from its first on; a manga past the
            # block takes the block's rows into its list
            _into_rows(acc, j, j - start, self_out, grid, bounds, bounds32, own_d[ch], own_i[ch])
            if j - start >= rows:
                _into_column(back, start, grid, best_d[j], best_i[j])
    _merge_chunks(own_i, own_d, q, best_i[start:start + rows], best_d[start:start + rows])


@numba.njit(parallel=True, cache=True, nogil=True)
def _scan_rows_block(xt, indptr, indices, data, col_add, row_out, excluded, grid, threads, best_i,
                     best_d):  # pragma: no cover - compiled
    rows = xt.shape[1]
    n = len(indptr) - 1
    k = best_i.shape[1]
    chunks = min(max(1, n // 256), threads)
    own_i = np.full((chunks, rows, k), n, dtype=np.int64)  # one writer per list, as in _scan_block
    own_d = np.full((chunks, rows, k), np.inf)
    for ch in numba.prange(chunks):
        acc = np.empty(rows, dtype=np.float32)
        bounds = np.full(rows, np.inf)
        bounds32 = np.full(rows, np.inf, dtype=np.float32)
        for j in range((n * ch) // chunks, (n * (ch + 1)) // chunks):
            if excluded[j]:
                continue
            _column(xt, indptr, indices, data, j, acc)
            add = col_add[j]
            for r in range(rows):
                acc[r] = (acc[r] + add) + row_out[r]
            _into_rows(acc, j, -1, False, grid, bounds, bounds32, own_d[ch], own_i[ch])
    _merge_chunks(own_i, own_d, n, best_i, best_d)


def _excluded(model: Model, n: int) -> np.ndarray:
    """The manga the search was told to leave out (``excluded_``, from its wrapper), as a mask of shape (n,)."""
    excluded = getattr(model, "excluded_", None)
    return np.zeros(n, dtype=np.bool_) if excluded is None else np.asarray(excluded, dtype=np.bool_)


def scan_sparse_rows(model: Model, product: SparseProduct, queries: np.ndarray, width: int,
                     progress: bool) -> tuple[np.ndarray, np.ndarray]:
    """Top ``width`` of each query among every manga, exactly, for a distance with a term of the
    listed manga (``product.col_add``: the popularity blend), which is not symmetric.

    Each query's own column is kept (at its distance to a twin, as a row shared by a tag set
    needs); manga taken out (``excluded_``) are in no list and their lists are empty.

    Returns
    -------
    indices : ndarray of int32, shape (q, width)
        Manga indices, -1 where short.
    distances : ndarray of float32, shape (q, width)
    """
    keys = product.keys
    n = len(keys.indptr) - 1
    excluded = _excluded(model, n)
    points = np.asarray(queries, dtype=np.int64)
    col_add = np.asarray(product.col_add, dtype=np.float32)
    q = len(points)
    best_i = np.full((q, width), n, dtype=np.int64)
    best_d = np.full((q, width), np.inf)
    projected = keys.project(product.queries[points])  # one product: see scan_sparse
    for start in tqdm(range(0, q, BLOCK_ROWS), desc=f"neighbours {model.name}", unit="block",
                      disable=None if progress else True, leave=False):
        stop = min(q, start + BLOCK_ROWS)
        row_out = np.where(excluded[points[start:stop]], np.float32(np.inf), np.float32(0))
        _scan_rows_block(np.ascontiguousarray(projected[:, start:stop]), keys.indptr, keys.indices, keys.data,
                         col_add, row_out, excluded, GRID, numba.get_num_threads(), best_i[start:stop],
                         best_d[start:stop])
    best_i[best_i >= n] = -1
    return best_i.astype(np.int32), (best_d / GRID).astype(np.float32)


def scan_sparse(model: Model, product: SparseProduct, queries: np.ndarray, twins: bool, width: int,
                progress: bool) -> tuple[np.ndarray, np.ndarray]:
    """Top ``width`` of each query among all queries, exactly, from the model's sparse keys.

    Parameters
    ----------
    model : Model
        A :class:`~sitegen.models.network.QueryKeyModel` whose distance is symmetric or row-scaled
        symmetric (``finish``); manga it was told to leave out (``excluded_``, from the search's
        wrapper) are in no list.
    product : SparseProduct
        From :func:`sparse_product`.
    queries : ndarray of int, shape (q,)
        The manga searched over, ascending (one per tag set when ``twins``).
    twins : bool
        The queries stand for tag sets: a query's own column is the distance between twins.
    width : int

    Returns
    -------
    indices : ndarray of int32, shape (q, width)
        Positions in ``queries``, -1 where short.
    distances : ndarray of float32, shape (q, width)
    """
    if not product.halves:
        raise ValueError(f"model {model.name!r}: a distance with a term of the listed manga is not symmetric")
    q = len(queries)
    keys = product.keys
    n = len(keys.indptr) - 1
    excluded = _excluded(model, n)
    points = np.asarray(queries, dtype=np.int64)
    best_i = np.full((q, width), q, dtype=np.int64)  # q: after every real position
    best_d = np.full((q, width), np.inf)
    mode = FINISH_CODES[getattr(model, "finish", "none")] if product.row_scale is None else SCALED
    scale = (np.zeros(0, dtype=np.float32) if product.row_scale is None
             else np.asarray(product.row_scale, dtype=np.float32)[points])
    # Every block's queries projected in one product: OpenBLAS's threads spin for a while after
    # each call, and a product per block left them spinning through the compiled scan, which
    # then ran no faster on two threads than on one (110,000 manga: 5.6 s against 3.4 s).
    projected = keys.project(product.queries[points])
    for start in tqdm(range(0, q, BLOCK_ROWS), desc=f"neighbours {model.name}", unit="block",
                      disable=None if progress else True, leave=False):
        xt = np.ascontiguousarray(projected[:, start:start + BLOCK_ROWS])
        _scan_block(xt, keys.indptr, keys.indices, keys.data, points, start, excluded, mode, scale, not twins, GRID,
                    numba.get_num_threads(), best_i, best_d)
    best_i[best_i >= q] = -1
    return best_i.astype(np.int32), (best_d / GRID).astype(np.float32)
