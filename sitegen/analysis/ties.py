"""Equal distances ordered by something a reader can see: how alike the descriptions are.

A tag model cannot tell apart manga with the same tag set: every one of them is at the same
distance from any manga, and in many lists all k neighbours are. The search orders such ties by
catalogue index (most followed first), which is deterministic but says nothing about the pick.
Here each run of equal distances is ordered by text similarity to the pick instead (the
description-aware model's unit text vectors: titles and description), then by index.

For a model whose distance to a manga depends only on that manga's tag set
(``Model.ties_among_twins``), a tie at the end of a list is a whole group of twins, most of which
did not fit. So the candidates of a list are the whole groups of the manga it holds (at most
``cap`` manga, most followed first), each at its listed distance, and the list is chosen again
from them. Manga with the same tag set as the pick share one candidate set, so each candidate's
text is read once for up to :data:`PICKS` of them.
"""

from __future__ import annotations

import numba
import numpy as np

from .neighbours import Neighbours

CAP = 4096  # candidates per tag set: a tie wider than this keeps its most followed manga


def _members(groups: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Manga sorted by group (index order within), each group's start in that order, and its size."""
    order = np.argsort(groups, kind="stable")
    heads, starts, sizes = np.unique(groups[order], return_index=True, return_counts=True)
    start_of = np.full(groups.size, -1, dtype=np.int64)
    start_of[heads] = starts
    size_of = np.zeros(groups.size, dtype=np.int64)
    size_of[heads] = sizes
    return order, start_of, size_of


# fastmath lets the similarity's dot product use vector instructions (its sum in another order):
# half the time at 110,000 manga (4.4 -> 2.2 s for LSI), 99.995% of lists the same, the rest
# swapping two manga whose similarities differ in float32 rounding only.
@numba.njit(cache=True, nogil=True, fastmath=True)
def _similarity(text, a, b):  # pragma: no cover - compiled
    acc = np.float32(0.0)
    for x in range(text.shape[1]):
        acc += text[a, x] * text[b, x]
    return acc


@numba.njit(cache=True, nogil=True)
def _best_of_run(sim, idx, count, want):  # pragma: no cover - compiled
    """Move the ``want`` best of the first ``count`` of ``idx`` (and ``sim`` with them) to the
    front, in order: highest similarity first, then lowest index. Returns how many there are.

    One pass that inserts into the kept front: a run of twins is often far longer than the list
    still has room for (every pick of a 500-strong tag set ranks the other 499), and sorting all of
    it, for every pick, took most of the time.
    """
    kept = 0
    for a in range(count):
        s, j = sim[a], idx[a]
        if kept == want and (sim[kept - 1] > s or (sim[kept - 1] == s and idx[kept - 1] < j)):
            continue
        if kept < want:
            kept += 1
        b = kept - 1
        while b > 0 and (sim[b - 1] < s or (sim[b - 1] == s and idx[b - 1] > j)):
            sim[b], idx[b] = sim[b - 1], idx[b - 1]
            b -= 1
        sim[b], idx[b] = s, j
    return kept


#: Picks whose similarities are made together: each candidate's text row is read once for them all.
PICKS = 32


@numba.njit(cache=True, nogil=True)
def _reach(cdist, total, width):  # pragma: no cover - compiled
    """The candidates any pick can look at: whole runs of equal distance until ``width + 1`` (a
    pick may be among them and gives up its place)."""
    c = 0
    while c < total and c < width + 1:
        e = c + 1
        while e < total and cdist[e] == cdist[c]:
            e += 1
        c = e
    return c


@numba.njit(cache=True, nogil=True)
def _run_similarities(text, chunk, cand, cdist, reach, sims):  # pragma: no cover - compiled
    """``sims[r, q]``: similarity of pick ``chunk[r]`` to candidate ``q``, for the candidates in
    runs of equal distance (a run of one needs none). Every pick of a tag set has the same
    candidates, so each candidate's text row is read once for a chunk of picks, whose rows stay
    in cache, not once a pick: at 1,000,000 manga that rereading from memory took two thirds of
    the time (LSI's lists: 78 s, now 25 s, the same lists)."""
    c = 0
    while c < reach:
        e = c + 1
        while e < reach and cdist[e] == cdist[c]:
            e += 1
        if e - c > 1:
            for q in range(c, e):
                for r in range(chunk.size):
                    sims[r, q] = _similarity(text, chunk[r], cand[q])
        c = e


@numba.njit(cache=True, nogil=True)
def _order_group(rep_idx, rep_dist, picks, groups, order, start_of, size_of, text, width, cap,
                 out_idx, out_dist):  # pragma: no cover - compiled
    """Re-list every pick of a tag set from the whole groups of its representative's list
    (``rep_idx``, ``rep_dist``), into rows ``picks`` of ``out_idx`` and ``out_dist``."""
    cand = np.empty(cap, dtype=np.int64)
    cdist = np.empty(cap, dtype=np.float64)
    total = 0
    seen = set()
    for p in range(rep_idx.size):
        j = rep_idx[p]
        if j < 0 or total >= cap:
            break
        h = groups[j]
        if h in seen:
            continue
        seen.add(h)
        take = min(size_of[h], cap - total)
        for q in range(take):
            cand[total + q] = order[start_of[h] + q]
            cdist[total + q] = rep_dist[p]
        total += take
    reach = _reach(cdist, total, width)
    sims = np.zeros((min(PICKS, picks.size), reach), dtype=np.float32)
    sim = np.empty(reach, dtype=np.float32)
    idx = np.empty(reach, dtype=np.int64)
    for first in range(0, picks.size, PICKS):
        chunk = picks[first:first + PICKS]
        _run_similarities(text, chunk, cand, cdist, reach, sims)
        for r in range(chunk.size):
            m = chunk[r]
            filled = 0
            c = 0
            # candidates come in list order, so their distances never fall: sort each run of equal
            # distance by similarity (higher first), then index, and take runs until the list is full
            while c < reach and filled < width:
                e = c + 1
                while e < reach and cdist[e] == cdist[c]:
                    e += 1
                for q in range(e - c):
                    idx[q] = cand[c + q]
                    sim[q] = sims[r, c + q]
                # one more than the room left: the pick itself may be in the run
                for q in range(_best_of_run(sim, idx, e - c, width - filled + 1)):
                    if idx[q] != m and filled < width:
                        out_idx[m, filled] = idx[q]
                        out_dist[m, filled] = cdist[c]
                        filled += 1
                c = e
            for q in range(filled, width):
                out_idx[m, q] = -1
                out_dist[m, q] = np.inf


# One call for every tag set, in parallel: each writes the rows of its own manga only. A call a tag
# set from Python cost more than the work (2.6 s a model at 110,000 manga, 59,527 tag sets).
@numba.njit(cache=True, nogil=True, parallel=True)
def _order_groups(todo, found_idx, rep_dist, groups, order, start_of, size_of, text, cap,
                  out_idx, out_dist):  # pragma: no cover - compiled
    width = found_idx.shape[1]
    for t in numba.prange(todo.size):
        g = todo[t]
        picks = order[start_of[g] : start_of[g] + size_of[g]]
        _order_group(found_idx[g], rep_dist[g], picks, groups, order, start_of, size_of, text, width, cap,
                     out_idx, out_dist)


def break_ties(found: Neighbours, groups: np.ndarray, text: np.ndarray, *, cap: int = CAP) -> Neighbours:
    """``found`` with each run of equal distances ordered by text similarity to the pick, then index.

    Parameters
    ----------
    found : Neighbours
        Lists of shape (n_manga, width) of a model with ``ties_among_twins``; -1 for no neighbour.
    groups : ndarray of int, shape (n_manga,)
        For each manga, the first manga with its tag set (``Catalogue.tag_groups``).
    text : ndarray, shape (n_manga, d), float32
        Unit text vectors (zero rows for manga with no words: they sort after any similar text).
    """
    order, start_of, size_of = _members(groups)
    indices, distances = found.indices.copy(), found.distances.copy()
    reps = np.flatnonzero(size_of)
    # Only lists that hold a tie can change: two equal distances, or a manga with twins.
    lists = found.indices[reps]
    twins = np.where(lists >= 0, size_of[groups[np.maximum(lists, 0)]] > 1, False)
    near = found.distances[reps]
    equal = near[:, 1:] == near[:, :-1]
    text = np.ascontiguousarray(text, dtype=np.float32)
    rep_dist = found.distances.astype(np.float64)
    todo = reps[twins.any(axis=1) | equal.any(axis=1) | (size_of[reps] > 1)]
    todo = todo[found.indices[todo, 0] >= 0]  # manga the model does not place keep no list
    out_i, out_d = indices.astype(np.int64), distances.astype(np.float64)
    _order_groups(todo.astype(np.int64), found.indices.astype(np.int64), rep_dist, groups.astype(np.int64), order,
                  start_of, size_of, text, cap, out_i, out_d)
    indices, distances = out_i.astype(found.indices.dtype), out_d.astype(found.distances.dtype)
    return Neighbours(found.model, indices, distances, found.method, found.recall)
