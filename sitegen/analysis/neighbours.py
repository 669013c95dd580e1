"""Top-k nearest neighbours of every manga under a model.

Ties are the rule, not the exception: about one manga in three shares its exact tag set with
another, so many distances are equal. Distances are rounded to a grid of 2**-17 (about 8e-6, far
below what the site shows) so that float noise cannot split a tie, and equal distances are broken
by catalogue index, which orders manga by follows (most first) and then id. The result is
deterministic and, among equals, shows the better-known manga first.

Exact search multiplies blocks of rows against the whole catalogue and keeps the k best with a
compiled scan; past ``exact_max`` manga the partitioned search (:mod:`.partitioned`) compares each
manga with a share of the catalogue only, or NN-Descent (pynndescent) when asked for.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numba
import numpy as np
from tqdm import tqdm

if TYPE_CHECKING:
    from ..models.base import Model

from .ranked import GRID, keep
from .sparse_scan import scan_sparse, scan_sparse_rows, sparse_product

log = logging.getLogger(__name__)

BLOCK_BYTES = 256 * 2**20


@dataclass(frozen=True)
class Neighbours:
    """Each manga's k nearest others under one model, nearest first.

    Attributes
    ----------
    model : str
    indices : ndarray, shape (n_manga, k), int32
    distances : ndarray, shape (n_manga, k), float32 (rounded to the tie grid)
    method : str
        ``"exact"``, ``"nndescent"``, ``"partitioned"`` or ``"probed"``.
    recall : float or None
        For an approximate search, its measured tie-aware recall against the exact lists on a
        sample of manga (:func:`sitegen.analysis.partitioned.tie_aware_recall`); None for the exact search.
    """

    model: str
    indices: np.ndarray
    distances: np.ndarray
    method: str = "exact"
    recall: float | None = None


@numba.njit(parallel=True, cache=True, nogil=True)
def _topk_block(dist, rows, k, grid, out_idx, out_dist):  # pragma: no cover - compiled
    for r in numba.prange(dist.shape[0]):
        best_d = np.full(k, np.inf)
        best_i = np.full(k, -1, dtype=np.int64)
        filled = 0
        # Raw distances above this cannot round to the current k-th grid value or below: the
        # cheap float comparison rejects almost every entry before any rounding is done.
        bound = np.inf
        for j in range(dist.shape[1]):
            raw = dist[r, j]
            if raw > bound or j == rows[r]:
                continue
            d = np.floor(np.float64(raw) * grid + 0.5)
            if d != d:  # NaN sorts last
                d = np.inf
            filled = keep(best_d, best_i, filled, d, j)  # j only grows: a tie never displaces
            if filled == k:
                bound = (best_d[k - 1] + 0.5) / grid
        for p in range(k):
            out_idx[r, p] = best_i[p]
            out_dist[r, p] = best_d[p] / grid


def top_k(dist: np.ndarray, rows: np.ndarray, k: int, out_idx: np.ndarray, out_dist: np.ndarray) -> None:
    """The ``k`` smallest distances of each row of a block, ties broken by column, rounded to the grid.

    Parameters
    ----------
    dist : ndarray, shape (n_rows, n_manga), float32
        A block of distances (lower is closer), as :meth:`Model.distances` returns it.
    rows : ndarray of int, shape (n_rows,)
        The manga each row belongs to, left out of its own list; -1 leaves nothing out.
    k : int
    out_idx : ndarray, shape (n_rows, k), integer
        Filled with column indices, nearest first (-1 where a row has fewer than ``k``).
    out_dist : ndarray, shape (n_rows, k), float
        Filled with their distances, rounded to the tie grid (:data:`GRID`).
    """
    _topk_block(dist, np.asarray(rows, dtype=np.int64), k, GRID, out_idx, out_dist)


# Serial: it runs between two matrix products, and parallel threads waking between OpenBLAS's
# threads on two cores cost more than the scan (measured: 7 s against under 1 s at 110,000 manga).
@numba.njit(cache=True, nogil=True)
def _merge_block(dist, at, rows, cols, grid, best_i, best_d):  # pragma: no cover - compiled
    k = best_i.shape[1]
    for r in range(dist.shape[0]):
        bi = best_i[at[r]]
        bd = best_d[at[r]]
        bound = (bd[k - 1] + 0.5) / grid  # as in _topk_block: most entries cost one comparison
        for c in range(dist.shape[1]):
            raw = dist[r, c]
            j = cols[c]
            if raw > bound or j == rows[r]:
                continue
            d = np.floor(np.float64(raw) * grid + 0.5)
            if d != d:
                d = np.inf
            # (distance, index) order: an equal distance displaces a larger index only, so the
            # lists do not depend on the order the blocks come in
            keep(bd, bi, k, d, j)
            bound = (bd[k - 1] + 0.5) / grid


def merge_block(dist: np.ndarray, at: np.ndarray, rows: np.ndarray, cols: np.ndarray,
                best_i: np.ndarray, best_d: np.ndarray) -> None:
    """Merge a block of distances into running top-k lists, in place.

    Parameters
    ----------
    dist : ndarray, shape (n_rows, n_cols), float32
        Distances from manga ``rows`` to manga ``cols`` (lower is closer).
    at : ndarray of int, shape (n_rows,)
        The list each row updates (distinct within one call).
    rows : ndarray of int, shape (n_rows,)
        The manga each row belongs to, never listed in its own list.
    cols : ndarray of int, shape (n_cols,)
        The manga of each column; a manga must not come twice to the same list.
    best_i : ndarray, shape (n_lists, k), int64
        Listed manga, nearest first; start with ``n_manga`` (larger than any index) for empty.
    best_d : ndarray, shape (n_lists, k), float64
        Their distances in grid steps (:data:`GRID`), ``inf`` for empty; ties ordered by index,
        as :func:`top_k` orders them.
    """
    _merge_block(dist, np.asarray(at, dtype=np.int64), np.asarray(rows, dtype=np.int64),
                 np.asarray(cols, dtype=np.int64), GRID, best_i, best_d)


#: Columns per task when a block's entries are merged into the lists of the later manga.
TILE = 256


@numba.njit(parallel=True, cache=True, nogil=True)
def _merge_symmetric(dist, back, start, grid, self_out, best_i, best_d):  # pragma: no cover - compiled
    rows, width = dist.shape
    k = best_i.shape[1]
    for r in numba.prange(rows):  # each row's own list: every column from the block's first on
        i = start + r
        bi = best_i[i]
        bd = best_d[i]
        bound = (bd[k - 1] + 0.5) / grid  # as in _topk_block: most entries cost one comparison
        for c in range(width):
            raw = dist[r, c]
            if raw > bound or (self_out and c == r):
                continue
            d = np.floor(np.float64(raw) * grid + 0.5)
            if d != d:
                d = np.inf
            keep(bd, bi, k, d, start + c)
            bound = (bd[k - 1] + 0.5) / grid
    # The lists of the manga past the block take its rows as columns, from ``back`` (d(j, i); the
    # block itself when the distance is symmetric). One task a tile of columns, so that each list
    # has one writer and every read runs along a row.
    tiles = (width - rows + TILE - 1) // TILE
    for t in numba.prange(tiles):
        c0 = rows + t * TILE
        c1 = min(c0 + TILE, width)
        bounds = np.empty(c1 - c0)
        for c in range(c0, c1):
            bounds[c - c0] = (best_d[start + c, k - 1] + 0.5) / grid
        for r in range(rows):
            for c in range(c0, c1):
                raw = back[r, c]
                if raw > bounds[c - c0]:
                    continue
                d = np.floor(np.float64(raw) * grid + 0.5)
                if d != d:
                    d = np.inf
                j = start + c
                keep(best_d[j], best_i[j], k, d, start + r)
                bounds[c - c0] = (best_d[j, k - 1] + 0.5) / grid


@numba.njit(cache=True, nogil=True)
def _expand_groups(group_pos, group_dist, starts, members, out_idx, out_dist):  # pragma: no cover - compiled
    width = out_idx.shape[1]
    for r in range(group_pos.shape[0]):
        best_d = np.full(width, np.inf)
        best_i = np.full(width, -1, dtype=np.int64)
        filled = 0
        for p in range(group_pos.shape[1]):
            g = group_pos[r, p]
            if g < 0:
                break
            d = np.float64(group_dist[r, p])
            for m in range(starts[g], min(starts[g + 1], starts[g] + width)):
                # (distance, index) order, as the scan over every manga gives it
                filled = keep(best_d, best_i, filled, d, members[m])
        for p in range(width):
            out_idx[r, p] = best_i[p]
            out_dist[r, p] = best_d[p]


def _group_columns(groups: np.ndarray, reps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each group's members, ascending, as CSR ``(starts, members)`` in the order of ``reps``."""
    pos = np.searchsorted(reps, groups)
    members = np.argsort(pos, kind="stable")  # by group, then index
    starts = np.zeros(len(reps) + 1, dtype=np.int64)
    np.cumsum(np.bincount(pos, minlength=len(reps)), out=starts[1:])
    return starts, members.astype(np.int64)


def exact(model: Model, n: int, k: int, *, groups: np.ndarray | None = None, progress: bool = True,
          block_bytes: int | None = None) -> Neighbours:
    """Exact top-k by blocked distance computation.

    Parameters
    ----------
    model : Model
        Fitted; its :meth:`~Model.distances` gives blocks of shape (rows, n). When its distance
        is symmetric (``model.symmetric``), only the blocks on and above the diagonal are
        computed, half the products: each block's rows update their own lists, and its columns,
        read as rows, the lists of the manga past the block (:func:`_merge_symmetric`); so too
        when both ends come from one symmetric product (``model.row_scaled_symmetric``, through
        :meth:`~Model.distance_pair`). Lists
        are kept in (distance, index) order whatever order entries come in, so they are the
        ones a full scan gives.
    n : int
        Number of manga.
    k : int
        Neighbours per manga (at most n - 1).
    groups : ndarray of int, shape (n,), optional
        For each manga, the first manga whose distance row is the same (the same tag set, for
        models with ``rows_by_tag_set``, whose columns then are the same too). Over two fifths of
        the catalogue share their tag set, so distances are computed between distinct tag sets
        only (59,527 of 110,000 in the demo: a product 1.8 times smaller), with the distance
        between twins on the diagonal; each row keeps its k + 1 nearest tag sets, whose members,
        in (distance, index) order, make the list exactly as a scan over every manga would (a
        manga of a later set has k + 1 sets, each with a smaller index, ahead of it); every
        member drops itself from its set's list.
    block_bytes : int, optional
        Size of a block of distances (float32); :data:`BLOCK_BYTES` when left out.
    """
    k = min(k, n - 1)
    if groups is not None and not model.ties_among_twins:
        return _shared_rows(model, n, k, groups, block_bytes or BLOCK_BYTES, progress)
    queries = np.arange(n) if groups is None else np.unique(groups)
    width = k if groups is None else min(k + 1, n)
    scan = _scan_symmetric if model.symmetric or model.row_scaled_symmetric else _scan_rows
    indices, distances = scan(model, queries, groups is not None, min(width, len(queries)), block_bytes or BLOCK_BYTES,
                              progress)
    if groups is not None:
        indices, distances = expand_groups(indices, distances, queries, groups, k)
    return Neighbours(model.name, indices, distances, "exact")


def expand_groups(indices: np.ndarray, distances: np.ndarray, points: np.ndarray, groups: np.ndarray, k: int, *,
                  sets: np.ndarray | None = None, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Manga's lists from their tag sets' lists of tag sets.

    Parameters
    ----------
    indices, distances : ndarray, shape (len(sets), width)
        Tag sets' nearest tag sets, as positions in ``points`` (-1 where short), with the
        distance between twins for a set's own; ``width`` is ``k + 1`` (or all the sets).
    points : ndarray of int, shape (n_sets,)
        The first manga of every tag set, ascending (``np.unique(groups)``).
    groups : ndarray of int, shape (n,)
        Each manga's tag set, as its first manga.
    sets : ndarray of int, optional
        The tag sets the lists are for, ascending (default: all of ``points``).
    rows : ndarray of int, optional
        The manga whose lists are wanted, their sets among ``sets`` (default: every manga).

    Returns
    -------
    indices, distances : ndarray, shape (len(rows), k)
        The members of the listed sets in (distance, index) order, the manga itself left out.
    """
    sets = points if sets is None else sets
    width = min(k + 1, len(groups))
    if indices.shape[1] < width:
        pad = width - indices.shape[1]
        indices = np.hstack([indices, np.full((len(sets), pad), -1, dtype=np.int32)])
        distances = np.hstack([distances, np.full((len(sets), pad), np.inf, dtype=np.float32)])
    at, members = _group_columns(groups, points)
    _expand_groups(indices[:, : min(width, len(points))], distances, at, members, indices, distances)
    if rows is None:
        return share_rows(indices, distances, np.searchsorted(sets, groups), k)
    return share_rows(indices, distances, np.searchsorted(sets, groups[rows]), k, owners=rows)


def _shared_rows(model: Model, n: int, k: int, groups: np.ndarray, block_bytes: int, progress: bool) -> Neighbours:
    """Twins share a row but not a column (the popularity blend adds a term of the listed manga
    alone, so twins are not equally far): each distinct row against every manga, k + 1 long, then
    every member of a tag set takes its set's list without itself."""
    queries = np.unique(groups)
    product = sparse_product(model)
    if product is not None and product.col_add is not None:
        indices, distances = scan_sparse_rows(model, product, queries, min(k + 1, n), progress)
    else:
        indices, distances = _scan_rows(model, queries, True, min(k + 1, n), block_bytes, progress, all_columns=True)
    indices, distances = share_rows(indices, distances, np.searchsorted(queries, groups), k)
    return Neighbours(model.name, indices, distances, "exact")


def _scan_rows(model: Model, queries: np.ndarray, twins: bool, width: int, block_bytes: int,
               progress: bool, all_columns: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Top ``width`` of each query among all queries (or all manga: ``all_columns``), whole rows a
    block (any distance)."""
    q = len(queries)
    cols = queries if twins and not all_columns else None
    exclude = np.full(q, -1) if twins else queries
    # Whole rows in blocks of a few hundred MB: measured at 110,000 manga, cache-sized tiles of
    # 16,384 columns took 1.6 to 2 times as long (smaller products, more calls).
    columns = model.embedding_.shape[0] if all_columns else q
    block = max(1, min(q, block_bytes // (4 * max(columns, 1))))
    indices = np.empty((q, width), dtype=np.int32)
    distances = np.empty((q, width), dtype=np.float32)
    for start in tqdm(range(0, q, block), desc=f"neighbours {model.name}", unit="block",
                      disable=None if progress else True, leave=False):
        stop = min(q, start + block)
        dist = model.distances(queries[start:stop], cols, twin_diagonal=twins)
        top_k(dist, exclude[start:stop], width, indices[start:stop], distances[start:stop])
    return indices, distances


def _scan_symmetric(model: Model, queries: np.ndarray, twins: bool, width: int, block_bytes: int,
                    progress: bool) -> tuple[np.ndarray, np.ndarray]:
    """As :func:`_scan_rows` for a symmetric distance (or one of :meth:`~Model.distance_pair`),
    from the blocks on and above the diagonal."""
    product = sparse_product(model)
    if product is not None:  # the network models: distances made and ranked in one pass
        return scan_sparse(model, product, queries, twins, width, progress)
    q = len(queries)
    paired = not model.symmetric
    block_bytes //= 2 if paired else 1  # a block each way
    best_i = np.full((q, width), q, dtype=np.int64)  # q: after every real position
    best_d = np.full((q, width), np.inf)
    with tqdm(total=q, desc=f"neighbours {model.name}", unit="manga", disable=None if progress else True,
              leave=False) as bar:
        start = 0
        while start < q:
            stop = min(q, start + max(1, block_bytes // (4 * (q - start))))  # blocks grow as the columns shrink
            if paired:
                dist, back = model.distance_pair(queries[start:stop], queries[start:], twin_diagonal=twins)
            else:
                dist = back = model.distances(queries[start:stop], queries[start:], twin_diagonal=twins)
            _merge_symmetric(dist, back, start, GRID, not twins, best_i, best_d)
            del dist, back  # before the next block is made
            bar.update(stop - start)
            start = stop
    best_i[best_i >= q] = -1
    return best_i.astype(np.int32), (best_d / GRID).astype(np.float32)


def share_rows(indices: np.ndarray, distances: np.ndarray, rows: np.ndarray, k: int,
               owners: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Give each manga its group's list (shape (groups, k + 1)) without itself, k long.

    ``rows`` is each manga's group (a row of ``indices``); the manga are ``0 .. len(rows) - 1``
    unless ``owners`` names them.
    """
    idx, dist = indices[rows], distances[rows]
    is_self = idx == (np.arange(len(rows)) if owners is None else owners)[:, None]
    order = np.argsort(is_self, axis=1, kind="stable")[:, :k]  # self, if listed, moves to the end
    return np.take_along_axis(idx, order, axis=1), np.take_along_axis(dist, order, axis=1)


def _tie_order(indices: np.ndarray, distances: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Drop self matches, round to the grid and sort each row by (distance, index)."""
    n = indices.shape[0]
    rounded = np.floor(distances.astype(np.float64) * GRID + 0.5) / GRID
    self_hit = indices == np.arange(n)[:, None]
    rounded[self_hit | (indices < 0)] = np.inf
    order = np.lexsort((indices, rounded), axis=-1)[:, :k]
    idx = np.take_along_axis(indices, order, axis=1).astype(np.int32)
    dist = np.take_along_axis(rounded, order, axis=1).astype(np.float32)
    return idx, dist


def approximate(model: Model, k: int, seed: int) -> Neighbours:
    """NN-Descent top-k on ``model.embedding_`` (pynndescent), ties ordered as in :func:`exact`."""
    from pynndescent import NNDescent

    data = model._keys()
    n = data.shape[0]
    k = min(k, n - 1)
    index = NNDescent(data, metric=model.metric, n_neighbors=min(n, k + 2), random_state=seed, verbose=False)
    idx, dist = index.neighbor_graph
    idx, dist = _tie_order(idx, dist, k)
    return Neighbours(model.name, idx, dist, "nndescent")
