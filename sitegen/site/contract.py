"""The contract between the build and the browser: every data file the pages read, in one place.

Python writes the site's data files and the pages' scripts read them; what one side writes, the
other must expect. This module is the only place that says, for each file, where it lives, how it
is named, which version of its layout it holds and which members it has (:data:`FILES`). The
writer checks every file against it before publishing (:func:`check`), and the same facts reach
the browser as one JSON document in every page (:func:`browser_constants`), which
``static/js/site.js`` reads instead of restating: file names, versions, the content ratings, the
id pattern, the pages' addresses, the reader's library key.

Bump a file's ``version`` whenever its layout changes: a page compares the version it reads with
the one in this contract and says clearly that the site must be rebuilt when they differ.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import RenderError
from ..sources.catalogue import CONTENT_RATINGS, DEFAULT_CONTENT_RATINGS, UUID_RE

#: What a model's name may be: it becomes a folder name.
MODEL_NAME = re.compile(r"[a-z0-9_]{1,40}")

#: Where a manga's page lives on MangaDex (the id is appended).
MANGADEX_TITLE_URL = "https://mangadex.org/title/"

#: The model whose fold-in the browser uses to personalize (the feed ranks a reader's library).
FOLD_IN_MODEL = "lsi"

#: The reader's library in ``localStorage``: its key, layout version and largest size.
LIBRARY = {"key": "mangarec.library", "version": 1, "max": 1000}


#: The Content-Security-Policy of every page (a ``<meta>`` tag: GitHub Pages sets no headers).
#: ``frame-ancestors`` cannot be set from a meta tag and is left to the host.
CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",  # Plotly positions its hover boxes and legends with inline styles
    "img-src 'self' data:",  # the empty favicon and Plotly's data: images
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
))


@dataclass(frozen=True)
class Page:
    """A page of the site rendered from a template of its own."""

    key: str
    file: str
    template: str
    label: str


#: Pages with a template of their own, in menu order (Markdown pages of ``content/`` follow).
PAGES: tuple[Page, ...] = (
    Page("explore", "index.html", "explore.html", "Explore"),
    Page("maps", "plots.html", "plots.html", "Maps"),
    Page("feed", "feed.html", "feed.html", "Feed"),
)


@dataclass(frozen=True)
class DataFile:
    """One kind of data file: its path (``{n}`` for a numbered file), version and members.

    Attributes
    ----------
    path : str
        Relative to the site root; ``{n}`` stands for a number written with ``digits`` digits.
    version : int
        Layout version, written into the file as ``version``.
    members : mapping of str to type
        Top-level members every such file has, with their JSON type (``dict``, ``list``, ``int``,
        ``bool``, ``str``); ``version`` is implied.
    digits : int
        Zero-padding of ``{n}``.
    """

    path: str
    version: int
    members: Mapping[str, type]
    digits: int = 0

    def name(self, n: int | None = None, m: str | None = None) -> str:
        """The file's path, with the number (and for a per-model file the model's name) filled in."""
        path = self.path
        if "{m}" in path:
            if m is None or not MODEL_NAME.fullmatch(m):
                raise ValueError(f"{self.path} needs a model name of [a-z0-9_], got {m!r}")
            path = path.replace("{m}", m)
        if "{n}" not in path:
            return path
        if n is None or n < 0:
            raise ValueError(f"{self.path} needs a number >= 0, got {n!r}")
        return path.replace("{n}", str(n).zfill(self.digits))


#: Every data file of the site. Members are the ones the pages rely on.
FILES: dict[str, DataFile] = {
    "catalogue": DataFile("data/catalogue.json", 3, {
        "n": int, "synthetic": bool, "shard_size": int, "compare_size": int, "id_buckets": int, "k": int,
        "show": int, "tags": list, "guard_tags": list, "doujinshi": int, "models": list, "default": str,
        "facets": dict, "titles": dict}),
    # what a list shows and filters by, every manga (no ids, no alternative titles)
    "columns": DataFile("data/columns.json", 1, {"title": list, "year": list, "tags": list, "rating": list,
                                                  "lang": list, "status": list, "demo": list}),
    # the title search index (sitegen.site.titles): fragments by key, and the most followed manga
    "titles": DataFile("data/titles/{n}.json", 1, {"manga": list}, digits=3),
    "titles_top": DataFile("data/titles/top.json", 1, {"manga": list}),
    # MangaDex id -> catalogue index, by the id's first hex digits
    "ids": DataFile("data/ids/{n}.json", 1, {"ids": list, "index": list}, digits=3),
    # one pick: the manga's header, description, relations, people and the default model's list,
    # and the list columns of the other manga these name (near)
    "shard": DataFile("data/shards/{n}.json.gz", 5, {
        "start": int, "id": list, "title": list, "alt": list, "year": list, "tags": list, "rating": list,
        "status": list, "demo": list, "lang": list, "follows": list, "score": list, "desc": list, "rel": list,
        "same": list, "by": list, "list": list, "dist": list, "near": dict}, digits=4),
    # binary (sitegen.site.packed), one model a file ({m}: its name): its version is in its header
    "neighbours": DataFile("data/neighbours/{m}/{n}.bin", 2, {}, digits=4),
    "feed": DataFile("data/feed.json", 1, {"source": str, "model": dict, "items": list, "skipped": dict}),
    # the Maps page's index; its maps and manga files are binary (sitegen.site.maps), version in the header
    "projections": DataFile("data/projections.json", 3, {"methods": list, "params": dict, "manga": int,
                                                         "tags": list, "demographics": list, "models": list,
                                                         "tagmaps": dict}),
    "map": DataFile("data/maps/{n}.bin", 1, {}, digits=2),
    "map_manga": DataFile("data/maps/manga.bin.gz", 3, {}),  # gzipped by the build: hosts send .bin as is
    "models": DataFile("data/models.json", 1, {"models": list}),
    "evaluation": DataFile("data/evaluation.json", 1, {"models": dict}),
    "tag_rules": DataFile("data/tag-rules.json", 1, {"tags": dict, "rules": list}),
}

_JSON_TYPES = {dict: "an object", list: "a list", int: "a whole number", bool: "true or false", str: "text"}


def versioned(kind: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` with the contract's ``version`` for ``kind`` first."""
    return {"version": FILES[kind].version, **data}


def check(kind: str, data: Any) -> None:
    """Raise :class:`RenderError` when ``data`` is not what the contract says a ``kind`` file holds.

    A failure here is a bug in the build, caught before a page could trip over it.
    """
    spec = FILES[kind]
    if not isinstance(data, dict):
        raise RenderError(f"Data file {spec.path} must be a JSON object, got {type(data).__name__}")
    wanted = {"version": int, **spec.members}
    for member, kind_of in wanted.items():
        value = data.get(member)
        ok = isinstance(value, kind_of) and not (kind_of is int and isinstance(value, bool))
        if not ok:
            raise RenderError(f"Data file {spec.path}: member {member!r} must be {_JSON_TYPES[kind_of]}, "
                              f"got {type(value).__name__}")
    if data["version"] != spec.version:
        raise RenderError(f"Data file {spec.path}: version {data['version']}, the contract says {spec.version}")


def browser_constants() -> dict[str, Any]:
    """What the pages' scripts need to know, as one JSON-ready dict (embedded in every page)."""
    return {
        "files": {kind: {"path": f.path, "version": f.version, "digits": f.digits} for kind, f in FILES.items()},
        "pages": {p.key: p.file for p in PAGES},
        "content_ratings": list(CONTENT_RATINGS),
        "default_ratings": list(DEFAULT_CONTENT_RATINGS),
        "id_pattern": UUID_RE.pattern,
        "mangadex_title_url": MANGADEX_TITLE_URL,
        "fold_in_model": FOLD_IN_MODEL,
        "library": dict(LIBRARY),
    }
