"""Choosing the search: exact below ``neighbours.exact_max`` manga, partitioned or NN-Descent above, probed for a
model that asks for it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .neighbours import Neighbours, approximate, exact
from .partitioned import partitioned
from .probed import probed

if TYPE_CHECKING:
    from ..models.base import Model


class _Without:
    """``model`` with some manga taken out: they are never listed (their distance is infinite).

    Everything but :meth:`distances` is the model's own, so every search runs on it unchanged.
    """

    def __init__(self, model: Model, without: np.ndarray) -> None:
        self._model = model
        self._out = np.zeros(model.embedding_.shape[0], dtype=bool)
        self._out[without] = True

    @property
    def excluded_(self) -> np.ndarray:
        """Boolean mask of the manga taken out, shape (n,): searches that do not go through
        :meth:`distances` (:mod:`.sparse_scan`) leave them out by it."""
        return self._out

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)

    def distances(self, rows: np.ndarray, cols: np.ndarray | None = None, *, twin_diagonal: bool = False) -> np.ndarray:
        d = self._model.distances(rows, cols, twin_diagonal=twin_diagonal)
        d[:, self._out if cols is None else self._out[cols]] = np.inf
        d[self._out[rows]] = np.inf  # and from them: a symmetric search reads rows as columns
        return d

    def distance_pair(self, rows: np.ndarray, cols: np.ndarray, *,
                      twin_diagonal: bool = False) -> tuple[np.ndarray, np.ndarray]:
        there, back = self._model.distance_pair(rows, cols, twin_diagonal=twin_diagonal)
        for d in (there,) if back is there else (there, back):  # both ways: out if either end is
            d[:, self._out[cols]] = np.inf
            d[self._out[rows]] = np.inf
        return there, back


def _drop(found: Neighbours, without: np.ndarray) -> Neighbours:
    """``found`` with the manga ``without`` out of every list (later ones move up) and listing nobody."""
    idx, dist = found.indices.copy(), found.distances.copy()
    out = np.zeros(idx.shape[0], dtype=bool)
    out[without] = True
    gone = (idx < 0) | out[np.maximum(idx, 0)]
    gone[without] = True
    order = np.argsort(gone, axis=1, kind="stable")
    idx, dist = np.take_along_axis(idx, order, axis=1), np.take_along_axis(dist, order, axis=1)
    hidden = np.take_along_axis(gone, order, axis=1)
    idx[hidden], dist[hidden] = -1, np.inf
    return Neighbours(found.model, idx, dist, found.method, found.recall)


def search(model: Model, n: int, k: int, *, method: str = "auto", exact_max: int = 200_000, seed: int = 0,
           groups: np.ndarray | None = None, candidates: float = 0.02, min_recall: float = 0.99,
           sample: int = 500, without: np.ndarray | None = None) -> Neighbours:
    """Top-k neighbours of every manga: exact, partitioned or NN-Descent search.

    ``auto`` searches exactly up to ``exact_max`` manga, then partitioned
    (:func:`~sitegen.analysis.partitioned.partitioned`: candidates from clusters of the model's
    vector form, ranked by its true distance, so it serves the models without a plain vector
    metric too; a model it cannot serve at ``min_recall`` is searched exactly). ``nndescent``
    (pynndescent) applies to models with a vector metric; the others are searched partitioned.
    A cosine model with a ``probe_above`` attribute (the description-aware model, whose 333
    dimensions make the exact search cost minutes at MangaDex's size) is searched under ``auto``
    past that many manga by probing its nearest clusters
    (:func:`~sitegen.analysis.probed.probed`; exactly when no step reaches ``min_recall``).
    ``groups`` (see :func:`~sitegen.analysis.neighbours.exact`) lets the searches compute each distinct tag set's row once.
    ``without`` (manga indices) are manga the model cannot place (no tags, for a tag model): they
    are in no list, and their own lists are empty (-1, infinite distance).
    """
    if without is not None and without.size:
        model = _Without(model, without)  # type: ignore[assignment]
    probe_above = getattr(model, "probe_above", None)
    if method == "auto" and model.metric == "cosine" and probe_above is not None and k + 1 < n and n > probe_above:
        found = probed(model, n, k, min_recall=min_recall, sample=sample, seed=seed)
    elif method == "exact" or (method == "auto" and n <= exact_max) or n <= k + 1:
        found = exact(model, n, k, groups=groups)
    elif method == "nndescent" and model.vector_search:
        found = approximate(model, k, seed)
    else:
        found = partitioned(model, n, k, candidates=candidates, min_recall=min_recall, groups=groups, sample=sample,
                            seed=seed)
    return _drop(found, without) if without is not None and without.size else found
