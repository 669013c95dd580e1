"""UMAP layouts of precomputed neighbour graphs, several at once.

umap-learn builds the graph: the fuzzy simplicial set of the neighbour lists, its weak edges
pruned, each edge's sampling rate (``epochs_per_sample``), and the curve's ``a`` and ``b``. The
optimisation, the epochs of stochastic gradient descent over that graph, is this module's own
(:func:`_epochs`), for two reasons measured at 110,000 manga:

- Time. The epochs were the build's largest single cost: py-spy put 204 of a 110,000-manga build's
  630 busy thread-seconds in umap-learn's serial epoch, twelve maps of 60 epochs. Each edge's
  five negative samples were applied one after another, every step waiting on the last one's
  ``pow``, in float64. Here they are taken from the same position and applied together (the
  five are then independent, so the processor overlaps them), in float32, and a draw becomes a
  point by a multiply and a shift, not a division: one map 10.3 -> 5.0 s. Its neighbour
  precision (the share of a point's 10 nearest on the map that are among its 14 listed
  neighbours; LSI, 59,527 points, 60 epochs) is 0.394 here against umap-learn's 0.372.
- Threads. A seeded umap-learn optimises on one core holding the interpreter lock (its parallel
  optimiser races on shared coordinates, so its result changes from run to run). This kernel
  releases the lock and depends on the seed alone, so the build lays out one map a core at once,
  each the same every run.

Everything else is as umap-learn's ``simplicial_set_embedding`` does for a Euclidean layout from a
given start: the start scaled into a box 10 wide, gradients clipped to 4 per coordinate, five
negative samples per positive one, both ends of an edge moved, and the learning rate falling
linearly to 0 (from the first epoch on; umap-learn's starts falling an epoch later).
"""

from __future__ import annotations

import logging
import threading
import warnings
from typing import Any

import numba
import numpy as np

log = logging.getLogger(__name__)

#: UMAP scales its start into a box this wide before optimising (umap.spectral.noisy_scale_coords).
UMAP_START_BOX = 10.0
GOLDEN_ANGLE = np.pi * (3 - np.sqrt(5))
#: Negative samples (points pushed away) per positive sample (an edge pulled together), as UMAP's.
NEGATIVES = 5
#: Largest move of one coordinate by one gradient term, as UMAP's.
CLIP = 4.0

#: umap-learn's graph-stage functions, compiled on first call and not cached on disk by umap-learn:
#: about 10 s of compiling in every new process, on the maps' thread.
GRAPH_STAGE = ("smooth_knn_dist", "compute_membership_strengths")

_cache_lock = threading.Lock()
_graph_stage_cached = False


def cache_graph_stage(module: Any) -> list[str]:
    """Turn on numba's disk cache for umap-learn's graph-stage functions in ``module`` (its
    ``umap_`` module), as ``cache=True`` would have (once a process; the same compiled code, so the
    same graph). Returns the names cached; none when a function is missing, not a numba function,
    already compiled, or numba finds nowhere to write its cache (then each process compiles it,
    as before)."""
    global _graph_stage_cached
    cached = []
    with _cache_lock:
        if _graph_stage_cached:
            return cached
        _graph_stage_cached = True
        for name in GRAPH_STAGE:
            function = getattr(module, name, None)
            if not hasattr(function, "enable_caching") or getattr(function, "signatures", None):
                continue  # a cache turned on after compiling would not be read
            try:
                function.enable_caching()
            except Exception as error:  # noqa: BLE001 - a speed-up only (numba: no cache locator for this file)
                log.debug("umap-learn's %s is compiled in every process: %s", name, error)
                continue
            cached.append(name)
    return cached


def scaled_start(coords: np.ndarray) -> np.ndarray:
    """``coords`` scaled into UMAP's start box, with distinct rows (UMAP jitters duplicates with
    a random draw of its own; a fixed sub-pixel offset per row keeps this reproducible).

    Returns
    -------
    ndarray, shape (d, 2), float32
    """
    c = np.asarray(coords, dtype=np.float64)
    lo, hi = c.min(axis=0), c.max(axis=0)
    c = UMAP_START_BOX * (c - lo) / np.where(hi > lo, hi - lo, 1)
    row = np.arange(len(c))
    return (c + 1e-4 * np.column_stack([np.cos(row * GOLDEN_ANGLE), np.sin(row * GOLDEN_ANGLE)])).astype(np.float32)


def umap_layout(knn_indices: np.ndarray, knn_dists: np.ndarray, start: np.ndarray, min_dist: float,
                n_epochs: int, seed: int) -> np.ndarray:
    """UMAP of a precomputed neighbour graph, optimised from ``start`` (thread-safe, lock released
    while optimising).

    Parameters
    ----------
    knn_indices, knn_dists : ndarray, shape (d, k)
        Each point's neighbours, itself first (:func:`sitegen.analysis.projections.neighbour_graph`).
    start : ndarray, shape (d, 2)
        The starting layout (the PCA map).
    min_dist : float
    n_epochs : int
    seed : int
        Fixes the result.

    Returns
    -------
    ndarray, shape (d, 2), float64
    """
    import umap.umap_ as umap_  # heavy (numba): only when a UMAP map is asked for

    cache_graph_stage(umap_)
    d, k = knn_indices.shape
    random_state = np.random.RandomState(seed)
    shape_only = np.empty((d, 0))  # the graph stage reads only the data's shape when the lists are given
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning)
        graph, _, _ = umap_.fuzzy_simplicial_set(shape_only, k, random_state, "euclidean",
                                                 knn_indices=knn_indices, knn_dists=knn_dists)
    a, b = umap_.find_ab_params(1.0, min_dist)
    # From here, simplicial_set_embedding's steps for a given start and Euclidean output.
    graph = graph.tocoo()
    graph.sum_duplicates()
    graph.data[graph.data < graph.data.max() / float(n_epochs if n_epochs > 10 else 200)] = 0.0
    graph.eliminate_zeros()
    embedding = scaled_start(start)
    embedding = (UMAP_START_BOX * (embedding - embedding.min(0)) / (embedding.max(0) - embedding.min(0))).astype(
        np.float32, order="C")
    epochs_per_sample = umap_.make_epochs_per_sample(graph.data, n_epochs)
    states = random_state.randint(16, np.iinfo(np.int32).max, size=(d, 3)).astype(np.int64)
    _epochs(embedding, graph.row, graph.col, epochs_per_sample, np.float32(a), np.float32(b), states, n_epochs)
    return np.asarray(embedding, dtype=np.float64)


@numba.njit(cache=True, nogil=True)
def _draw(state: np.ndarray) -> int:
    """The next of a point's random 32-bit integers (L'Ecuyer's three-part Tausworthe generator,
    taus88), as int64 in [0, 2**32); ``state`` (3,) int64, each part at least 16, moves on."""
    mask = 0xFFFFFFFF
    s0, s1, s2 = state[0], state[1], state[2]
    s0 = (((s0 & 0xFFFFFFFE) << 12) & mask) ^ ((((s0 << 13) & mask) ^ s0) >> 19)
    s1 = (((s1 & 0xFFFFFFF8) << 4) & mask) ^ ((((s1 << 2) & mask) ^ s1) >> 25)
    s2 = (((s2 & 0xFFFFFFF0) << 17) & mask) ^ ((((s2 << 3) & mask) ^ s2) >> 11)
    state[0], state[1], state[2] = s0, s1, s2
    return s0 ^ s1 ^ s2


@numba.njit(cache=True, nogil=True, fastmath=True, inline="always")
def _pull(d2: float, a: float, b: float) -> float:
    """The attractive gradient's factor at squared distance ``d2`` > 0: d/dd2 of log(1 + a d2^b), times -2."""
    power = np.exp(b * np.log(d2))
    return np.float32(-2.0) * a * b * power / d2 / (a * power + np.float32(1.0))


@numba.njit(cache=True, nogil=True, fastmath=True, inline="always")
def _push(d2: float, a: float, b: float) -> float:
    """The repulsive gradient's factor at squared distance ``d2`` > 0 (UMAP's, with its 0.001 guard)."""
    return np.float32(2.0) * b / ((np.float32(0.001) + d2) * (a * np.exp(b * np.log(d2)) + np.float32(1.0)))


@numba.njit(cache=True, nogil=True, fastmath=True)
def _clip(value: float) -> float:
    return min(max(value, np.float32(-CLIP)), np.float32(CLIP))


@numba.njit(cache=True, nogil=True, fastmath=True)
def _epochs(embedding: np.ndarray, head: np.ndarray, tail: np.ndarray, epochs_per_sample: np.ndarray,
            a: float, b: float, states: np.ndarray, n_epochs: int) -> None:
    """UMAP's stochastic gradient descent over the graph's edges, in place.

    Parameters
    ----------
    embedding : ndarray, shape (d, 2), float32
        The start; the layout on return.
    head, tail : ndarray, shape (e,), int32
        Each edge's ends.
    epochs_per_sample : ndarray, shape (e,), float64
        Epochs between two samples of an edge (1 for the strongest edges).
    a, b : float32
        The curve 1 / (1 + a x^(2b)) of the low-dimensional similarities.
    states : ndarray, shape (d, 3), int64
        Each point's :func:`_draw` state (moves on).
    n_epochs : int
    """
    d = embedding.shape[0]
    per_negative = epochs_per_sample / NEGATIVES
    next_sample = epochs_per_sample.copy()
    next_negative = per_negative.copy()
    for epoch in range(n_epochs):
        alpha = np.float32(1.0 - epoch / n_epochs)
        for i in range(len(head)):
            if next_sample[i] > epoch:
                continue
            j, k = head[i], tail[i]
            dx, dy = embedding[j, 0] - embedding[k, 0], embedding[j, 1] - embedding[k, 1]
            d2 = dx * dx + dy * dy
            g = _pull(d2, a, b) if d2 > 0 else np.float32(0.0)
            gx, gy = _clip(g * dx) * alpha, _clip(g * dy) * alpha
            embedding[j, 0] += gx
            embedding[j, 1] += gy
            embedding[k, 0] -= gx
            embedding[k, 1] -= gy
            next_sample[i] += epochs_per_sample[i]
            # The negatives are pushed from one position and applied together: independent, so the
            # processor overlaps them instead of waiting on each one's power.
            samples = int((epoch - next_negative[i]) / per_negative[i])
            next_negative[i] += samples * per_negative[i]
            x, y = embedding[j, 0], embedding[j, 1]
            sx = sy = np.float32(0.0)
            for _ in range(samples):
                other = (_draw(states[j]) * d) >> 32  # uniform in [0, d), without a division
                ex, ey = x - embedding[other, 0], y - embedding[other, 1]
                d2 = ex * ex + ey * ey
                if d2 > 0:
                    g = _push(d2, a, b)
                    sx += _clip(g * ex)
                    sy += _clip(g * ey)
            embedding[j, 0] = x + sx * alpha
            embedding[j, 1] = y + sy * alpha
