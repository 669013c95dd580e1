"""The probed search for cosine models: an inverted file over spherical k-means clusters.

Each manga chooses its own clusters (the nearest, and more while its list still reaches far) and
is compared with their members exactly; the manga no cluster serves (whose lists reach farthest)
are searched exactly. Its step is chosen on one sample of manga and its recall measured on
another, as for the partitioned search (:mod:`.partitioned`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from .neighbours import BLOCK_BYTES, GRID, Neighbours, exact, merge_block, top_k
from .partitioned import MARGIN, checked_sample, n_clusters, reference_sample, search_vectors, tie_aware_recall

if TYPE_CHECKING:
    from ..models.base import Model

log = logging.getLogger(__name__)


#: Steps of the probed search, cheapest first, each probing and searching exactly at least as much
#: as the one before: (share of the clusters every manga probes first, how much nearer than a
#: list's k-th neighbour a cluster's centroid may be and still be probed, share of manga searched
#: exactly: those whose lists reach farthest). The first two steps serve large catalogues: at
#: 1,000,000 synthetic manga the first reached recall 0.996 on a sample, as the third did, where
#: the third's 20,000 exact lists alone take three minutes (the exact lists cost in proportion
#: to n squared, the probes to n times the members of the clusters probed).
PROBE_LADDER = ((0.01, 0.2, 0.005), (0.02, 0.2, 0.01), (0.02, 0.2, 0.02), (0.02, 0.25, 0.03), (0.02, 0.3, 0.04),
                (0.02, 0.35, 0.05), (0.02, 0.45, 0.1))
#: Most of the clusters a manga probes in all.
MOST_PROBES = 0.3


def spherical_kmeans(vectors: np.ndarray, count: int, seed: int, iterations: int = 10) -> np.ndarray:
    """Unit centroids of ``count`` clusters of unit ``vectors`` (shape (n, d)), shape (count, d), float32.

    Lloyd's iterations on a seeded sample of ``40 * count`` rows, each a matrix product: at
    110,000 manga a few seconds, where scikit-learn's k-means took half a minute on this machine.
    """
    rng = np.random.default_rng([seed, 11])
    fit = vectors[np.sort(rng.choice(len(vectors), size=min(len(vectors), 40 * count), replace=False))]
    centroids = fit[np.sort(rng.choice(len(fit), size=min(count, len(fit)), replace=False))].copy()
    for _ in range(iterations):
        labels = np.argmax(fit @ centroids.T, axis=1)
        # the members' sum of each cluster as one sparse product (np.add.at took 2 s at 110,000 manga)
        sums = sp.csr_matrix((np.ones(len(fit), dtype=np.float32), (labels, np.arange(len(fit)))),
                             shape=(len(centroids), len(fit))) @ fit
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        kept = norms[:, 0] > 0  # an emptied cluster keeps its old centroid
        centroids[kept] = sums[kept] / norms[kept]
    return centroids


#: Manga whose nearest clusters are ranked at once (a block of cosines to every centroid, 262 MB
#: at 2,000 clusters); holding every manga's nearest 600 took 4.8 GB at 1,000,000 manga.
PROBE_ROWS = 32_768


@dataclass
class Probes:
    """A cosine model's unit vectors, cluster centroids and every cluster's members; each manga's
    nearest clusters are ranked when its list is made, a block of manga at a time."""

    model: Model
    vectors: np.ndarray  # (n, d) float32, unit rows
    centroids: np.ndarray  # (count, d) float32, unit rows
    most: int
    members: list[np.ndarray]

    @classmethod
    def build(cls, model: Model, count: int, most: int, seed: int) -> Probes:
        vectors = search_vectors(model)
        centroids = spherical_kmeans(vectors, count, seed)
        labels = np.concatenate([np.argmax(vectors[start:start + PROBE_ROWS] @ centroids.T, axis=1)
                                 for start in range(0, len(vectors), PROBE_ROWS)])
        count = len(centroids)
        members = np.split(np.argsort(labels, kind="stable"), np.cumsum(np.bincount(labels, minlength=count))[:-1])
        return cls(model, vectors, centroids, min(most, count), members)

    def cosines(self, rows: np.ndarray) -> np.ndarray:
        """Cosines of manga ``rows`` with every centroid, shape (len(rows), count), float32."""
        return self.vectors[rows] @ self.centroids.T

    def _merge(self, rows: np.ndarray, at: np.ndarray, clusters: np.ndarray, best_i: np.ndarray,
               best_d: np.ndarray) -> None:
        """Compare list ``at[i]`` (of manga ``rows[at[i]]``) with the members of ``clusters[i]``:
        grouped by cluster, one product each."""
        by_cluster = np.argsort(clusters, kind="stable")
        bounds = np.cumsum(np.bincount(clusters, minlength=len(self.members)))
        start = 0
        for c, stop in enumerate(bounds):
            lists, start = at[by_cluster[start:stop]], stop
            cols = self.members[c]
            if len(lists) and len(cols):
                merge_block(self.model.distances(rows[lists], cols), lists, rows[lists], cols, best_i, best_d)

    def lists(self, rows: np.ndarray, reach: float, k: int, first: float = 0.02) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` of manga ``rows``, exactly ranked, among the members of the clusters probed.

        Every manga probes its nearest ``first`` share of the clusters, then those of its
        nearest :data:`MOST_PROBES` whose centroid's cosine is at least ``1 - d_k - reach``, where
        ``d_k`` is the distance of the k-th neighbour found so far: a manga whose list reaches far
        (unlike any cluster) probes more. Each manga's list depends on its own probes only, so
        the rows go :data:`PROBE_ROWS` at a time. Shapes (len(rows), k), int32 and float32 (-1
        and inf where short).
        """
        indices = np.empty((len(rows), k), dtype=np.int32)
        distances = np.empty((len(rows), k), dtype=np.float32)
        for start in range(0, len(rows), PROBE_ROWS):
            part = rows[start:start + PROBE_ROWS]
            indices[start:start + len(part)], distances[start:start + len(part)] = self._block_lists(part, reach, k, first)
        return indices, distances

    def _block_lists(self, rows: np.ndarray, reach: float, k: int, share: float) -> tuple[np.ndarray, np.ndarray]:
        n, count = len(self.vectors), len(self.members)
        sims = self.cosines(rows)
        first = min(self.most, max(1, int(np.ceil(share * count))))
        # the first-th and most-th largest cosine of each row: thresholds, not a sort of the clusters
        edges = np.partition(sims, [count - self.most, count - first], axis=1)[:, [count - first, count - self.most]]
        near = _capped(sims >= edges[:, :1], sims, first)
        best_i = np.full((len(rows), k), n, dtype=np.int64)
        best_d = np.full((len(rows), k), np.inf)
        self._merge(rows, *np.nonzero(near), best_i, best_d)
        floor = np.maximum(1 - best_d[:, -1:] / GRID - reach, edges[:, 1:]).astype(np.float32)
        self._merge(rows, *np.nonzero(_capped(~near & (sims >= floor), sims, self.most - first)), best_i, best_d)
        best_i[best_i >= n] = -1
        return best_i.astype(np.int32), (best_d / GRID).astype(np.float32)


def _capped(mask: np.ndarray, sims: np.ndarray, cap: int) -> np.ndarray:
    """``mask`` with at most ``cap`` entries a row, the largest ``sims``: where cosines tie at an
    edge (a manga with no words at all is as near to every centroid), the edge would let in more."""
    over = np.flatnonzero(mask.sum(axis=1) > cap)
    if over.size:
        kept = np.where(mask[over], sims[over], -np.inf)
        top = np.argpartition(-kept, cap - 1, axis=1)[:, :cap] if cap > 0 else np.zeros((over.size, 0), dtype=np.int64)
        mask[over] = False
        mask[over[:, None], top] = True
    return mask


def _exact_rows(model: Model, rows: np.ndarray, k: int, indices: np.ndarray, distances: np.ndarray) -> None:
    """Replace the lists of manga ``rows`` with their exact ones, in place."""
    block = max(1, BLOCK_BYTES // (4 * indices.shape[0]))
    for start in range(0, len(rows), block):
        part = rows[start:start + block]
        idx = np.empty((len(part), k), dtype=indices.dtype)
        dist = np.empty((len(part), k), dtype=distances.dtype)
        top_k(model.distances(part), part, k, idx, dist)
        indices[part], distances[part] = idx, dist


def _farthest(distances: np.ndarray, share: float) -> np.ndarray:
    """Positions of the ``share`` of lists whose k-th distance is largest, sorted (ties by position)."""
    count = int(np.ceil(share * len(distances)))
    return np.sort(np.argsort(-distances[:, -1], kind="stable")[:count])


def probed(model: Model, n: int, k: int, *, min_recall: float = 0.99, sample: int = 500, seed: int = 0,
           progress: bool = True) -> Neighbours:
    """Top-k of every manga among the clusters nearest to it, or exactly when no step serves.

    An inverted-file search for cosine models: the catalogue is split by spherical k-means over
    the model's unit vectors into :func:`n_clusters` clusters; each manga is compared, by the
    model's own distance, with the members of the clusters nearest to it (:meth:`Probes.lists`);
    the manga whose lists still reach farthest (unlike any cluster: manga without tags under a
    blend with text, say) are searched exactly. The step, from :data:`PROBE_LADDER`, is the
    cheapest whose lists reach ``min_recall`` (by :data:`MARGIN` more) on one sample of manga;
    the recall reported is measured on another (tie-aware, :func:`tie_aware_recall`).

    Returns
    -------
    Neighbours
        Method ``"probed"`` with its measured recall, or the exact lists.
    """
    k = min(k, n - 1)
    choose_rows, exact_lists = reference_sample(model, n, k, sample, seed)
    count = n_clusters(n)
    probes = Probes.build(model, count, int(np.ceil(MOST_PROBES * count)), seed)
    step = None
    for first, reach, share in PROBE_LADDER:
        listed, distances = probes.lists(choose_rows, reach, k, first)
        hard = _farthest(distances, share)
        listed[hard] = exact_lists[hard]
        got = tie_aware_recall(model, choose_rows, exact_lists, listed)
        log.debug("%s: probe %.0f%% first, reach %.2f, %.1f%% exact: recall %.4f", model.name, 100 * first, reach,
                  100 * share, got)
        if got >= min(1.0, min_recall + MARGIN):
            step = first, reach, share
            break
    if step is None:
        log.info("%s: no probed step reaches recall %.2f on %d sampled manga: exact search",
                 model.name, min_recall, len(choose_rows))
        return exact(model, n, k, progress=progress)
    indices, distances = probes.lists(np.arange(n), step[1], k, step[0])
    hard = _farthest(distances, step[2])
    _exact_rows(model, hard, k, indices, distances)
    check_rows, measured = checked_sample(model, n, k, sample, seed, indices)
    log.info("%s: probed search, %d clusters, %.0f%% probed first, probe reach %.2f, %d manga searched exactly, "
             "recall %.4f on %d other sampled manga", model.name, len(probes.members), 100 * step[0], step[1], len(hard),
             measured, len(check_rows))
    return Neighbours(model.name, indices, distances, "probed", measured)
