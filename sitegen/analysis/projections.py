"""2-D maps of each model's geometry, for the site's embedding plots page.

Each fitted model gets a layout of the same sample of the catalogue: its first ``size`` manga in
catalogue order, which are the most followed and so the ones a reader recognises on a map.

UMAP (the default) is run on the model's own distances, not on ``embedding_``: the exact
k-nearest-neighbour graph of the sample is computed from :meth:`Model.distances` restricted to the
sample's columns and handed to UMAP as ``precomputed_knn``, with the sample's distance matrix as
``metric="precomputed"`` data (UMAP reads it only to place disconnected components). That makes
"custom" models, whose ``embedding_`` is not their metric space, mapped as they recommend. PCA of
``embedding_`` is the fast alternative for tests and tiny builds.

Twins come first. A third of the catalogue shares its tag set with another manga, and a model that
sees only tags cannot tell such manga apart: a group of more than ``n_neighbors`` twins would be a
k-nearest-neighbour clique with no edge out, which UMAP strands far from everything else. So, as
UMAP's own ``unique=True`` does, each group the model really does not separate (checked on its
distance rows, not assumed) is laid out as one point, and its members are then set around it in a
small sunflower, so that every manga can still be hovered and clicked.

Everything here is pure (fitted models in, records out); :mod:`sitegen.build` writes the JSON.
Coordinates are scaled into the box [-1, 1] (aspect kept) and rounded, so that the file is small
and the same input and seed give the same bytes.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..linalg import fixed_signs
from .neighbours import exact

if TYPE_CHECKING:
    from ..config import ProjectionConfig
    from ..models.base import Model

log = logging.getLogger(__name__)

DECIMALS = 3
#: Largest block of ``model.distances`` computed at once while gathering the sample's matrix.
BLOCK_BYTES = 128 * 2**20
#: Below this many distinct manga UMAP's spectral start is degenerate; such maps are made by PCA.
MIN_UMAP = 10
#: Twins' distance rows may differ by float noise up to this, relative to the distance.
TWIN_TOLERANCE = 1e-5
#: Distance between neighbouring twins around their group's point, in map units (the map is 2 wide).
TWIN_SPACING = 0.004
GOLDEN_ANGLE = np.pi * (3 - np.sqrt(5))


@dataclass(frozen=True)
class Projection:
    """One model's 2-D map of the sample.

    Attributes
    ----------
    model : str
        The model's registry name.
    method : str
        ``"umap"`` or ``"pca"``: what actually made the layout.
    coords : ndarray, shape (n_sample, 2), float64
        Row ``i`` is sample manga ``i``; scaled into [-1, 1] and rounded to ``DECIMALS``.
    seconds : float
        Wall time the layout took (for the log and the benchmark; not written to the site).
    """

    model: str
    method: str
    coords: np.ndarray
    seconds: float = 0.0


def sample_rows(n: int, size: int) -> np.ndarray:
    """The sample: the first ``min(n, size)`` manga, catalogue order (most followed first).

    Returns
    -------
    ndarray of int64, shape (min(n, size),)
    """
    return np.arange(min(n, size), dtype=np.int64)


def sample_distances(model: Model, sample: np.ndarray) -> np.ndarray:
    """The model's distances between sample manga, gathered in blocks of rows.

    Non-finite distances become a finite "far" value (UMAP rejects them) and the diagonal is 0
    (a blended model may put a manga at a small distance from itself).

    Parameters
    ----------
    model : Model
        Fitted.
    sample : ndarray of int, shape (m,)

    Returns
    -------
    ndarray, shape (m, m), float32
    """
    m = len(sample)
    out = np.empty((m, m), dtype=np.float32)
    n = len(model.embedding_)
    block = max(1, BLOCK_BYTES // (4 * max(n, 1)))
    for start in range(0, m, block):
        stop = min(m, start + block)
        out[start:stop] = model.distances(sample[start:stop])[:, sample]
    bad = ~np.isfinite(out)
    if bad.any():
        far = float(out[~bad].max(initial=0.0))
        log.warning("%s: %d non-finite distances in the map sample, treated as far", model.name, int(bad.sum()))
        out[bad] = 2 * far if far > 0 else 1.0
    np.fill_diagonal(out, 0)
    return out


class _Matrix:
    """A precomputed distance matrix behind the two members :func:`neighbours.exact` reads.

    Reusing the site's exact search keeps its tie rule (rounded distances, then catalogue order),
    so a map's neighbour graph is the one the explore page lists, restricted to the sample.
    """

    def __init__(self, name: str, matrix: np.ndarray) -> None:
        self.name = name
        self.matrix = matrix

    def distances(self, rows: np.ndarray, cols: np.ndarray | None = None, *, twin_diagonal: bool = False) -> np.ndarray:
        block = self.matrix[rows]
        return block if cols is None else block[:, cols]


def knn_graph(dist: np.ndarray, n_neighbors: int, name: str = "sample") -> tuple[np.ndarray, np.ndarray]:
    """Exact k-nearest-neighbour graph in UMAP's ``precomputed_knn`` form: each point first.

    Parameters
    ----------
    dist : ndarray, shape (m, m), float32
        Distances between the sample's manga; row ``i`` from manga ``i``.
    n_neighbors : int
        Neighbours per point counting the point itself (UMAP's convention), at most ``m``.

    Returns
    -------
    indices : ndarray, shape (m, n_neighbors), int32
        Positions in the sample; column 0 is the point itself, the rest nearest first.
    distances : ndarray, shape (m, n_neighbors), float32
        The matching distances (0 for the point itself).
    """
    m = dist.shape[0]
    k = min(n_neighbors, m) - 1
    nb = exact(_Matrix(name, dist), m, k, progress=False)  # type: ignore[arg-type]  # duck-typed
    own = np.arange(m, dtype=np.int32)[:, None]
    indices = np.hstack([own, nb.indices]).astype(np.int32)
    distances = np.hstack([np.zeros((m, 1), np.float32), nb.distances]).astype(np.float32)
    return indices, distances


def umap_layout(dist: np.ndarray, n_neighbors: int, min_dist: float, n_epochs: int, seed: int,
                name: str = "sample") -> np.ndarray:
    """UMAP of a precomputed distance matrix through its exact k-nearest-neighbour graph.

    Parameters
    ----------
    dist : ndarray, shape (m, m), float32
    n_neighbors : int
        UMAP's neighbourhood size (the point itself included); clamped to ``m - 1``.
    min_dist : float
    n_epochs : int
        Optimisation epochs. A seeded UMAP optimises on one core, so time is linear in this;
        UMAP's own default for large data is 200 (500 below 10,000 points).
    seed : int
        UMAP's ``random_state``: fixes the result (and makes UMAP run single-threaded).

    Returns
    -------
    ndarray, shape (m, 2), float64
    """
    import umap  # heavy (numba, pynndescent): only when a UMAP map is asked for

    nn = min(n_neighbors, dist.shape[0] - 1)
    knn = knn_graph(dist, nn, name)
    reducer = umap.UMAP(n_neighbors=nn, min_dist=min_dist, n_epochs=n_epochs, metric="precomputed",
                        precomputed_knn=knn, random_state=seed, n_jobs=1, init="spectral", verbose=False)
    with warnings.catch_warnings():
        # Both are expected here: no NNDescent index (so no transform) and no inverse_transform.
        warnings.filterwarnings("ignore", message=r"precomputed_knn\[2\]", category=UserWarning)
        warnings.filterwarnings("ignore", message="using precomputed metric", category=UserWarning)
        coords = reducer.fit_transform(dist)
    return np.asarray(coords, dtype=np.float64)


def pca_layout(model: Model, sample: np.ndarray) -> np.ndarray:
    """The first two principal components of the sample's ``embedding_`` rows (unit rows for cosine).

    Deterministic: an exact SVD with the components' signs fixed.

    Returns
    -------
    ndarray, shape (m, 2), float64
    """
    x = np.asarray(model.embedding_[sample], dtype=np.float64)
    if model.metric == "cosine":
        norms = np.linalg.norm(x, axis=1, keepdims=True)
        x = x / np.where(norms > 0, norms, 1)
    x = x - x.mean(axis=0) if len(x) else x
    coords = np.zeros((len(x), 2))
    if len(x) > 1 and x.shape[1]:
        u, s, _ = np.linalg.svd(x, full_matrices=False)
        r = min(2, len(s))
        coords[:, :r] = fixed_signs(u[:, :r] * s[:r])
    return coords


def twins(rows: np.ndarray, candidates: np.ndarray, *, square: bool) -> np.ndarray:
    """Which sample manga the model cannot tell apart: each one's group representative.

    Parameters
    ----------
    rows : ndarray, shape (m, c)
        What the model knows of each sample manga: its distances to the sample (``square``,
        c = m) or its vector.
    candidates : ndarray of int, shape (m,)
        Each manga's first sample manga with the same tag set (itself when it has none before it).
    square : bool
        ``rows`` are distances to the sample: a group's own columns are ignored, since twins are
        at 0 from themselves but not always from each other (network models link a manga to its
        twin, not to itself).

    Returns
    -------
    ndarray of int64, shape (m,)
        The candidate where the rows agree (within :data:`TWIN_TOLERANCE`), else the manga itself.
    """
    m = len(rows)
    owner = np.arange(m, dtype=np.int64)
    members = np.flatnonzero(np.asarray(candidates) != owner)
    if not len(members):
        return owner
    reps = np.asarray(candidates)[members]
    diff = np.abs(rows[members] - rows[reps])
    if square:
        diff[np.asarray(candidates)[None, :] == reps[:, None]] = 0
    same = (diff <= TWIN_TOLERANCE * (1 + np.abs(rows[reps]))).all(axis=1)
    owner[members[same]] = reps[same]
    return owner


def spread_twins(coords: np.ndarray, owner: np.ndarray, spacing: float = TWIN_SPACING) -> np.ndarray:
    """Set each group's members around its point in a sunflower, the most followed in the middle.

    Parameters
    ----------
    coords : ndarray, shape (m, 2)
        Twins share their representative's position.
    owner : ndarray of int, shape (m,)
        From :func:`twins`.

    Returns
    -------
    ndarray, shape (m, 2): member j of a group (0 = first) at radius ``spacing * sqrt(j)``.
    """
    m = len(owner)
    order = np.argsort(owner, kind="stable")  # by group, then sample order
    starts = np.flatnonzero(np.r_[True, np.diff(owner[order]) != 0])
    rank = np.empty(m)
    rank[order] = np.arange(m) - np.repeat(starts, np.diff(np.r_[starts, m]))
    angle = rank * GOLDEN_ANGLE
    return coords + spacing * np.sqrt(rank)[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])


def normalise(coords: np.ndarray) -> np.ndarray:
    """Centre the bounding box on 0 and scale its longer side to [-1, 1] (aspect kept).

    Non-finite rows (UMAP leaves points it could not connect at NaN) go to the centre, so the file
    stays valid JSON; there should be none, since every point has its exact neighbours.

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


def finish(coords: np.ndarray, owner: np.ndarray, decimals: int = DECIMALS) -> np.ndarray:
    """Normalised, twins spread, normalised again (so all stays in [-1, 1]) and rounded.

    Returns
    -------
    ndarray, shape (m, 2), float64, without ``-0.0`` (so equal maps give equal bytes)
    """
    spread = normalise(spread_twins(normalise(coords), owner))
    return np.round(spread, decimals) + 0.0  # + 0.0 turns -0.0 into 0.0


def project(model: Model, sample: np.ndarray, config: ProjectionConfig, seed: int,
            candidates: np.ndarray | None = None) -> Projection:
    """One model's map of ``sample`` as ``config`` says.

    Parameters
    ----------
    model : Model
        Fitted.
    sample : ndarray of int, shape (m,)
    config : ProjectionConfig
    seed : int
    candidates : ndarray of int, shape (m,), optional
        Possible twins (see :func:`twins`); none when not given.
    """
    start = time.perf_counter()
    candidates = np.arange(len(sample)) if candidates is None else candidates
    if config.method == "umap":
        dist = sample_distances(model, sample)
        owner = twins(dist, candidates, square=True)
    else:
        owner = twins(np.asarray(model.embedding_[sample], dtype=np.float32), candidates, square=False)
    distinct = np.flatnonzero(owner == np.arange(len(sample)))
    method = config.method if len(distinct) >= MIN_UMAP else "pca"
    if method == "umap":
        layout = umap_layout(dist[np.ix_(distinct, distinct)], config.n_neighbors, config.min_dist,
                             config.n_epochs, seed, model.name)
        coords = layout[np.searchsorted(distinct, owner)]
    else:
        coords = pca_layout(model, sample)
    seconds = time.perf_counter() - start
    log.info("map %s: %s of %d manga (%d told apart) in %.1f s", model.name, method, len(sample), len(distinct), seconds)
    return Projection(model.name, method, finish(coords, owner), seconds)


def project_models(models: Sequence[Model], n: int, config: ProjectionConfig, seed: int,
                   groups: np.ndarray | None = None) -> list[Projection]:
    """Every model's map of the same sample (the first ``config.size`` of ``n`` manga).

    Parameters
    ----------
    groups : ndarray of int, shape (n,), optional
        Each manga's first manga with the same tag set (``Catalogue.tag_groups``): the possible
        twins, which each model's own distances then confirm or not.
    """
    sample = sample_rows(n, config.size)
    # the sample is a prefix of the catalogue, so a group's first manga is in it when any member is
    candidates = None if groups is None else np.asarray(groups)[sample]
    return [project(model, sample, config, seed, candidates) for model in models]


def projections_json(projections: Sequence[Projection], n: int, config: ProjectionConfig, seed: int) -> dict[str, Any]:
    """What ``data/projections.json`` holds.

    Returns
    -------
    dict
        ``method`` (what made the maps), ``params``; ``sample`` (catalogue indices of
        the mapped manga, once); ``models``: {name: [[x, y], ...]} in the order of ``sample``.
    """
    sample = sample_rows(n, config.size)
    return {
        # the same for every model: only a tiny sample (below MIN_UMAP) overrides the config
        "method": projections[0].method if projections else config.method,
        "params": {"n_neighbors": config.n_neighbors, "min_dist": config.min_dist,
                   "n_epochs": config.n_epochs, "seed": seed},
        "sample": sample.tolist(),
        "models": {p.model: p.coords.tolist() for p in projections},
    }
