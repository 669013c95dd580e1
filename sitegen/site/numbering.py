"""The site's numbering of the manga: manga that the default model finds alike get nearby numbers.

A pick in Explore fetches one pick shard (:func:`sitegen.site.data.shards`): the headers,
descriptions and default-model lists of ``shard_size`` manga numbered together, and the title,
year, tags and facets of every other manga those lists, relations and "More by" name (the shard's
``near``), so that the pick needs no other file. Numbered in catalogue order (most followed
first), 32 manga have nothing in common and their lists name about 850 other manga (the 2021
sample of 5,000 real manga, measured): 29 kB gzipped a shard with ``near``. Numbered so that a
shard holds manga that lie together on the default model's map, the lists overlap and point into
the shard itself: about 340 others, 18 kB; and a reader who picks a recommendation often finds it
in the shard already loaded.

The order is a k-d tree over the default model's UMAP layout (which UMAP builds from that
model's own neighbour lists): the manga are cut at the median of the layout's wider side, again
and again, until a part holds one shard, and the parts are numbered left to right; every cut
falls on a shard boundary, so a shard is a leaf. Without a UMAP layout of that model, reverse
Cuthill-McKee over its lists (bandwidth reduction: linked manga get close numbers) does less well
(about 450 others on the same sample) at no cost.

Index order then no longer breaks ties (it does in the catalogue: most followed first, then id);
what the site lists "most followed first" sorts by
:attr:`~sitegen.sources.catalogue.Catalogue.follows_order`.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import reverse_cuthill_mckee

from ..sources.catalogue import Catalogue

if TYPE_CHECKING:
    from ..analysis.neighbours import Neighbours
    from ..analysis.projections import Projection

log = logging.getLogger(__name__)


def kd_order(coords: np.ndarray, leaf: int) -> np.ndarray:
    """Rows of ``coords`` in the order of a k-d tree's leaves of ``leaf`` rows (the last may be short).

    Parameters
    ----------
    coords : ndarray, shape (n, 2)
    leaf : int
        Rows per leaf; every cut leaves a whole number of leaves on its left.

    Returns
    -------
    ndarray of int64, shape (n,)
        A permutation: position -> row.
    """
    out: list[np.ndarray] = []
    stack = [np.arange(len(coords), dtype=np.int64)]
    while stack:
        part = stack.pop()
        if len(part) <= leaf:
            out.append(part)
            continue
        pts = coords[part]
        axis = int(np.ptp(pts[:, 1]) > np.ptp(pts[:, 0]))
        part = part[np.argsort(pts[:, axis], kind="stable")]
        half = (-(-len(part) // leaf) // 2) * leaf  # half the leaves, rounded down: < len(part)
        stack.extend((part[half:], part[:half]))  # the left half is numbered first
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


def graph_order(indices: np.ndarray) -> np.ndarray:
    """Reverse Cuthill-McKee order of the graph of neighbour lists ``indices`` (n, k), -1 empty."""
    n = len(indices)
    rows = np.repeat(np.arange(n), indices.shape[1]) if indices.size else np.zeros(0, dtype=np.int64)
    cols = indices.ravel().astype(np.int64)
    keep = cols >= 0
    graph = sp.csr_matrix((np.ones(int(keep.sum()), dtype=np.int8), (rows[keep], cols[keep])), shape=(n, n))
    return np.asarray(reverse_cuthill_mckee((graph + graph.T).tocsr(), symmetric_mode=True), dtype=np.int64)


def site_order(default: Neighbours | None, layout: np.ndarray | None, n: int, leaf: int) -> np.ndarray:
    """The site's numbering: position -> catalogue index (see the module docstring).

    Parameters
    ----------
    default : Neighbours, optional
        The default model's lists; without them the catalogue order is kept.
    layout : ndarray, shape (n, 2), optional
        That model's UMAP layout of every manga.
    """
    if layout is not None and len(layout) == n:
        log.info("site numbering: a k-d tree over the default model's UMAP map, %d manga a shard", leaf)
        return kd_order(layout, leaf)
    if default is not None and len(default.indices) == n:
        log.info("site numbering: reverse Cuthill-McKee over %s's lists", default.model)
        return graph_order(default.indices)
    return np.arange(n, dtype=np.int64)


def renumber(order: np.ndarray, catalogue: Catalogue,
             neighbours: Sequence[Neighbours]) -> tuple[Catalogue, list[Neighbours]]:
    """The catalogue and lists in the site's numbering: new index ``p`` is old ``order[p]``
    (the maps: :func:`renumber_maps`).

    The lists keep their order (ties stay broken as the catalogue broke them); their entries are
    renumbered. A map that holds only some manga (``projection.size``) cannot be renumbered: the
    caller keeps the catalogue order then.
    """
    n = len(catalogue)
    if np.array_equal(order, np.arange(n)):
        return catalogue, list(neighbours)
    new = np.empty(n, dtype=np.int64)
    new[order] = np.arange(n)
    renamed = Catalogue(manga=tuple(catalogue.manga[i] for i in order), tags=catalogue.tags,
                        synthetic=catalogue.synthetic, source=catalogue.source)

    def lists(nb: Neighbours) -> Neighbours:
        idx = nb.indices[order]
        moved = np.where(idx >= 0, new[np.maximum(idx, 0)], -1).astype(nb.indices.dtype)
        return dataclasses.replace(nb, indices=moved, distances=nb.distances[order])

    return renamed, [lists(nb) for nb in neighbours]


def renumber_maps(order: np.ndarray, maps: Sequence[Sequence[Projection]]) -> list[list[Projection]]:
    """Maps of every manga in the site's numbering, new index ``p`` old ``order[p]``
    (:func:`renumber`); as they are for the identity."""
    if np.array_equal(order, np.arange(len(order))):
        return [list(per) for per in maps]
    return [[dataclasses.replace(p, coords=p.coords[order]) for p in per] for per in maps]
