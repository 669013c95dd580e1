"""Cluster labels for the maps: clusters found on each 2-D layout, named by their distinctive tags.

Clusters are found by HDBSCAN (scikit-learn) on the map itself, at two levels: coarse clusters
(excess of mass, a cluster at least 1/60 of the points) shown on the whole map, and fine ones
(leaves of the cluster tree, at least 1/300) shown as the reader zooms in. HDBSCAN on all 110,000
points of a map takes 30 to 50 s (measured), too long for 22 maps, so it clusters a seeded sample
of :data:`SAMPLE` points (under a second) and every manga then joins its nearest sampled point's
cluster, noise included.

A cluster is named by the tags it over-represents: the tags carried by at least
:data:`MIN_SHARE` of its manga, ranked by lift (share in the cluster over share in the whole
map), the best :data:`NAME_TAGS` of them. Where labels go on the screen (without overlap, more as
the reader zooms) is decided by the page, which knows the text's size.
"""

from __future__ import annotations

import inspect
import logging
import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

log = logging.getLogger(__name__)

#: Points HDBSCAN clusters per map (a seeded sample; the rest join their nearest sampled point).
SAMPLE = 6000
#: (level, smallest cluster as a share of the sample, HDBSCAN's cluster selection method).
LEVELS = ((0, 1 / 60, "eom"), (1, 1 / 300, "leaf"))
#: The parameters of scikit-learn's ``tree_to_labels`` (private: checked before use).
TREE_TO_LABELS = ("single_linkage_tree", "min_cluster_size", "cluster_selection_method", "allow_single_cluster",
                  "cluster_selection_epsilon", "max_cluster_size")
#: HDBSCAN's min_samples: how dense a core point's neighbourhood must be.
MIN_SAMPLES = 5
#: A naming tag is carried by at least this share of the cluster's manga ...
MIN_SHARE = 0.25
#: ... and is at least this many times as common in the cluster as on the whole map.
MIN_LIFT = 1.25
#: Tags in a label.
NAME_TAGS = 3
DECIMALS = 4


def sample_points(m: int, seed: int, size: int = SAMPLE) -> np.ndarray:
    """The sampled points, sorted, shape (min(m, size),), int64: the same seed, the same sample."""
    if m <= size:
        return np.arange(m, dtype=np.int64)
    return np.sort(np.random.default_rng(seed).choice(m, size, replace=False)).astype(np.int64)


def clusters(coords: np.ndarray, sample: np.ndarray, levels: tuple[tuple[float, str], ...]) -> list[np.ndarray]:
    """Every point's cluster at each level, shape (m,) each, int64; -1 for noise.

    Parameters
    ----------
    coords : ndarray, shape (m, 2)
    sample : ndarray of int, shape (s,)
        The points HDBSCAN sees; the others take the cluster of their nearest sampled point.
    levels : tuple of (min_share, method)
        Smallest cluster, as a share of the sample, and HDBSCAN's ``cluster_selection_method``
        (``"eom"`` or ``"leaf"``).
    """
    points = coords[sample]
    _, nearest = cKDTree(points).query(coords, k=1)
    tree = None
    out = []
    for min_share, method in levels:
        size = max(MIN_SAMPLES, int(round(min_share * len(sample))))
        if len(sample) <= size:
            out.append(np.full(len(coords), -1, dtype=np.int64))
            continue
        found, tree = _hdbscan(points, size, method, tree)
        out.append(np.asarray(found, dtype=np.int64)[nearest])
    return out


def _tree_to_labels() -> Any:
    """scikit-learn's private step from HDBSCAN's single-linkage tree to labels, or None when this
    scikit-learn has no such function with these parameters (each level is then fitted whole)."""
    try:
        from sklearn.cluster._hdbscan._tree import tree_to_labels
        parameters = tuple(inspect.signature(tree_to_labels).parameters)
    except (ImportError, ValueError, TypeError):
        return None
    return tree_to_labels if parameters == TREE_TO_LABELS else None


def _hdbscan(points: np.ndarray, size: int, method: str, tree: Any) -> tuple[np.ndarray, Any]:
    """HDBSCAN's labels of ``points`` and its single-linkage tree. The tree depends on the points
    and ``min_samples`` only, the same at every level, so a level after the first starts from the
    tree (half of the labels' time: the minimum spanning tree is the costly step)."""
    from sklearn.cluster import HDBSCAN  # only when labels are made

    step = _tree_to_labels() if tree is not None else None
    if step is not None:
        # HDBSCAN.fit's own call, every argument as the estimator below has it
        return step(tree, size, method, False, 0.0, None)[0], tree
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning)
        fitted = HDBSCAN(min_cluster_size=size, min_samples=MIN_SAMPLES, cluster_selection_method=method,
                         copy=True).fit(points)
    return fitted.labels_, getattr(fitted, "_single_linkage_tree_", None)


def naming_tags(share: np.ndarray, base: np.ndarray) -> tuple[list[int], list[float]]:
    """The tags a cluster over-represents, best first, and their lifts.

    Parameters
    ----------
    share : ndarray, shape (n_tags,)
        Each tag's share of the cluster's manga.
    base : ndarray, shape (n_tags,)
        Each tag's share of the whole map.

    Returns
    -------
    tags : list of int (at most NAME_TAGS); lifts : list of float (rounded to 2 decimals)
    """
    lift = np.divide(share, base, out=np.zeros_like(share, dtype=np.float64), where=base > 0)
    ok = np.flatnonzero((share >= MIN_SHARE) & (lift >= MIN_LIFT))
    best = ok[np.lexsort((ok, -np.round(lift[ok], 6)))][:NAME_TAGS]  # ties by tag column
    return best.tolist(), [round(float(lift[t]), 2) for t in best]


def anchor(coords: np.ndarray, members: np.ndarray) -> list[float]:
    """Where a cluster's label goes: its member nearest the members' median (on a point, even
    when the cluster is not convex)."""
    points = coords[members]
    middle = np.median(points, axis=0)
    at = points[np.argmin(((points - middle) ** 2).sum(axis=1))]
    return [round(float(at[0]), DECIMALS), round(float(at[1]), DECIMALS)]


def cluster_labels(coords: np.ndarray, tags: sp.csr_matrix, seed: int) -> list[dict[str, Any]]:
    """The labels of one map, coarse level first, bigger clusters first within a level.

    Parameters
    ----------
    coords : ndarray, shape (m, 2)
    tags : csr_matrix, shape (m, n_tags)
    seed : int

    Returns
    -------
    list of dict
        ``level`` (0 coarse, 1 fine), ``x``, ``y`` (the label's anchor), ``n`` (manga in the
        cluster), ``tags`` (columns, best first), ``lift`` (theirs); clusters with no tag
        distinctive enough are left unlabelled.
    """
    m = len(coords)
    if m == 0:
        return []
    sample = sample_points(m, seed)
    tags = sp.csr_matrix(tags, dtype=np.float64)
    base = np.asarray(tags.sum(axis=0)).ravel() / m
    out = []
    found_at = clusters(coords, sample, tuple((share, method) for _, share, method in LEVELS))
    for (level, _, _), found in zip(LEVELS, found_at):
        points = np.flatnonzero(found >= 0)
        ids, cluster, sizes = np.unique(found[points], return_inverse=True, return_counts=True)
        # every cluster's tag counts in one product: (clusters, m) membership @ (m, n_tags)
        member = sp.csr_matrix((np.ones(len(points)), (cluster.ravel(), points)), shape=(len(ids), m))
        shares = (member @ tags).toarray() / np.maximum(sizes, 1)[:, None]
        for c in np.lexsort((ids, -sizes)):
            best, lifts = naming_tags(shares[c], base)
            if best:
                members = member.indices[member.indptr[c]:member.indptr[c + 1]]
                x, y = anchor(coords, members)
                out.append({"level": level, "x": x, "y": y, "n": int(sizes[c]), "tags": best, "lift": lifts})
    return out
