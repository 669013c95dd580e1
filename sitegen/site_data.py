"""What the browser reads: the compact catalogue index and the neighbour shards, as plain data.

Everything here is pure (records in, JSON-ready dicts out); :mod:`sitegen.render` writes it.
Manga are referred to by their integer index into the catalogue index, which keeps shards small.
Titles and tags stay untrusted text in JSON (the pages insert them as text, never as HTML);
descriptions are the one field shown as HTML, so they are rendered from Markdown and sanitized
here with an allowlist.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

import markdown
import nh3

from .catalogue import Catalogue
from .neighbours import Neighbours

CONTENT_RATINGS = ("safe", "suggestive", "erotica", "pornographic")
ALLOWED_TAGS = {"p", "br", "em", "strong", "ul", "ol", "li", "a", "hr", "blockquote", "code"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}


@dataclass(frozen=True)
class ModelInfo:
    """What the site says about a fitted model."""

    name: str
    label: str
    summary: str
    metric: str
    method: str


def sanitize_description(text: str) -> str:
    """Markdown description to safe HTML: an allowlist of tags, http(s) links only, no scripts.

    MangaDex descriptions mix Markdown and BBCode-ish markup; raw HTML in them is never trusted.
    """
    if not text:
        return ""
    html = markdown.markdown(text, output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https"},
        link_rel="nofollow noopener noreferrer",
    ).strip()


def _rounded(value: float | None, digits: int = 2) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(value, digits)


def catalogue_index(catalogue: Catalogue, models: Sequence[ModelInfo], shard_size: int, k: int) -> dict[str, Any]:
    """The compact index the explore page searches: column arrays, one entry per manga.

    Returns
    -------
    dict
        ``tags`` (name, group per column), ``models``, ``shard_size``, ``k``, ``synthetic``, and
        ``manga`` with parallel lists ``id``, ``title``, ``alt``, ``tags`` (column indices),
        ``year``, ``status``, ``rating`` (index into ``content_ratings``), ``score``
        (bayesian rating), ``follows``, ``lang``.
    """
    cr_code = {c: i for i, c in enumerate(CONTENT_RATINGS)}
    manga = catalogue.manga
    return {
        "version": 1,
        "synthetic": catalogue.synthetic,
        "shard_size": shard_size,
        "k": k,
        "content_ratings": list(CONTENT_RATINGS),
        "tags": [{"name": t.name, "group": t.group} for t in catalogue.tags],
        "models": [{"name": m.name, "label": m.label, "summary": m.summary, "metric": m.metric} for m in models],
        "manga": {
            "id": [m.id for m in manga],
            "title": [m.title for m in manga],
            "alt": [list(m.alt_titles) for m in manga],
            "tags": catalogue.tag_lists,
            "year": [m.year for m in manga],
            "status": [m.status for m in manga],
            "rating": [cr_code.get(m.content_rating, 0) for m in manga],
            "score": [_rounded(m.bayesian) for m in manga],
            "follows": [m.follows for m in manga],
            "lang": [m.original_language for m in manga],
        },
    }


def shards(catalogue: Catalogue, neighbours: Sequence[Neighbours], shard_size: int) -> Iterator[tuple[int, dict[str, Any]]]:
    """Neighbour shards: manga ``[start, start + shard_size)`` under every model.

    Yields
    ------
    (shard number, dict)
        ``start``, ``models`` ({name: {"idx": rows of indices, "dist": rows of distances}}) and
        ``desc`` (sanitized description HTML per manga).
    """
    n = len(catalogue)
    for number, start in enumerate(range(0, n, shard_size)):
        stop = min(n, start + shard_size)
        yield number, {
            "start": start,
            "models": {
                nb.model: {
                    "idx": nb.indices[start:stop].tolist(),
                    "dist": [[round(float(d), 4) for d in row] for row in nb.distances[start:stop]],
                }
                for nb in neighbours
            },
            "desc": [sanitize_description(m.description) for m in catalogue.manga[start:stop]],
        }
