"""A manga's own series: the titles MangaDex links to it, directly and through each other.

Recommendations should show a reader something new; a colour edition, a sequel or a spin-off of
the manga they picked is not new to them. MangaDex's relations (sequel, prequel, side story,
spin-off, colored, monochrome, adaptations, doujinshi, same franchise, shared universe, ...) link
those titles, often on one side only; a manga's series is every title it reaches through them,
in either direction, within the catalogue. Explore shows the direct links as "Related on
MangaDex" and leaves the series out of the similar lists unless the reader asks for it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from ..sources.catalogue import Catalogue

#: How MangaDex names relations on its own pages, where the API's key is not already readable.
LABELS = {"spin_off": "Spin-off", "preserialization": "Pre-serialization", "colored": "Colour edition",
          "monochrome": "Monochrome edition"}
#: Most direct relations stored per manga (a franchise hub can link hundreds of doujinshi).
MAX_DIRECT = 60


def relation_label(kind: str) -> str:
    """``side_story`` -> ``Side story``; MangaDex's own wording where it differs."""
    return LABELS.get(kind, kind.replace("_", " ").capitalize())


def direct_relations(catalogue: Catalogue) -> list[list[tuple[int, str]]]:
    """Per manga, its related titles within the catalogue as ``(index, label)``.

    Links recorded on either side count; a manga linked twice under different kinds keeps the
    first kind its own record gives. Most followed first, at most :data:`MAX_DIRECT`.
    """
    index = catalogue.index
    found: list[dict[int, str]] = [{} for _ in catalogue.manga]
    for i, manga in enumerate(catalogue.manga):
        for rel in manga.relations:
            j = index.get(rel.id)
            if j is None or j == i:
                continue
            found[i].setdefault(j, relation_label(rel.kind))
    for i, manga in enumerate(catalogue.manga):  # the other side's view, when this side has none
        for rel in manga.relations:
            j = index.get(rel.id)
            if j is not None and j != i and i not in found[j]:
                found[j][i] = "Related"
    rank = catalogue.follows_rank
    return [sorted(links.items(), key=lambda link: rank[link[0]])[:MAX_DIRECT] for links in found]


def series_ids(catalogue: Catalogue) -> np.ndarray:
    """Connected component of every manga under all its relations, shape (n_manga,), int64."""
    index, rows, cols = catalogue.index, [], []
    for i, manga in enumerate(catalogue.manga):
        for rel in manga.relations:
            j = index.get(rel.id)
            if j is not None and j != i:
                rows.append(i)
                cols.append(j)
    n = len(catalogue)
    graph = sp.csr_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n, n))
    _, labels = connected_components(graph, directed=True, connection="weak")
    return labels.astype(np.int64)


def same_series(series: np.ndarray, row: int, listed: Sequence[np.ndarray]) -> list[int]:
    """The manga among ``row``'s listed neighbours (any model) that are in its series, ascending.

    Parameters
    ----------
    series : ndarray, shape (n_manga,), from :func:`series_ids`
    row : int
    listed : sequence of ndarray of int
        The row's neighbour list under each model (negative = none).
    """
    every = np.unique(np.concatenate([np.asarray(x) for x in listed])) if listed else np.empty(0, dtype=np.int64)
    every = every[(every >= 0) & (every != row)]
    return every[series[every] == series[row]].tolist()


def same_series_block(series: np.ndarray, start: int, listed: Sequence[np.ndarray]) -> list[list[int]]:
    """:func:`same_series` for the manga ``start, start + 1, ...``, one row of ``listed`` each.

    One pass over the block of lists instead of one call a manga: at 1,000,000 manga and 12
    models, a call a manga cost minutes of the site's writing (most rows find nothing).

    Parameters
    ----------
    series : ndarray, shape (n_manga,), from :func:`series_ids`
    start : int
    listed : sequence of ndarray of int, each shape (rows, width)
        Each model's lists of those manga (negative = none); at least one.
    """
    stacked = np.concatenate([np.asarray(x) for x in listed], axis=1)
    rows = np.arange(start, start + stacked.shape[0])
    hit = (stacked >= 0) & (stacked != rows[:, None]) & (series[np.maximum(stacked, 0)] == series[rows][:, None])
    out: list[list[int]] = [[] for _ in rows]
    for r in np.flatnonzero(hit.any(axis=1)).tolist():
        out[r] = np.unique(stacked[r][hit[r]]).tolist()
    return out
