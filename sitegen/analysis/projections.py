"""2-D maps of each model's geometry, for the site's Maps page: every manga of the catalogue.

Two projections per model:

- **PCA** of ``embedding_`` (unit rows for cosine models): exact, deterministic, a fraction of a
  second at 110,000 manga. Every model gets one.
- **UMAP** over the model's own neighbour graph: the k-nearest-neighbour lists the build has
  already found for the Explore page (exact or partitioned, :mod:`.search`) are handed to UMAP's
  fuzzy simplicial set as they are, so no distance is computed twice and "custom" models, whose
  ``embedding_`` is not their metric space, are mapped as they recommend. The optimisation starts
  from the PCA map (scaled as UMAP scales its spectral start), which keeps the big picture of the
  PCA map and needs fewer epochs than a random start. The epochs are this project's own kernel
  over umap-learn's graph (:mod:`.umap_layout`): seeded, on one core, with the interpreter lock
  released (about 5 s a map at 110,000 manga, 60 epochs), so the models are laid out a core each
  at once; every model gets one by default (``umap_models``), with fewer epochs for large maps
  (:func:`umap_epochs`).

Twins are laid out once. Two fifths of the catalogue shares its tag set with another manga, and a
model whose rows depend on the tag set alone (``rows_by_tag_set``) cannot tell them apart: their
neighbour lists are the same list and their vectors the same vector. Each such group is one point
of the layout (UMAP sees about 60,000 distinct rows at 110,000 manga, not 110,000) and its members
are then set around it in a small sunflower, so that every manga can still be hovered and clicked.

Everything here is pure (fitted models and neighbour lists in, coordinates out); the site's files
are packed by :mod:`sitegen.site.maps`. Coordinates are scaled into the box [-1, 1] (aspect kept).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..linalg import fixed_signs
from .umap_layout import GOLDEN_ANGLE, umap_layout

if TYPE_CHECKING:
    from ..config import ProjectionConfig
    from ..models.base import Model
    from .neighbours import Neighbours

log = logging.getLogger(__name__)

#: Below this many distinct manga UMAP's layout is degenerate; such maps are PCA only.
MIN_UMAP = 10
#: UMAP's epochs when ``projection.n_epochs`` is 0: ``(most points, epochs)``, the first that fits.
#: Measured at 110,000 manga (LSI's map, 59,527 points, :mod:`.umap_layout`'s epochs): 100 epochs
#: 9.0 s, map-neighbour precision 0.419 (share of a point's 10 nearest on the map among its 14
#: listed neighbours); 60 epochs 5.0 s, 0.394; 40 epochs 3.6 s, 0.373 (umap-learn's own epochs:
#: 60 took 10.3 s, 0.372). A build lays out twelve such maps beside the search; small maps cost
#: little either way and keep the larger number. Past 200,000 points the maps are the build's
#: largest use of a core (at 1,000,000 manga, 1,536 of its 6,437 CPU-seconds went to their
#: epochs, on a machine both searches and maps keep busy), and a map of 400,000 points took
#: 131 s at 40 epochs against 250 s at 60: such maps take 40.
AUTO_EPOCHS = ((10_000, 100), (200_000, 60), (None, 40))
#: Distance between neighbouring twins around their group's point, in map units (the map is 2 wide).
TWIN_SPACING = 0.0015
#: The site stores a coordinate in [-1, 1] as one of STEPS + 1 steps (16 bits: sitegen.site.maps).
STEPS = 65535
#: Rounds of spreading points that share a step.
SPREAD_ROUNDS = 4


@dataclass(frozen=True)
class Projection:
    """One model's 2-D map of the mapped manga.

    Attributes
    ----------
    model : str
        The model's registry name.
    method : str
        ``"umap"`` or ``"pca"``.
    coords : ndarray, shape (n_mapped, 2), float64
        Row ``i`` is catalogue manga ``i``; scaled into [-1, 1].
    seconds : float
        Wall time the layout took (for the log and the benchmark; not written to the site).
    labels : list of dict
        Cluster labels (:func:`sitegen.analysis.labels.cluster_labels`), filled in by the build.
    epochs : int
        UMAP's optimisation epochs (0 for PCA).
    """

    model: str
    method: str
    coords: np.ndarray
    seconds: float = 0.0
    labels: list[dict[str, Any]] = field(default_factory=list)
    epochs: int = 0


def umap_epochs(configured: int, points: int) -> int:
    """The epochs of a UMAP map of ``points`` distinct points: ``configured``, or by size when 0
    (:data:`AUTO_EPOCHS`)."""
    if configured > 0:
        return configured
    return next(epochs for most, epochs in AUTO_EPOCHS if most is None or points <= most)


def mapped_count(n: int, size: int) -> int:
    """How many manga the maps draw: the first ``size`` (most followed), or all when ``size`` is 0."""
    return n if size <= 0 else min(n, size)


def owners(model: Model, groups: np.ndarray | None, m: int) -> np.ndarray:
    """Each mapped manga's group representative, shape (m,), int64: twins share one.

    A model whose rows depend on the tag set alone cannot separate manga with the same tags
    (``groups``: each manga's first manga with its tag set); for any other model every manga is
    its own representative.
    """
    if groups is None or not getattr(model, "rows_by_tag_set", False):
        return np.arange(m, dtype=np.int64)
    return np.asarray(groups[:m], dtype=np.int64)  # a group's first manga comes first: in the prefix


def neighbour_graph(indices: np.ndarray, distances: np.ndarray, owner: np.ndarray,
                    n_neighbors: int) -> tuple[np.ndarray, np.ndarray]:
    """The neighbour lists of the distinct rows, in UMAP's ``knn`` form (each point first).

    Parameters
    ----------
    indices, distances : ndarray, shape (n, k)
        The build's neighbour lists (catalogue indices, nearest first).
    owner : ndarray of int, shape (m,)
        From :func:`owners`, over the first ``m`` manga (the mapped ones).
    n_neighbors : int
        Columns wanted, the point itself included.

    Returns
    -------
    knn_indices : ndarray, shape (d, n_neighbors), int32
        Positions among the ``d`` distinct rows; column 0 the row itself, then its neighbours as
        distinct rows (a twin collapses into its row and is dropped, as is a repeated row or a
        manga past the mapped ones), padded with -1, which UMAP skips.
    knn_dists : ndarray, shape (d, n_neighbors), float32
        The matching distances; padding repeats the row's farthest listed distance, so that
        UMAP's bandwidth search sees only real distances.
    """
    m = len(owner)
    reps = np.flatnonzero(owner == np.arange(m))
    pos = np.full(max(len(indices), int(indices.max(initial=-1)) + 1), -1, dtype=np.int64)  # -1: not mapped
    pos[:m] = np.searchsorted(reps, owner)
    nb = np.where(indices[reps] >= 0, pos[np.maximum(indices[reps], 0)], -1)
    dist = np.asarray(distances[reps], dtype=np.float32)
    own = np.arange(len(reps))[:, None]
    order = np.argsort(nb, axis=1, kind="stable")
    ranked = np.take_along_axis(nb, order, axis=1)
    repeat = np.zeros_like(ranked, dtype=bool)
    repeat[:, 1:] = ranked[:, 1:] == ranked[:, :-1]
    drop = np.zeros_like(repeat)
    np.put_along_axis(drop, order, repeat, axis=1)
    drop |= (nb == own) | (nb < 0)
    keep = np.argsort(drop, axis=1, kind="stable")[:, : n_neighbors - 1]  # kept ones first, in list order
    nb, dist, drop = (np.take_along_axis(a, keep, axis=1) for a in (nb, dist, drop))
    far = np.where(drop, -np.inf, dist).max(axis=1, initial=0.0, keepdims=True)
    dist = np.where(drop, np.maximum(far, 0), dist)
    nb = np.where(drop, -1, nb)
    return (np.hstack([own, nb]).astype(np.int32),
            np.hstack([np.zeros((len(reps), 1), np.float32), dist]).astype(np.float32))


def pca_layout(model: Model, rows: np.ndarray) -> np.ndarray:
    """The first two principal components of ``embedding_[rows]`` (unit rows for cosine models).

    Deterministic: an exact SVD of the small (dim, dim) covariance, the components' signs fixed.

    Returns
    -------
    ndarray, shape (len(rows), 2), float64
    """
    x = np.asarray(model.embedding_[rows], dtype=np.float64)
    if model.metric == "cosine":
        norms = np.linalg.norm(x, axis=1, keepdims=True)
        x = x / np.where(norms > 0, norms, 1)
    coords = np.zeros((len(x), 2))
    if len(x) > 1 and x.shape[1]:
        x = x - x.mean(axis=0)
        _, vectors = np.linalg.eigh(x.T @ x)  # ascending eigenvalues: the last two are wanted
        r = min(2, x.shape[1])
        coords[:, :r] = fixed_signs(x @ vectors[:, ::-1][:, :r])
    return coords


def spread_twins(coords: np.ndarray, owner: np.ndarray, spacing: float = TWIN_SPACING) -> np.ndarray:
    """Set each group's members around its point in a sunflower, the most followed in the middle.

    Parameters
    ----------
    coords : ndarray, shape (m, 2)
        Twins share their representative's position.
    owner : ndarray of int, shape (m,)
        From :func:`owners`.

    Returns
    -------
    ndarray, shape (m, 2): member j of a group (0 = first) at radius ``spacing * sqrt(j)``.
    """
    m = len(owner)
    order = np.argsort(owner, kind="stable")  # by group, then catalogue order
    starts = np.flatnonzero(np.r_[True, np.diff(owner[order]) != 0])
    rank = np.empty(m)
    rank[order] = np.arange(m) - np.repeat(starts, np.diff(np.r_[starts, m]))
    angle = rank * GOLDEN_ANGLE
    return coords + spacing * np.sqrt(rank)[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])


def normalise(coords: np.ndarray) -> np.ndarray:
    """Centre the bounding box on 0 and scale its longer side to [-1, 1] (aspect kept).

    Non-finite rows go to the centre (there should be none: every point has neighbours).

    Parameters
    ----------
    coords : ndarray, shape (m, 2)

    Returns
    -------
    ndarray, shape (m, 2), float64
    """
    c = np.array(coords, dtype=np.float64)
    finite = np.isfinite(c).all(axis=1)
    if not finite.all():
        log.warning("%d map points without a position placed at the centre", int((~finite).sum()))
    if not finite.any():
        return np.zeros_like(c)
    lo, hi = c[finite].min(axis=0), c[finite].max(axis=0)
    c = c - (lo + hi) / 2
    half = float((hi - lo).max()) / 2
    if half > 0:
        c /= half
    c[~finite] = 0
    return c


def coincident(coords: np.ndarray) -> np.ndarray:
    """Each point's first point in the same 16-bit step of the site's files, shape (m,), int64.

    Twins of a model that separates them can still share a position (the popularity blend's
    vectors are its base model's), and so can any two manga on a PCA map: all are spread, so that
    each can be hovered and clicked once the coordinates are quantised (:data:`STEPS`).
    """
    step = np.round((np.clip(coords, -1, 1) + 1) / 2 * STEPS).astype(np.int64)  # clipped as the files are
    # one integer per step: a 1-D unique sorts integers, eight times faster than rows (axis=0)
    _, first, inverse = np.unique(step[:, 0] * (STEPS + 1) + step[:, 1], return_index=True, return_inverse=True)
    return first[inverse].astype(np.int64)


def finish(coords: np.ndarray) -> np.ndarray:
    """Normalised, points sharing a step spread, normalised again (so all stays in [-1, 1]), without
    ``-0.0``. Spreading rescales the map a little, which can bring two points into one step again,
    so it repeats (a few rounds at most; at 110,000 manga one does).

    Parameters
    ----------
    coords : ndarray, shape (m, 2)
        Twins at their representative's position.

    Returns
    -------
    ndarray, shape (m, 2), float64
    """
    c = normalise(coords)
    for _ in range(SPREAD_ROUNDS):
        owner = coincident(c)
        if (owner == np.arange(len(c))).all():
            break
        c = normalise(spread_twins(c, owner))
    return c + 0.0


@dataclass(frozen=True)
class MapInputs:
    """What one model's maps are laid out from, taken from its neighbour lists (which can then be
    let go: the graph is the distinct rows' first ``n_neighbors`` only).

    Attributes
    ----------
    owner : ndarray of int, shape (m,)
        :func:`owners`.
    knn : tuple of ndarray, shape (d, n_neighbors) each, or None
        :func:`neighbour_graph`, when a UMAP map is wanted and possible.
    """

    owner: np.ndarray
    knn: tuple[np.ndarray, np.ndarray] | None


def map_inputs(model: Model, neighbours: Neighbours | None, m: int, config: ProjectionConfig,
               groups: np.ndarray | None = None, umap: bool = True) -> MapInputs:
    """The inputs of :func:`lay_out` for the first ``m`` manga (``umap``: whether a UMAP map is wanted)."""
    owner = owners(model, groups, m)
    distinct = int((owner == np.arange(m)).sum())
    if not (umap and neighbours is not None and distinct >= MIN_UMAP):
        return MapInputs(owner, None)
    return MapInputs(owner, neighbour_graph(neighbours.indices, neighbours.distances, owner, config.n_neighbors))


def pca_map(model: Model, owner: np.ndarray) -> tuple[Projection, np.ndarray]:
    """A model's PCA map of the manga ``owner`` covers, and the PCA coordinates of its distinct
    rows (where its UMAP map starts: :func:`umap_map`).

    Parameters
    ----------
    owner : ndarray of int, shape (m,)
        :func:`owners`.

    Returns
    -------
    (Projection, ndarray of shape (d, 2)): the map, and the PCA of the ``d`` distinct rows.
    """
    start = time.perf_counter()
    m = len(owner)
    reps = np.flatnonzero(owner == np.arange(m))
    pca = pca_layout(model, reps)
    projection = Projection(model.name, "pca", finish(pca[np.searchsorted(reps, owner)]), time.perf_counter() - start)
    log.info("map %s: pca of %d manga (%d told apart) in %.1f s", model.name, m, len(reps), projection.seconds)
    return projection, pca


def umap_map(name: str, inputs: MapInputs, pca: np.ndarray, config: ProjectionConfig, seed: int) -> Projection:
    """Model ``name``'s UMAP map from its neighbour graph (``inputs.knn``, not None), started from
    its PCA map (``pca``, of the distinct rows: :func:`pca_map`)."""
    assert inputs.knn is not None
    start = time.perf_counter()
    m = len(inputs.owner)
    reps = np.flatnonzero(inputs.owner == np.arange(m))
    epochs = umap_epochs(config.n_epochs, len(reps))
    layout = umap_layout(*inputs.knn, pca, config.min_dist, epochs, seed)
    projection = Projection(name, "umap", finish(layout[np.searchsorted(reps, inputs.owner)]),
                            time.perf_counter() - start, epochs=epochs)
    log.info("map %s: umap of %d manga (%d told apart, %d epochs) in %.1f s", name, m, len(reps), epochs,
             projection.seconds)
    return projection


def lay_out(model: Model, inputs: MapInputs, config: ProjectionConfig, seed: int) -> list[Projection]:
    """One model's maps: ``[umap, pca]`` when ``inputs`` has a graph, else ``[pca]``."""
    pca_projection, pca = pca_map(model, inputs.owner)
    if inputs.knn is None:
        return [pca_projection]
    return [umap_map(model.name, inputs, pca, config, seed), pca_projection]


def project(model: Model, neighbours: Neighbours | None, m: int, config: ProjectionConfig, seed: int,
            groups: np.ndarray | None = None, umap: bool = True) -> list[Projection]:
    """One model's maps of the first ``m`` manga: PCA, then UMAP when asked for and possible.

    Parameters
    ----------
    model : Model
        Fitted.
    neighbours : Neighbours or None
        The model's neighbour lists (needed for UMAP).
    m : int
        Manga mapped (a prefix of the catalogue).
    groups : ndarray of int, shape (n,), optional
        ``Catalogue.tag_groups``: the twins of models with ``rows_by_tag_set``.
    umap : bool
        Whether to lay this model out by UMAP too.

    Returns
    -------
    list of Projection: ``[umap, pca]``, or ``[pca]``.
    """
    return lay_out(model, map_inputs(model, neighbours, m, config, groups, umap), config, seed)


def project_models(models: Sequence[Model], neighbours: Sequence[Neighbours] | None, n: int,
                   config: ProjectionConfig, seed: int, groups: np.ndarray | None = None) -> list[list[Projection]]:
    """Every model's maps, one after another: per model, ``[umap, pca]`` (UMAP for
    ``config.umap_models``, all when empty) or ``[pca]``. The build lays each model's maps out on
    a thread of their own as its lists are found instead (:mod:`sitegen.backlog`); the maps are
    the same, as each depends on its own inputs and seed only.

    Parameters
    ----------
    neighbours : sequence of Neighbours, optional
        Per model, in the same order; needed for UMAP.
    n : int
        Manga in the catalogue; the first ``mapped_count(n, config.size)`` are mapped.
    """
    m = mapped_count(n, config.size)
    wanted = set(config.umap_models) if config.umap_models else {model.name for model in models}
    return [project(model, neighbours[i] if neighbours is not None else None, m, config, seed, groups,
                    umap=config.method == "umap" and model.name in wanted) for i, model in enumerate(models)]
