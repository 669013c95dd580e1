"""What is asked of the API: the manga list past the result window, statistics, feed and tags.

The full crawl walks ``GET /manga`` in ``createdAt`` order, ascending, 100 at a time. The API
refuses ``offset + limit`` beyond its result window (10,000), so when a window is used up the
crawl starts a new one at ``createdAtSince`` = the last manga's second, minus one second:

* new manga are created at the end of that order, so offsets within a window stay put;
* the one-second step back makes the new window overlap the old one, whatever the API's
  ``createdAtSince`` does at the boundary (``>=`` or ``>``). Manga seen twice are merged by
  id, so a boundary shared by any number of manga (bulk imports) loses and repeats nothing;
* a window that cannot move forward (a whole window of manga inside two seconds) is split by
  content rating, each walked on its own; only a single rating with more than a window's worth
  in one second is beyond the API's reach, and that is logged loudly, never looped on.

The incremental crawl asks for ``updatedAtSince`` in ``updatedAt`` order, newest first, so a
manga updated during the walk moves to pages already read (and is caught by the next run) rather
than shifting an unread manga past us. If more changed than one window holds, the caller falls
back to a full crawl.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from .client import ApiClient
from .records import (
    ONE_SECOND,
    PAGE,
    STATS_BATCH,
    attribute_time,
    check_collection,
    check_statistics,
    format_since,
    is_uuid,
    parse_since,
    statistics_map,
)

log = logging.getLogger(__name__)

Stream = tuple[tuple[str, ...], "str | None"]
#: Authors' and artists' names come with each manga at no extra request (the API expands the
#: relationships in place), so Explore can show them and offer "More by".
INCLUDES = [("includes[]", "author"), ("includes[]", "artist")]


class WindowExceeded(Exception):
    """More manga changed than one result window holds: an incremental walk cannot see them all."""


@dataclass(frozen=True)
class Cursor:
    """Where a walk of ``GET /manga`` stands; saved with every checkpoint.

    ``field`` is createdAt (full crawl, ascending) or updatedAt (incremental, descending);
    ``since`` the current window's ``...Since`` value; ``queue`` the streams (ratings, since)
    still to walk after this one, when a stuck window was split by content rating.
    """

    field: str
    since: str | None
    ratings: tuple[str, ...]
    offset: int = 0
    queue: tuple[Stream, ...] = ()
    done: bool = False

    @property
    def order(self) -> str:
        return "asc" if self.field == "createdAt" else "desc"

    def params(self) -> list[tuple[str, str]]:
        """The query of the next page."""
        params = [("limit", str(PAGE)), ("offset", str(self.offset)), (f"order[{self.field}]", self.order)]
        params += [("contentRating[]", r) for r in self.ratings] + INCLUDES
        if self.since is not None:
            params.append((f"{self.field}Since", self.since))
        return params

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "since": self.since, "ratings": list(self.ratings),
                "offset": self.offset, "queue": [[list(r), s] for r, s in self.queue], "done": self.done}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Cursor:
        """Rebuild a saved cursor; raises ValueError (or KeyError/TypeError) when it is damaged."""
        cursor = cls(
            field=obj["field"], since=obj["since"], ratings=tuple(obj["ratings"]),
            offset=int(obj["offset"]), queue=tuple((tuple(r), s) for r, s in obj["queue"]),
            done=bool(obj["done"]),
        )
        if cursor.field not in ("createdAt", "updatedAt") or cursor.offset < 0 or not cursor.ratings:
            raise ValueError("bad cursor")
        for since in [cursor.since, *(s for _, s in cursor.queue)]:
            if since is not None:
                parse_since(since)
        return cursor


def full_cursor(ratings: tuple[str, ...]) -> Cursor:
    """The start of a complete crawl."""
    return Cursor(field="createdAt", since=None, ratings=ratings)


def incremental_cursor(ratings: tuple[str, ...], since: str) -> Cursor:
    """The start of a walk over what changed since ``since``."""
    return Cursor(field="updatedAt", since=since, ratings=ratings)


def _next_stream(cursor: Cursor) -> Cursor:
    if not cursor.queue:
        return replace(cursor, done=True)
    (ratings, since), *rest = cursor.queue
    return replace(cursor, ratings=ratings, since=since, offset=0, queue=tuple(rest))


def _stuck(cursor: Cursor, last: Any) -> Cursor:
    """A whole window fits in two seconds: split by rating, or (one rating) step past the gap."""
    if len(cursor.ratings) > 1:
        log.info("a whole result window shares createdAt %s: walking each content rating apart", cursor.since)
        rest = tuple(((r,), cursor.since) for r in cursor.ratings[1:])
        return replace(cursor, ratings=cursor.ratings[:1], offset=0, queue=rest + cursor.queue)
    base = last if last is not None else parse_since(cursor.since) if cursor.since else None
    if base is None:
        log.error("the API's manga carry no usable %s: cannot page past its result window", cursor.field)
        return _next_stream(cursor)
    log.error(
        "more manga rated %s were created around %s than the API's result window lets anyone "
        "page through: some of them are missing from the snapshot", cursor.ratings[0], cursor.since,
    )
    return replace(cursor, since=format_since(base + ONE_SECOND), offset=0)


def advance(cursor: Cursor, data: list[Any], total: int, window: int) -> Cursor:
    """The cursor after a page of ``data`` out of ``total`` matches.

    Raises
    ------
    WindowExceeded
        When a descending (incremental) walk has more matches than one window holds.
    """
    count = len(data)
    # The reported total ends a stream, not a short page: a server may cap pages below the
    # limit asked for. An empty page ends it too, so a total that lies cannot loop us.
    if count == 0 or cursor.offset + count >= total:
        return _next_stream(cursor)
    if cursor.order == "desc" and total > window:
        raise WindowExceeded(f"{total} manga changed since {cursor.since}")
    if cursor.offset + count + PAGE <= window:
        return replace(cursor, offset=cursor.offset + count)
    times = [t for t in (attribute_time(obj, cursor.field) for obj in data) if t is not None]
    last = max(times) if times else None
    if last is None:
        return _stuck(cursor, None)
    since = last - ONE_SECOND
    if cursor.since is not None and since <= parse_since(cursor.since):
        return _stuck(cursor, last)
    return replace(cursor, since=format_since(since), offset=0)


PageHook = Callable[[Cursor, list[Any], int], None]


def walk(client: ApiClient, cursor: Cursor, window: int, on_page: PageHook) -> Cursor:
    """Fetch pages until the cursor is done, handing each page and the cursor after it to
    ``on_page`` (which checkpoints them) before the next request."""
    while not cursor.done:
        body = client.get_json("/manga", cursor.params(), check=check_collection)
        data, total = body["data"], body.get("total", 0)
        cursor = advance(cursor, data, total, window)
        on_page(cursor, data, total)
    return cursor


def fetch_statistics(client: ApiClient, ids: list[str],
                     on_batch: Callable[[list[str], dict[str, Any]], None]) -> None:
    """``GET /statistics/manga`` for ``ids`` (valid UUIDs only) in batches of 100."""
    ids = [i for i in ids if is_uuid(i)]
    for start in range(0, len(ids), STATS_BATCH):
        batch = ids[start : start + STATS_BATCH]
        body = client.get_json("/statistics/manga", [("manga[]", i) for i in batch], check=check_statistics)
        on_batch(batch, statistics_map(body))


def fetch_feed(client: ApiClient, ratings: tuple[str, ...], languages: tuple[str, ...],
               size: int, window: int) -> list[Any]:
    """The ``size`` most recently updated manga with chapters in ``languages`` (raw objects)."""
    size = min(size, window)
    found: list[Any] = []
    while len(found) < size:
        limit = min(PAGE, size - len(found))
        params = [("limit", str(limit)), ("offset", str(len(found))),
                  ("order[latestUploadedChapter]", "desc"), ("hasAvailableChapters", "true")]
        params += [("availableTranslatedLanguage[]", lang) for lang in languages]
        params += [("contentRating[]", r) for r in ratings] + INCLUDES
        body = client.get_json("/manga", params, check=check_collection)
        found.extend(body["data"])
        if not body["data"] or len(found) >= body.get("total", 0) or len(found) + PAGE > window:
            break
    return found[:size]


def fetch_tags(client: ApiClient) -> list[dict[str, Any]]:
    """The tag vocabulary, ``GET /manga/tag``; tags without a UUID id are dropped."""
    body = client.get_json("/manga/tag", check=check_collection)
    return [t for t in body["data"] if isinstance(t, dict) and is_uuid(t.get("id"))]
