"""One refresh of the local MangaDex snapshot: decide, crawl, checkpoint, merge, write, report.

A run goes: tags (one request, which also tells whether the API is there) -> manga pages ->
listing checked against the snapshot -> statistics -> feed -> snapshot, feed, tags and state
written atomically -> journal deleted. Pages and statistics batches are checkpointed in the
journal as they arrive, so a run that dies anywhere resumes at its last checkpoint; until the
new snapshot replaces the old one in a single rename, the old one stays whole and usable. When
the previous snapshot must stand (outage, refusal, a listing that lost much of it), :mod:`.guard`
says so and reports it stale.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from ...errors import FetchError
from ..catalogue import CONTENT_RATINGS
from .client import ApiClient, ApiRefused, ApiUnavailable
from .crawl import (
    Cursor,
    WindowExceeded,
    fetch_feed,
    fetch_statistics,
    fetch_tags,
    full_cursor,
    incremental_cursor,
    walk,
)
from .guard import ListingRejected, check_listing, fall_back
from .records import accept, attribute_time, dumps, format_since, parse_time
from .report import FetchReport, feed_path, snapshot_path, tags_path
from .snapshot import (
    JOURNAL,
    STATE,
    Journal,
    load_snapshot,
    locked,
    read_json,
    remove_stale_temps,
    write_json,
    write_snapshot,
)

if TYPE_CHECKING:
    from ...config import FetchConfig

log = logging.getLogger(__name__)
JOURNAL_VERSION = 1


def _ratings(config: FetchConfig) -> tuple[str, ...]:
    """Configured ratings in the API's canonical order, so the same set always reads the same."""
    ratings = tuple(r for r in CONTENT_RATINGS if r in config.content_ratings)
    if not ratings:
        raise FetchError("No content rating to crawl: give at least one of " + ", ".join(CONTENT_RATINGS))
    return ratings


def _iso(when: datetime) -> str:
    return when.isoformat()


class _Run:
    """The state of one refresh; see the module docstring for the order of work."""

    def __init__(self, config: FetchConfig, client: ApiClient, progress: bool):
        self.config, self.client, self.progress = config, client, progress
        self.dir = Path(config.data_dir)
        self.ratings = _ratings(config)
        self.journal = Journal(self.dir / JOURNAL)
        self.header: dict[str, Any] = {}
        self.cursor: Cursor = full_cursor(self.ratings)
        self.records: dict[str, str] = {}
        self.fetched_stats: dict[str, dict[str, Any]] = {}
        self.stats_done: set[str] = set()
        self.rejected: dict[str, str] = {}  # fingerprint of a rejected object -> reason
        self.high_water: datetime | None = None
        self.resumed = False
        self.bar: Any = None

    # -- deciding what to do --------------------------------------------------------------------
    def plan(self, state: dict[str, Any], have_snapshot: bool) -> None:
        """Resume a compatible journal, else start one for a full or incremental crawl."""
        entries = self.journal.read()
        head = entries[0].get("header") if entries else None
        if isinstance(head, dict) and self._compatible(head):
            try:
                self._replay(head, entries[1:])
                self.journal.resume()
                self.resumed = True
                log.info("resuming the interrupted %s refresh: %d manga already checkpointed",
                         head["mode"], len(self.records))
                return
            except (AttributeError, KeyError, TypeError, ValueError) as err:
                log.warning("checkpoint unusable (%s): starting afresh", err)
                self._reset()
        self._start(self._mode(state, have_snapshot), state)

    def _compatible(self, head: dict[str, Any]) -> bool:
        # A full crawl in progress also serves an incremental request (it is a superset).
        return (head.get("version") == JOURNAL_VERSION and head.get("ratings") == list(self.ratings)
                and (head.get("mode") == "full" or self.config.refresh != "full"))

    def _mode(self, state: dict[str, Any], have_snapshot: bool) -> str:
        if self.config.refresh == "full":
            return "full"
        if not have_snapshot or parse_time(state.get("high_water")) is None:
            return "full"
        if state.get("ratings") != list(self.ratings):
            log.info("content ratings changed since the last refresh: crawling everything again")
            return "full"
        return "incremental"

    def _start(self, mode: str, state: dict[str, Any]) -> None:
        now = self.client.now()
        if mode == "full":
            cursor, sweep = full_cursor(self.ratings), True
        else:
            since = parse_time(state["high_water"]) - timedelta(hours=self.config.margin_hours)
            cursor = incremental_cursor(self.ratings, format_since(since))
            swept = parse_time(state.get("stats_swept"))
            sweep = swept is None or now - swept >= timedelta(days=self.config.stats_max_age_days)
        self.header = {"version": JOURNAL_VERSION, "mode": mode, "ratings": list(self.ratings),
                       "started": _iso(now), "cursor": cursor.to_json(), "sweep": sweep,
                       "high_water": state.get("high_water") if mode == "incremental" else None}
        self.cursor = cursor
        self.journal.start(self.header)

    def _reset(self) -> None:
        self.records.clear()
        self.fetched_stats.clear()
        self.stats_done.clear()
        self.rejected.clear()
        self.high_water = None

    def _replay(self, head: dict[str, Any], entries: list[dict[str, Any]]) -> None:
        self.header = head
        parse_time(head["started"]).isoformat()  # a damaged header fails here, not later
        self.cursor = Cursor.from_json(head["cursor"])
        for entry in entries:
            if "page" in entry:
                self.cursor = Cursor.from_json(entry["page"])
                self._keep(entry["records"])
                self.rejected.update(entry["rejected"])
            elif "stats" in entry:
                self.fetched_stats.update(entry["stats"])
                self.stats_done.update(entry["ids"])

    # -- crawling -------------------------------------------------------------------------------
    def _keep(self, objects: list[Any]) -> tuple[list[str], dict[str, str]]:
        """Accept usable manga into the crawl. Returns the accepted record texts and the newly
        rejected objects (fingerprint -> reason), for the journal. Fingerprints make a bad
        object seen twice (window overlaps) count once."""
        kept, rejected = [], {}
        for obj in objects:
            reason: Counter[str] = Counter()
            got = accept(obj, reason)
            if got is None:
                mark = hashlib.sha256(dumps(obj).encode("utf-8")).hexdigest()[:20]
                if mark not in self.rejected:
                    self.rejected[mark] = rejected[mark] = next(iter(reason))
                continue
            self.records[got[0]] = got[1]
            kept.append(got[1])
            updated = attribute_time(obj, "updatedAt")
            if updated is not None and (self.high_water is None or updated > self.high_water):
                self.high_water = updated
        return kept, rejected

    def _on_page(self, cursor: Cursor, data: list[Any], total: int) -> None:
        before, offset = len(self.records), self.cursor.offset
        kept, rejected = self._keep(data)
        # Record texts are already JSON: splice them in rather than encode every manga twice.
        self.journal.append(f'{{"page":{dumps(cursor.to_json())},"rejected":{dumps(rejected)},'
                            f'"records":[{",".join(kept)}]}}')
        self.cursor = cursor
        if self.bar is not None:
            self.bar.total = len(self.records) + max(0, total - offset - len(data))
            self.bar.update(len(self.records) - before)
            self.bar.set_postfix(requests=self.client.counters.requests, refresh=False)

    def crawl(self) -> None:
        """Walk the manga list from the cursor to its end, checkpointing every page."""
        if self.cursor.done:
            return
        try:
            self._walk()
        except WindowExceeded as why:
            log.info("%s: more than one result window holds; crawling everything instead", why)
            self._reset()
            self._start("full", {})
            self._walk()

    def _walk(self) -> None:
        self.bar = tqdm(desc="MangaDex manga", unit="manga", initial=len(self.records),
                        disable=not self.progress, dynamic_ncols=True, leave=False)
        try:
            walk(self.client, self.cursor, self.config.result_window, self._on_page)
        finally:
            self.bar.close()
            self.bar = None

    def check(self, old: dict[str, str], state: dict[str, Any]) -> None:
        """Refuse a full listing that would lose much of the snapshot (see :mod:`.guard`),
        resumed or not. A refused crawl is discarded: resuming it would only refuse it again,
        where a fresh run may find the API mended."""
        if self.header["mode"] != "full":
            return  # an incremental run only adds to the snapshot, it cannot shrink it
        try:
            check_listing(old, self.records, self.ratings, state.get("ratings"),
                          allow=self.config.allow_shrink, api_url=self.config.api_url)
        except FetchError:
            self.journal.remove()
            raise

    def statistics(self, old: dict[str, str]) -> None:
        """Fetch statistics for new and changed manga (all of them on a full crawl or a sweep)."""
        if self.header["mode"] == "full" or self.header["sweep"]:
            wanted = set(self.records) | (set(old) if self.header["mode"] == "incremental" else set())
        else:
            wanted = {i for i, text in self.records.items() if old.get(i) != text}
        todo = sorted(wanted - self.stats_done)
        bar = tqdm(total=len(todo), desc="MangaDex statistics", unit="manga",
                   disable=not self.progress or not todo, dynamic_ncols=True, leave=False)

        def on_batch(ids: list[str], found: dict[str, Any]) -> None:
            self.journal.append({"stats": found, "ids": ids})
            self.fetched_stats.update(found)
            self.stats_done.update(ids)
            bar.update(len(ids))
            bar.set_postfix(requests=self.client.counters.requests, refresh=False)

        try:
            fetch_statistics(self.client, todo, on_batch)
        finally:
            bar.close()

    # -- finishing ------------------------------------------------------------------------------
    def merge(self, old: dict[str, str], old_stats: dict[str, Any]
              ) -> tuple[dict[str, str], dict[str, Any], dict[str, int]]:
        """The new snapshot's records and statistics, and the counts for the report."""
        merged = dict(old) if self.header["mode"] == "incremental" else {}
        merged.update(self.records)
        stats = {i: s for i in merged if (s := self.fetched_stats.get(i) or old_stats.get(i)) is not None}
        new = sum(1 for i in self.records if i not in old)
        updated = sum(1 for i, text in self.records.items() if i in old and old[i] != text)
        counts = {"total": len(merged), "new": new, "updated": updated,
                  "unchanged": len(merged) - new - updated, "removed": len(old.keys() - merged.keys()),
                  "skipped": len(self.rejected)}
        if self.rejected:
            reasons = Counter(self.rejected.values())
            log.warning("skipped %d unusable manga object(s) from the API: %s", len(self.rejected),
                        ", ".join(f"{n} {why}" for why, n in sorted(reasons.items())))
        return merged, stats, counts

    def next_high_water(self, state: dict[str, Any]) -> str | None:
        """Newest updatedAt seen, never later than the run's start on the server's clock (a
        manga updated mid-crawl, or a bogus future date, must not push the next window past
        changes not yet seen)."""
        marks = [self.high_water]
        if self.header["mode"] == "incremental":
            marks.append(parse_time(self.header.get("high_water") or state.get("high_water")))
        marks = [m for m in marks if m is not None]
        if not marks:
            return state.get("high_water")
        return _iso(min(max(marks), parse_time(self.header["started"])))

    def feed(self, stats: dict[str, Any]) -> dict[str, Any]:
        """The feed document, statistics merged from the snapshot where known."""
        objects = fetch_feed(self.client, self.ratings, tuple(self.config.feed_languages),
                             self.config.feed_size, self.config.result_window)
        manga = []
        for obj in objects:
            got = accept(obj, Counter())
            if got is not None:
                clean = {k: v for k, v in obj.items() if k != "statistics"}
                if got[0] in stats:
                    clean["statistics"] = stats[got[0]]
                manga.append(clean)
        return {"taken_at": _iso(self.client.now()), "languages": list(self.config.feed_languages),
                "manga": manga}


def _execute(config: FetchConfig, client: ApiClient, progress: bool, t0: float) -> FetchReport:
    data_dir = Path(config.data_dir)
    state = read_json(data_dir / STATE)
    state = state if isinstance(state, dict) else {}
    old, old_stats = load_snapshot(snapshot_path(config))
    run = _Run(config, client, progress)
    tags = fetch_tags(client)  # first: cheap, and proves the API is there before any planning
    try:
        run.plan(state, bool(old))
        run.crawl()
        run.check(old, state)
        run.statistics(old)
        merged, stats, counts = run.merge(old, old_stats)
        feed = run.feed(stats)
    finally:
        run.journal.close()
    if counts["new"] or counts["updated"] or counts["removed"] or stats != old_stats \
            or not snapshot_path(config).exists():
        write_snapshot(snapshot_path(config), merged, stats)
    # else: the same content would give the same bytes; leave the file alone
    write_json(feed_path(config), feed, gz=True)
    write_json(tags_path(config), tags)
    now = _iso(client.now())
    swept_all = run.header["mode"] == "full" or run.header["sweep"]
    swept = run.header["started"] if swept_all else state.get("stats_swept")
    write_json(data_dir / STATE, {"version": JOURNAL_VERSION, "ratings": list(run.ratings),
                                  "high_water": run.next_high_water(state), "stats_swept": swept,
                                  "finished": now, "manga": counts["total"]})
    run.journal.remove()
    c = client.counters
    report = FetchReport(snapshot=snapshot_path(config), feed=feed_path(config), mode=run.header["mode"],
                         requests=c.requests, retries=c.retries, rate_limited=c.rate_limited,
                         rate_limit_wait=c.rate_limit_wait, seconds=time.monotonic() - t0,
                         resumed=run.resumed, **counts)
    return report  # the caller logs report.summary(), once


def refresh(config: FetchConfig, *, progress: bool = True) -> FetchReport:
    """Bring the snapshot in ``config.data_dir`` up to date with the API and report.

    Parameters
    ----------
    config
        Where the API and the data directory are, and how politely to crawl.
    progress
        Show tqdm progress bars (records of the API's total, requests, ETA).

    Returns
    -------
    FetchReport
        Counts and figures; ``stale=True`` when the previous snapshot is used instead (the API
        was unavailable or refused a request, or a full listing would lose much of the
        snapshot; a warning is logged). Its summary line is for the caller to log.

    Raises
    ------
    FetchError
        When the refresh cannot be used and there is no snapshot to fall back on (the message
        names ``--demo``), or the data directory cannot be used.
    KeyboardInterrupt
        Passed on after the checkpoint is safe; the next run resumes.
    """
    t0 = time.monotonic()
    data_dir = Path(config.data_dir)
    try:
        with locked(data_dir):
            remove_stale_temps(data_dir)
            return _refresh_locked(config, progress, t0)
    except OSError as err:  # the HTTP client turns its own OSErrors into FetchErrors
        raise FetchError(
            f"Cannot use the data directory {data_dir} ({err.strerror or err}): check its "
            "permissions and free space, or choose another --data-dir"
        ) from None


def _refresh_locked(config: FetchConfig, progress: bool, t0: float) -> FetchReport:
    client = ApiClient(config.api_url, rate=config.rate, timeout=config.timeout,
                       max_retries=config.max_retries, backoff_cap=config.backoff_cap)
    try:
        return _execute(config, client, progress, t0)
    except (ApiUnavailable, ApiRefused, ListingRejected) as err:
        return fall_back(config, client.counters, err, time.monotonic() - t0)
    except KeyboardInterrupt:
        log.warning("refresh interrupted: progress is checkpointed in %s; the next run resumes",
                    config.data_dir)
        raise
    finally:
        client.close()
