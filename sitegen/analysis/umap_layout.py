"""UMAP layouts of precomputed neighbour graphs, several at once.

A seeded UMAP optimises on one core (its parallel optimiser races on shared coordinates, so its
result would change from run to run), and the build lays out a map for every model: at 110,000
manga that is about 12 s a map, two minutes for twelve. umap-learn's serial epoch holds Python's
global interpreter lock, so two threads could not run two maps at once. This module runs umap-learn's
own stages (fuzzy simplicial set, pruning, epochs per sample, the epoch function itself) in the
same order and with the same random draws as ``umap.umap_.simplicial_set_embedding`` does for a
Euclidean, non-densMAP layout from a given start, but with the epoch function compiled with
``nogil=True``: the same arithmetic (the same function and flags), so the same coordinates, bit for
bit (a test checks this against ``simplicial_set_embedding``), and threads that each lay out one
map keep both cores busy.
"""

from __future__ import annotations

import inspect
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

#: umap-learn's serial epoch function (private: its name and parameters are checked before use).
EPOCH = "_optimize_layout_euclidean_single_epoch"
EPOCH_PARAMS = (
    "head_embedding", "tail_embedding", "head", "tail", "n_vertices", "epochs_per_sample", "a", "b",
    "rng_state_per_sample", "gamma", "dim", "move_other", "alpha", "epochs_per_negative_sample",
    "epoch_of_next_negative_sample", "epoch_of_next_sample", "n", "densmap_flag", "dens_phi_sum", "dens_re_sum",
    "dens_re_cov", "dens_re_std", "dens_re_mean", "dens_lambda", "dens_R", "dens_mu", "dens_mu_tot")

#: umap-learn's graph-stage functions, compiled on first call and not cached on disk by umap-learn:
#: about 10 s of compiling in every new process, on the maps' thread (the build's longest chain).
GRAPH_STAGE = ("smooth_knn_dist", "compute_membership_strengths")

_epoch: Any = None
_epoch_lock = threading.Lock()
_graph_stage_cached = False


def _epoch_function() -> Any:
    """umap-learn's serial epoch, compiled to release the interpreter lock (once a process; the
    compiled code is cached on disk as any of the build's, in umap-learn's folder or, where that
    is read-only, numba's user-wide cache); None when this umap-learn has no such function with
    these parameters, and :func:`_optimise` uses umap-learn's public loop instead (the same map,
    the lock held)."""
    global _epoch
    with _epoch_lock:  # one thread compiles, the others wait for it
        if _epoch is None:
            import umap.layouts

            python = getattr(umap.layouts, EPOCH, None)
            known = python is not None and tuple(inspect.signature(python).parameters) == EPOCH_PARAMS
            if not known:
                log.warning("umap-learn %s has no %s(%s...): maps are laid out one at a time",
                            getattr(umap, "__version__", "?"), EPOCH, ", ".join(EPOCH_PARAMS[:3]))
            _epoch = numba.njit(python, fastmath=True, parallel=False, nogil=True, cache=True) if known else False
        return _epoch or None


def cache_graph_stage(module: Any) -> list[str]:
    """Turn on numba's disk cache for umap-learn's graph-stage functions in ``module`` (its
    ``umap_`` module), as ``cache=True`` would have (once a process; the same compiled code, so the
    same graph). Returns the names cached; none when a function is missing, not a numba function,
    already compiled, or numba finds nowhere to write its cache (then each process compiles it,
    as before)."""
    global _graph_stage_cached
    cached = []
    with _epoch_lock:
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
    rng_state = random_state.randint(np.iinfo(np.int32).min + 1, np.iinfo(np.int32).max - 1, 3).astype(np.int64)
    _optimise(embedding, graph.row, graph.col, n_epochs, graph.shape[1], epochs_per_sample, a, b, rng_state)
    return np.asarray(embedding, dtype=np.float64)


def _optimise(embedding: np.ndarray, head: np.ndarray, tail: np.ndarray, n_epochs: int, n_vertices: int,
              epochs_per_sample: np.ndarray, a: float, b: float, rng_state: np.ndarray) -> None:
    """umap.layouts.optimize_layout_euclidean's loop (gamma 1, initial alpha 1, 5 negative samples,
    the other end moved too, no densMAP), in place, with the lock-free epoch."""
    epoch = _epoch_function()
    if epoch is None:
        from umap.layouts import optimize_layout_euclidean

        optimize_layout_euclidean(embedding, embedding, head, tail, n_epochs, n_vertices, epochs_per_sample, a, b,
                                  rng_state, 1.0, 1.0, 5.0, parallel=False, move_other=True)
        return
    epochs_per_negative_sample = epochs_per_sample / 5.0
    next_negative = epochs_per_negative_sample.copy()
    next_sample = epochs_per_sample.copy()
    rng_per_point = np.full((embedding.shape[0], len(rng_state)), rng_state, dtype=np.int64) + \
        embedding[:, 0].astype(np.float64).view(np.int64).reshape(-1, 1)
    unused = np.zeros(1, dtype=np.float32)
    alpha = 1.0
    for n in range(n_epochs):
        epoch(embedding, embedding, head, tail, n_vertices, epochs_per_sample, a, b, rng_per_point, 1.0,
              embedding.shape[1], True, alpha, epochs_per_negative_sample, next_negative, next_sample, n,
              False, unused, unused, 0, 0, 0, 0, unused, unused, 0)
        alpha = 1.0 - float(n) / float(n_epochs)
