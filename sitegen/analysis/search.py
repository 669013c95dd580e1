"""Choosing the search: exact below ``neighbours.exact_max`` manga, partitioned or NN-Descent above."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .neighbours import Neighbours, approximate, exact
from .partitioned import partitioned

if TYPE_CHECKING:
    import numpy as np

    from ..models.base import Model


def search(model: Model, n: int, k: int, *, method: str = "auto", exact_max: int = 200_000, seed: int = 0,
           groups: np.ndarray | None = None, candidates: float = 0.02, min_recall: float = 0.99,
           sample: int = 500) -> Neighbours:
    """Top-k neighbours of every manga: exact, partitioned or NN-Descent search.

    ``auto`` searches exactly up to ``exact_max`` manga, then partitioned
    (:func:`~sitegen.analysis.partitioned.partitioned`: candidates from clusters of the model's
    vector form, ranked by its true distance, so it serves the models without a plain vector
    metric too; a model it cannot serve at ``min_recall`` is searched exactly). ``nndescent``
    (pynndescent) applies to models with a vector metric; the others are searched partitioned.
    ``groups`` (see :func:`~sitegen.analysis.neighbours.exact`) lets the searches compute each distinct tag set's row once.
    """
    if method == "exact" or (method == "auto" and n <= exact_max) or n <= k + 1:
        return exact(model, n, k, groups=groups)
    if method == "nndescent" and model.vector_search:
        return approximate(model, k, seed)
    return partitioned(model, n, k, candidates=candidates, min_recall=min_recall, groups=groups, sample=sample, seed=seed)
