"""Fetch MangaDex's public catalogue into a local snapshot: complete, polite, incremental, durable.

``refresh(config)`` crawls (or, on later runs, updates) ``<data_dir>/catalogue.jsonl.gz``, a
catalogue file :func:`sitegen.sources.catalogue.load_catalogue` reads: one manga object per line as
``GET /manga`` returns it, plus a ``statistics`` member. Beside it: ``feed.json.gz`` (recently
updated manga, see :func:`load_feed`), ``tags.json`` (the tag vocabulary), ``state.json``
(high-water mark) and, while a crawl is unfinished, its checkpoint journal.

Modules: :mod:`.client` (HTTP, rate limit, retries), :mod:`.crawl` (what is asked of the API),
:mod:`.records` (validating and holding manga), :mod:`.snapshot` (files, atomic writes,
journal), :mod:`.refresh` (one run, end to end), :mod:`.guard` (when the previous snapshot
stands: outages, refusals, listings that would lose much of it), :mod:`.report` (paths, report,
feed reader).
"""

from .client import USER_AGENT, ApiRefused, ApiUnavailable
from .refresh import refresh
from .report import FetchReport, feed_path, load_feed, snapshot_path, tags_path

__all__ = [
    "USER_AGENT",
    "ApiRefused",
    "ApiUnavailable",
    "FetchReport",
    "feed_path",
    "load_feed",
    "refresh",
    "snapshot_path",
    "tags_path",
]
