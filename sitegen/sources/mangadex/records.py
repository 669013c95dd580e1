"""Manga records as the crawler handles them: validated, keyed by id, kept as compact JSON.

A record is held as the compact JSON text of the manga object exactly as the API sent it, minus
any ``statistics`` member; statistics are held apart and spliced in when the snapshot is written.
Text is far lighter than nested dicts for a catalogue of ~100k manga, and comparing two texts
tells whether a manga changed.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from ..catalogue import UUID_RE, BadRecord, parse_manga

PAGE = 100  # the API's largest page (limit)
STATS_BATCH = 100  # ids per GET /statistics/manga
SINCE_FORMAT = "%Y-%m-%dT%H:%M:%S"  # what createdAtSince / updatedAtSince accept: UTC, no zone
ONE_SECOND = timedelta(seconds=1)


def dumps(obj: Any) -> str:
    """Compact, key-order-preserving JSON on one line."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def is_uuid(value: Any) -> bool:
    """True for a lowercase canonical UUID string (safe in URLs and file names)."""
    return isinstance(value, str) and bool(UUID_RE.fullmatch(value))  # match() lets "id\n" through


def parse_time(value: Any) -> datetime | None:
    """A MangaDex timestamp (``2020-10-11T12:58:14+00:00``) as UTC, to the second; else None."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).replace(microsecond=0)


def format_since(when: datetime) -> str:
    """The ``...Since`` query value for a UTC time."""
    return when.astimezone(UTC).strftime(SINCE_FORMAT)


def parse_since(value: str) -> datetime:
    """Inverse of :func:`format_since`."""
    return datetime.strptime(value, SINCE_FORMAT).replace(tzinfo=UTC)


def attribute_time(obj: Any, field: str) -> datetime | None:
    """``attributes[field]`` of a raw manga object as a time, or None when absent or malformed."""
    attrs = obj.get("attributes") if isinstance(obj, dict) else None
    return parse_time(attrs.get(field)) if isinstance(attrs, dict) else None


def accept(obj: Any, skipped: Counter[str]) -> tuple[str, str] | None:
    """``(id, record text)`` for a usable manga object; None (counted by reason) otherwise.

    Usable means :func:`sitegen.sources.catalogue.parse_manga` accepts it, so the snapshot never holds a
    line the loader would reject, and ids are known-good UUIDs before they reach a URL.
    """
    try:
        parse_manga(obj, {})
    except BadRecord as bad:
        skipped[bad.reason] += 1
        return None
    clean = {k: v for k, v in obj.items() if k != "statistics"}
    return clean["id"], dumps(clean)


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def statistics_entry(value: Any) -> dict[str, Any] | None:
    """``{follows, rating: {average, bayesian}}`` from one ``/statistics/manga`` entry, or None."""
    if not isinstance(value, dict):
        return None
    follows = value.get("follows")
    rating = value.get("rating") if isinstance(value.get("rating"), dict) else {}
    follows = follows if isinstance(follows, int) and not isinstance(follows, bool) else None
    return {
        "follows": max(0, follows) if follows is not None else 0,
        "rating": {"average": _finite(rating.get("average")), "bayesian": _finite(rating.get("bayesian"))},
    }


def statistics_map(body: Any) -> dict[str, dict[str, Any]]:
    """Id -> statistics from a ``/statistics/manga`` answer; entries with bad ids are dropped."""
    stats = body.get("statistics") if isinstance(body, dict) else None
    if not isinstance(stats, dict):
        return {}
    out = {}
    for key, value in stats.items():
        entry = statistics_entry(value)
        if is_uuid(key) and entry is not None:
            out[key] = entry
    return out


def with_statistics(record: str, stats: dict[str, Any] | None) -> str:
    """The record's text with a top-level ``statistics`` member appended (when there are any)."""
    if stats is None:
        return record
    # A record is a JSON object with at least an id, so it ends in "}" and needs a comma.
    return f'{record[:-1]},"statistics":{dumps(stats)}}}'


def check_collection(body: Any) -> None:
    """Raise ValueError unless ``body`` is a collection answer (``data`` list, integer ``total``)."""
    if not isinstance(body, dict) or body.get("result", "ok") != "ok":
        raise ValueError("not a successful collection")
    if not isinstance(body.get("data"), list):
        raise ValueError("no data list")
    total = body.get("total", 0)
    if isinstance(total, bool) or not isinstance(total, int) or total < 0:
        raise ValueError("no usable total")


def check_statistics(body: Any) -> None:
    """Raise ValueError unless ``body`` is a statistics answer."""
    if not isinstance(body, dict) or not isinstance(body.get("statistics"), (dict, list)):
        raise ValueError("no statistics object")
