"""The feed page's data: recent updates and the model that re-ranks them in the reader's browser.

Pure: manga records in, a JSON-ready dict out (:mod:`sitegen.build` reads the files and writes
``data/feed.json``). The items come from the MangaDex feed snapshot fetched with the catalogue
(:func:`snapshot_feed`, in the API's order: latest uploaded chapter first) or, for the demo and
catalogue-file sources, from the catalogue's most recently updated manga (:func:`catalogue_feed`),
so the page works offline.

The page personalizes with LSI's fold-in: a tag set ``q`` (a row of tag counts, shape
(n_tags,)) becomes ``q_k = S_k^-1 V_k^T tfidf(q)`` with ``tfidf(q)_t = q_t / sum(q) * idf_t``,
exactly :meth:`sitegen.models.lsi.LSI.transform`. The JSON carries ``idf`` (n_tags,) and the
projection ``V_k / S_k`` (n_tags, rank), so the browser folds in any tag set with one product.

Every field of a feed object is untrusted: an item that cannot be used is skipped and counted
by reason, never fatal. Titles stay text in JSON; the page inserts them with ``textContent``.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ModelError
from ..sources.catalogue import UUID_RE, BadRecord, Catalogue, Manga, parse_manga
from ..sources.mangadex.records import parse_time
from .contract import versioned

if TYPE_CHECKING:
    from ..models.lsi import LSI

log = logging.getLogger(__name__)

DIGITS = 6  # significant digits of the model's numbers: cosines agree with LSI to ~1e-6
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8}){0,2}$")  # MangaDex codes: en, pt-br, ja-ro


def _significant(values: np.ndarray, digits: int = DIGITS) -> list:
    """Nested lists of floats rounded to ``digits`` significant digits (``-0.0`` becomes 0).

    Significant rather than fixed decimals: the projection's entries span orders of magnitude
    (``1 / S_k`` grows for the weak directions), and fixed decimals would erase the small ones.
    """
    if values.ndim > 1:
        return [_significant(row, digits) for row in values]
    return [float(f"{float(x):.{digits}g}") + 0.0 for x in values]


def personalization_model(lsi: LSI, n_tags: int) -> dict[str, Any]:
    """LSI's fold-in as data: ``idf`` (n_tags,) and ``projection = V_k / S_k`` (n_tags, rank).

    Parameters
    ----------
    lsi : LSI
        Fitted on the catalogue whose tag columns the feed items use.
    n_tags : int
        Columns of that catalogue's tag vocabulary, checked against the model.

    Raises
    ------
    ModelError
        When the model was fitted on another vocabulary.
    """
    components = np.asarray(lsi.components_, dtype=np.float64)  # V_k, (n_tags, rank)
    if components.shape[0] != n_tags or len(lsi.idf_) != n_tags:
        raise ModelError(
            f"The LSI model has {components.shape[0]} tag columns but the catalogue has {n_tags}: "
            "fit it on the catalogue being built"
        )
    projection = components / np.asarray(lsi.singular_values_, dtype=np.float64)[None, :]
    return {
        "name": lsi.name,
        "rank": int(components.shape[1]),
        "idf": _significant(np.asarray(lsi.idf_, dtype=np.float64)),
        "projection": _significant(projection),
    }


def _when(value: str) -> datetime | None:
    return parse_time(value) if value else None


def feed_item(manga: Manga, catalogue: Catalogue) -> dict[str, Any]:
    """One feed item as the page reads it.

    Returns
    -------
    dict
        ``id``, ``title``, ``tags`` (ascending catalogue tag columns; tags the catalogue does not
        know are dropped), ``updatedAt`` (UTC, ``YYYY-MM-DDTHH:MM:SSZ``), ``contentRating`` and
        ``index`` (row in ``catalogue.json``, or None when the manga is not in the catalogue).

    Raises
    ------
    BadRecord
        When the id, title, update time or content rating cannot be used.
    """
    if not UUID_RE.fullmatch(manga.id):
        raise BadRecord("id not a UUID")
    if not manga.title:
        raise BadRecord("no title")
    when = _when(manga.updated_at)
    if when is None:
        raise BadRecord("no updatedAt")
    columns = catalogue.tag_index
    return {
        "id": manga.id,
        "title": manga.title,
        "tags": sorted(columns[t] for t in manga.tag_ids if t in columns),
        "updatedAt": when.strftime(TIME_FORMAT),
        "contentRating": manga.content_rating,
        "index": catalogue.index.get(manga.id),
    }


def _items(candidates: Iterable[Manga], catalogue: Catalogue, size: int,
           skipped: Counter[str]) -> list[dict[str, Any]]:
    """The first ``size`` usable candidates as items; the unusable ones counted in ``skipped``."""
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    for manga in candidates:
        if len(items) == size:
            break
        if manga.id in seen:
            skipped["duplicate id"] += 1
            continue
        try:
            items.append(feed_item(manga, catalogue))
        except BadRecord as bad:
            skipped[bad.reason] += 1
            continue
        seen.add(manga.id)
    return items


def _document(items: list[dict[str, Any]], model: dict[str, Any], *, source: str, taken_at: str | None,
              languages: Sequence[str], skipped: Counter[str]) -> dict[str, Any]:
    for reason, n in sorted(skipped.items()):
        log.warning("feed: skipped %d item(s): %s", n, reason)
    return versioned("feed", {
        "source": source,
        "taken_at": taken_at,
        "languages": list(languages),
        "model": model,
        "items": items,
        "skipped": dict(sorted(skipped.items())),
    })


def catalogue_feed(catalogue: Catalogue, lsi: LSI, size: int) -> dict[str, Any]:
    """The feed of an offline build: the catalogue's ``size`` most recently updated manga.

    Newest first, ties by id. The feed was "taken" at the newest ``updatedAt``, never the wall
    clock, so that the same catalogue builds the same bytes.

    Returns
    -------
    dict
        ``version``, ``source`` ("catalogue"), ``taken_at``, ``languages`` (empty), ``model``
        (:func:`personalization_model`), ``items`` (:func:`feed_item`) and ``skipped``
        (reason -> count; manga without a usable ``updatedAt`` cannot be placed in time).
    """
    skipped: Counter[str] = Counter()
    dated = []
    for manga in catalogue.manga:
        when = _when(manga.updated_at)
        if when is None:
            skipped["no updatedAt"] += 1
        else:
            dated.append((when, manga))
    # Two stable sorts: newest first, equal times in id order.
    dated.sort(key=lambda wm: wm[1].id)
    dated.sort(key=lambda wm: wm[0], reverse=True)
    items = _items((m for _, m in dated), catalogue, size, skipped)
    taken_at = items[0]["updatedAt"] if items else None
    model = personalization_model(lsi, len(catalogue.tags))
    return _document(items, model, source="catalogue", taken_at=taken_at, languages=(), skipped=skipped)


def snapshot_feed(catalogue: Catalogue, lsi: LSI, feed: dict[str, Any], size: int) -> dict[str, Any]:
    """The feed of a MangaDex build, from :func:`sitegen.sources.mangadex.load_feed`'s document.

    Items keep the feed's order (the API's ``latestUploadedChapter``, newest first): a manga's
    ``updatedAt`` changes with its metadata, not with its chapters, so it cannot re-sort them.

    Parameters
    ----------
    feed : dict
        ``{"taken_at", "languages", "manga": [MangaDex manga objects]}``; all untrusted.
    size : int
        Most items kept, from the top of the feed.

    Returns
    -------
    dict
        As :func:`catalogue_feed`, with ``source`` "mangadex"; an unusable ``taken_at`` falls back
        to the newest item's ``updatedAt``.
    """
    skipped: Counter[str] = Counter()
    objects = feed.get("manga") if isinstance(feed.get("manga"), list) else []
    parsed = []
    for obj in objects:
        try:
            parsed.append(parse_manga(obj, {}))  # feed tags outside the catalogue are dropped later
        except BadRecord as bad:
            skipped[bad.reason] += 1
    items = _items(parsed, catalogue, size, skipped)
    taken = feed.get("taken_at")
    when = parse_time(taken) if isinstance(taken, str) else None
    if when is not None:
        taken_at: str | None = when.strftime(TIME_FORMAT)
    else:
        taken_at = max((i["updatedAt"] for i in items), default=None)
    raw_languages = feed.get("languages")
    languages = sorted({x for x in raw_languages if isinstance(x, str) and LANGUAGE_RE.match(x)}) \
        if isinstance(raw_languages, list) else []
    model = personalization_model(lsi, len(catalogue.tags))
    return _document(items, model, source="mangadex", taken_at=taken_at, languages=languages, skipped=skipped)
