"""Neighbours past the exact search's reach: candidates from a partition, re-ranked exactly.

The exact search compares every manga with every other, which grows with the square of the
catalogue: at 1,000,000 manga that is the best part of an hour per model. Here the catalogue is
split into clusters of manga that rank the others alike, by k-means over a vector form of the
model (:func:`search_vectors`: the query side of its distance, in unit rows). For each cluster a few
members are compared with the whole catalogue through the model's *true* distance, and the manga
nearest to any of them, with the cluster itself and the sample's most listed manga (the hubs that
models on the shared-tag network put in many lists), form the candidates every member of the
cluster is compared with, exactly. The lists are ranked with the model's own distance and tie rule
(rounded distances, then catalogue order), so the only approximation is which manga are looked at.

How much that misses is measured, not assumed. The exact lists of a sample of manga are computed
first; the candidate share is the smallest on a ladder whose lists for those manga reach the wanted
recall, and a model that no share on the ladder serves is searched exactly. The recall reported
is measured afterwards on a second sample. Recall is tie-aware: a listed manga counts as found when
it is at most as far as the exact k-th, so breaking a tie differently from the exact search costs
nothing.

The probed search for cosine models (:mod:`.probed`) shares the samples and the recall measure.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from tqdm import tqdm

from .neighbours import BLOCK_BYTES, GRID, Neighbours, exact, expand_groups, share_rows, top_k

if TYPE_CHECKING:
    from ..models.base import Model

log = logging.getLogger(__name__)

#: Members of a cluster compared with the whole catalogue to choose its candidates.
REPRESENTATIVES = 8
#: Fewest candidates a manga is compared with, in lists of k: small catalogues get a wide net.
MIN_CANDIDATES_PER_K = 10
#: How far above the wanted recall a share must score on the first sample: the second sample,
#: which the reported recall comes from, scores a little lower than the one the share was chosen on.
MARGIN = 0.005
#: Shares of the catalogue tried, smallest first, after the configured one.
LADDER = (0.05, 0.1, 0.2)


def n_clusters(n: int) -> int:
    """Clusters for ``n`` manga: about ``2 sqrt(n)`` (2,000 at a million), at least 8."""
    return int(min(max(8, round(2 * np.sqrt(n))), max(n // 4, 1)))


def search_vectors(model: Model) -> np.ndarray:
    """Unit rows that are close when two manga rank the catalogue alike, shape (n, d), float32.

    A model whose distance is ``queries_[i] . keys_[j]`` ranks manga ``j`` for ``i`` by
    ``q_i . (k_j - mean k)`` plus a constant of the row: with the centred keys ``U S V^T``, that
    is ``(q_i V S) . u_j``, so the cosine between two rows of ``queries_ V S`` is the correlation
    of their scores over the whole catalogue. The mean query's part of every score ranks the
    catalogue alike for everyone (the manga every list leans to: the hubs, which join every
    cluster's candidates anyway), so it is taken out: left in, it dominated the profiles of the
    Laplacian models and k-means found 27 clusters where 663 were asked for (110,000 manga).
    The other models rank by their own vectors (``Model._keys``).
    """
    queries = getattr(model, "queries_", None)
    if queries is None:
        return model._keys()
    keys = model.keys_.astype(np.float64)
    keys -= keys.mean(axis=0)
    vals, vecs = np.linalg.eigh(keys.T @ keys)
    centred = queries.astype(np.float64)
    centred -= centred.mean(axis=0)
    profile = centred @ (vecs * np.sqrt(np.maximum(vals, 0)))
    norms = np.linalg.norm(profile, axis=1, keepdims=True)
    return (profile / np.where(norms > 0, norms, 1)).astype(np.float32)


def clusters(vectors: np.ndarray, count: int, seed: int) -> list[np.ndarray]:
    """Mini-batch k-means (scikit-learn) fitted on a sample; the non-empty clusters' members, sorted.

    In float64: given float32, scikit-learn's k-means++ start computes its distances in small
    upcast chunks (clustering a Laplacian model's 59,527 tag sets of 110,000 manga: 14 s, in
    float64 5.7 s).
    """
    from sklearn.cluster import MiniBatchKMeans

    vectors = np.asarray(vectors, dtype=np.float64)
    n = len(vectors)
    fit_rows = np.sort(np.random.default_rng(seed).choice(n, size=min(n, 50 * count), replace=False))
    km = MiniBatchKMeans(n_clusters=count, batch_size=4096, n_init=1, max_iter=50, random_state=seed)
    labels = km.fit(vectors[fit_rows]).predict(vectors)
    order = np.argsort(labels, kind="stable")
    return [m for m in np.split(order, np.cumsum(np.bincount(labels, minlength=count))[:-1]) if len(m)]


@dataclass
class Partition:
    """A model's clusters and how to choose each one's candidates.

    ``points`` are the manga the search runs over, ascending: every manga, or one manga per tag
    set when twins share their columns too (:func:`partitioned`); ``members`` (each cluster's,
    ascending) and ``hubs`` are among them.
    """

    model: Model
    members: list[np.ndarray]
    hubs: np.ndarray
    seed: int
    points: np.ndarray

    def ranked(self, clusters: list[int], wanted: int) -> list[np.ndarray]:
        """For each of ``clusters``, the ``wanted`` points nearest to any of its representatives,
        as positions in ``points``, nearest first (ties by position).

        Each representative's distances count from its own ``wanted / REPRESENTATIVES``-th
        nearest, so that every one brings its nearest in: a representative with hundreds of
        manga at 0.5 would otherwise crowd out one whose nearest are at 0.96 (a manga with one
        rare tag, under deconvolution), and the members like it lose their lists (recall at 10%
        of 110,000 manga: 0.93 by the plain minimum, 0.96 so). The representatives of a run of
        clusters meet every point in one product: one gather of the points' columns serves them all.
        """
        m = len(self.points)
        if wanted >= m:
            return [np.arange(m) for _ in clusters]
        cols = None if m == self.model.embedding_.shape[0] else self.points
        per = max(1, BLOCK_BYTES // (4 * m * REPRESENTATIVES))
        out = []
        for start in range(0, len(clusters), per):
            reps = [self._representatives(c) for c in clusters[start:start + per]]
            dist = self.model.distances(np.concatenate(reps), cols)
            sizes = np.array([len(r) for r in reps])
            for first, last in zip(np.cumsum(sizes) - sizes, np.cumsum(sizes)):
                block = dist[first:last]
                edge = own_edges(block, max(1, wanted // len(block)))
                nearest = (block - np.where(np.isfinite(edge), edge, 0)[:, None]).min(axis=0)
                nearest[~np.isfinite(nearest)] = np.inf
                out.append(smallest(nearest, wanted))
            del dist
        return out

    def _representatives(self, c: int) -> np.ndarray:
        own = self.members[c]
        return np.sort(np.random.default_rng([self.seed, c]).choice(own, size=min(len(own), REPRESENTATIVES),
                                                                    replace=False))

    def joined(self, c: int, nearest: np.ndarray) -> np.ndarray:
        """Cluster ``c``'s candidates: the points at positions ``nearest``, its members and the
        hubs, as ascending manga indices, so that ties keep catalogue order."""
        return np.union1d(np.union1d(self.points[nearest], self.members[c]), self.hubs)

    def lists(self, rows: np.ndarray, cols: np.ndarray, width: int, exclude_self: bool) -> tuple[np.ndarray, np.ndarray]:
        """Top ``width`` of manga ``rows`` among ``cols`` (sorted), exactly ranked."""
        indices = np.empty((len(rows), width), dtype=np.int32)
        distances = np.empty((len(rows), width), dtype=np.float32)
        block = max(1, BLOCK_BYTES // (4 * len(cols)))
        for start in range(0, len(rows), block):
            part = rows[start:start + block]
            exclude = np.searchsorted(cols, part) if exclude_self else np.full(len(part), -1)
            idx = np.empty((len(part), width), dtype=np.int64)
            block_d = self.model.distances(part, cols, twin_diagonal=not exclude_self)
            top_k(block_d, exclude, width, idx, distances[start:start + block])
            indices[start:start + block] = np.where(idx >= 0, cols[np.maximum(idx, 0)], -1)
        return indices, distances


#: Entries of a row a sampled order statistic is read from, at least (:func:`own_edges`, :func:`smallest`).
STRIDE_SAMPLE = 64


def own_edges(block: np.ndarray, rank: int) -> np.ndarray:
    """Each row's ``rank``-th smallest value, shape (rows,): exactly below ``2 * STRIDE_SAMPLE``,
    past it read off every ``s``-th entry (``s = rank // STRIDE_SAMPLE``): an unbiased estimate,
    typically within an eighth of the rank, for ``1/s`` of the full selection's work (at 1,000,000
    manga, selecting over every point took 9 of a partitioned search's 80 s). It only sets how
    far each representative reaches (:meth:`Partition.ranked`), so an estimate serves."""
    stride = max(1, rank // STRIDE_SAMPLE)
    sub = block[:, ::stride]
    own = min(max(1, rank // stride), sub.shape[1]) - 1
    return np.partition(sub, own, axis=1)[:, own]


def smallest(values: np.ndarray, count: int) -> np.ndarray:
    """Positions of the ``count`` smallest ``values`` (no NaN), in (value, position) order.

    Which of several equal values at the edge are taken is fixed (the first), so that the
    ``c`` smallest are the first ``c`` of the ``count`` smallest for every ``c <= count``.
    A bound read off a strided sample of ``values`` first narrows the selection to the values
    at or below it, when they are enough: the same positions, a fraction of the work.
    """
    stride = count // STRIDE_SAMPLE
    if stride > 1 and count < len(values):
        bound = own_edges(values[None, :], 2 * count)[0]  # about twice count values lie at or below it
        below = np.flatnonzero(values <= bound)
        if len(below) >= count:
            return below[_smallest(values[below], count)]
    return _smallest(values, count)


def _smallest(values: np.ndarray, count: int) -> np.ndarray:
    if count < len(values):
        top = np.argpartition(values, count - 1)[:count]
        edge = values[top].max()
        below = np.flatnonzero(values < edge)
        top = np.concatenate([below, np.flatnonzero(values == edge)[: count - len(below)]])
    else:
        top = np.arange(len(values))
    return top[np.lexsort((top, values[top]))]


def sample_lists(model: Model, rows: np.ndarray, k: int) -> np.ndarray:
    """Exact lists of manga ``rows``, shape (len(rows), k), int64."""
    n = model.embedding_.shape[0]
    indices = np.empty((len(rows), k), dtype=np.int64)
    distances = np.empty((len(rows), k), dtype=np.float32)
    block = max(1, BLOCK_BYTES // (4 * n))
    for start in range(0, len(rows), block):
        part = rows[start:start + block]
        top_k(model.distances(part), part, k, indices[start:start + block], distances[start:start + block])
    return indices


def tie_aware_recall(model: Model, rows: np.ndarray, exact_lists: np.ndarray, listed: np.ndarray) -> float:
    """Share of the manga listed for ``rows`` that are at most as far as the exact k-th of their row.

    Each row's exact and listed manga are measured in one call, so that both sides of the
    comparison round alike (a product computed in blocks of another shape can differ in its
    last bits, which would turn a tie into a miss).

    Parameters
    ----------
    model : Model
    rows : ndarray of int, shape (m,)
    exact_lists : ndarray of int, shape (m, k)
        From :func:`sample_lists`.
    listed : ndarray of int, shape (m, k)
        The lists under test (-1 for a missing entry, which counts as a miss).
    """
    hits = 0
    k = exact_lists.shape[1]
    for row, truth, found in zip(rows, exact_lists, listed):
        cols = np.union1d(truth[truth >= 0], found[found >= 0])
        grid = np.floor(model.distances(np.array([row]), cols)[0].astype(np.float64) * GRID + 0.5)
        kth = np.sort(grid[np.searchsorted(cols, truth[truth >= 0])])[min(k, int((truth >= 0).sum())) - 1]
        hits += int((grid[np.searchsorted(cols, found[found >= 0])] <= kth).sum())
    return hits / max(listed.size, 1)


def _sample(n: int, size: int, seed: int) -> np.ndarray:
    return np.sort(np.random.default_rng(seed).choice(n, size=min(size, n), replace=False))


def partitioned(model: Model, n: int, k: int, *, candidates: float = 0.02, min_recall: float = 0.99,
                groups: np.ndarray | None = None, sample: int = 500, seed: int = 0, progress: bool = True) -> Neighbours:
    """Top-k of every manga among its cluster's candidates, or exactly when no share serves.

    Parameters
    ----------
    model : Model
        Fitted.
    n, k : int
        Manga, and neighbours per manga (at most n - 1).
    candidates : float
        The first share of the points tried as each cluster's candidates (then :data:`LADDER`).
    min_recall : float
        Recall a share must reach (by :data:`MARGIN` more) on the first sample to be used.
    groups : ndarray of int, shape (n,), optional
        As in :func:`~sitegen.analysis.neighbours.exact`: manga with the same row share one.
        When twins also share their columns (``model.ties_among_twins``), the whole search runs
        over one manga per tag set, as the exact search does (394,255 of 1,000,000 in the demo:
        a sixth of the candidate products), and the sets' lists are expanded to their members.
    sample : int
        Manga in each of the two samples (choosing the share, then measuring the result).

    Returns
    -------
    Neighbours
        Method ``"partitioned"`` with its measured recall, or the exact lists.
    """
    k = min(k, n - 1)
    shared = groups is not None and model.ties_among_twins
    points = np.unique(groups) if shared else np.arange(n)
    choose_rows, exact_lists = reference_sample(model, n, k, sample, seed)
    hubs = np.flatnonzero(np.bincount(exact_lists[exact_lists >= 0], minlength=n) > 1)
    vectors = search_vectors(model)
    found_clusters = clusters(vectors[points] if shared else vectors, n_clusters(len(points)), seed)
    del vectors
    part = Partition(model, [points[c] for c in found_clusters], np.unique(groups[hubs]) if shared else hubs, seed,
                     points)
    share = _choose_share(part, choose_rows, exact_lists, k, candidates, min_recall, groups)
    if share is None:
        log.info("%s: no candidate share up to %.0f%% reaches recall %.2f on %d sampled manga: exact search",
                 model.name, 100 * max((candidates, *LADDER)), min_recall, len(choose_rows))
        return exact(model, n, k, groups=groups, progress=progress)
    indices, distances = _search_all(part, n, k, _wanted(share, len(points), k), groups, progress)
    check_rows, measured = checked_sample(model, n, k, sample, seed, indices)
    log.info("%s: partitioned search over %d %s, %d clusters, candidates %.0f%% of them, recall %.4f on %d other "
             "sampled manga", model.name, len(points), "tag sets" if shared else "manga", len(part.members),
             100 * share, measured, len(check_rows))
    return Neighbours(model.name, indices, distances, "partitioned", measured)


def _wanted(share: float, points: int, k: int) -> int:
    return max(int(share * points), MIN_CANDIDATES_PER_K * (k + 1))


def reference_sample(model: Model, n: int, k: int, sample: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The sample a search step is chosen on, and its exact lists."""
    rows = _sample(n, sample, seed)
    return rows, sample_lists(model, rows, k)


def checked_sample(model: Model, n: int, k: int, sample: int, seed: int, indices: np.ndarray) -> tuple[np.ndarray, float]:
    """A second, independent sample and the tie-aware recall of ``indices`` on it."""
    rows = _sample(n, sample, seed + 1)
    return rows, tie_aware_recall(model, rows, sample_lists(model, rows, k), indices[rows])


def _choose_share(part: Partition, rows: np.ndarray, exact_lists: np.ndarray, k: int, first: float,
                  min_recall: float, groups: np.ndarray | None) -> float | None:
    """The smallest share on the ladder whose lists for manga ``rows`` reach ``min_recall`` (by
    :data:`MARGIN` more), or None. Each sampled cluster's nearest points are ranked once, for
    every share."""
    shares = sorted({first, *(s for s in LADDER if s > first)})
    sizes = [_wanted(s, len(part.points), k) for s in shares]
    queries = rows if groups is None else np.unique(groups[rows])
    label = _labels(part, queries)
    sampled = [int(c) for c in np.unique(label)]
    ranked = dict(zip(sampled, part.ranked(sampled, max(sizes))))
    width = k if groups is None else min(k + 1, len(groups))
    for share, wanted in zip(shares, sizes):
        indices = np.empty((len(queries), width), dtype=np.int32)
        distances = np.empty((len(queries), width), dtype=np.float32)
        for c in sampled:
            at = np.flatnonzero(label == c)
            indices[at], distances[at] = part.lists(queries[at], part.joined(c, ranked[c][:wanted]), width,
                                                    groups is None)
        if groups is not None:
            indices = _members_lists(part, indices, distances, queries, groups, k, rows)[0]
        got = tie_aware_recall(part.model, rows, exact_lists, indices)
        log.debug("%s: share %.3f, recall %.4f", part.model.name, share, got)
        if got >= min(1.0, min_recall + MARGIN):
            return share
    return None


def _labels(part: Partition, manga: np.ndarray) -> np.ndarray:
    """The cluster of each of ``manga`` (among the points)."""
    label = np.empty(len(part.points), dtype=np.int64)
    for c, own in enumerate(part.members):
        label[np.searchsorted(part.points, own)] = c
    return label[np.searchsorted(part.points, manga)]


def _members_lists(part: Partition, indices: np.ndarray, distances: np.ndarray, queries: np.ndarray,
                   groups: np.ndarray, k: int, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The lists of manga ``rows`` (every manga when None) from those of their tag sets' first
    manga ``queries``, without the manga itself, k long."""
    if len(part.points) < len(groups):  # the lists hold tag sets: each stands for its members
        positions = np.where(indices >= 0, np.searchsorted(part.points, indices), -1).astype(np.int32)
        return expand_groups(positions, distances, part.points, groups, k, sets=queries, rows=rows)
    if rows is None:
        return share_rows(indices, distances, np.searchsorted(queries, groups), k)
    return share_rows(indices, distances, np.searchsorted(queries, groups[rows]), k, owners=rows)


def _search_all(part: Partition, n: int, k: int, wanted: int, groups: np.ndarray | None,
                progress: bool) -> tuple[np.ndarray, np.ndarray]:
    """Every cluster's lists among its candidates; with ``groups``, one list per group, shared.

    Returns the lists, shape (n, k), int32 and float32.
    """
    queries = np.arange(n) if groups is None else np.unique(groups)
    width = k if groups is None else min(k + 1, n)
    indices = np.full((len(queries), width), -1, dtype=np.int32)
    distances = np.full((len(queries), width), np.inf, dtype=np.float32)
    label = _labels(part, queries)
    order = np.argsort(label, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(label, minlength=len(part.members)))])
    per = max(1, BLOCK_BYTES // (4 * len(part.points) * REPRESENTATIVES))
    with tqdm(total=len(part.members), desc=f"neighbours {part.model.name}", unit="cluster",
              disable=None if progress else True, leave=False) as bar:
        for start in range(0, len(part.members), per):
            run = list(range(start, min(start + per, len(part.members))))
            for c, nearest in zip(run, part.ranked(run, wanted)):
                at = order[bounds[c]:bounds[c + 1]]
                if len(at):
                    indices[at], distances[at] = part.lists(queries[at], part.joined(c, nearest), width, groups is None)
            bar.update(len(run))
    if groups is None:
        return indices, distances
    return _members_lists(part, indices, distances, queries, groups, k)
