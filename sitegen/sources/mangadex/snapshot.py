"""Files in the data directory: atomic writes, the snapshot, the run state and the crawl journal.

Nothing here is ever half-written where a reader could mistake it for whole:

* the snapshot, feed, tags and state are written to a temporary file in the same directory,
  fsynced, then renamed over the old file (``os.replace`` is atomic on POSIX and Windows);
* the crawl journal is append-only: one JSON line per checkpoint, fsynced. A line torn by a
  kill or power cut is recognised on the next run (no newline, or not JSON) and cut off, so a
  checkpoint is either entirely there or not there at all.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import logging
import os
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ...errors import CatalogueError, FetchError
from ..catalogue import read_lines
from .records import dumps, is_uuid, with_statistics

log = logging.getLogger(__name__)

SNAPSHOT = "catalogue.jsonl.gz"
FEED = "feed.json.gz"
TAGS = "tags.json"
STATE = "state.json"
JOURNAL = "crawl.journal.jsonl"
LOCK = ".fetch.lock"
_TMP_SUFFIX = ".tmp"
SYNC_EVERY = 1.0  # seconds between journal fsyncs


def _fsync_dir(directory: Path) -> None:
    """Make a rename durable (POSIX); harmless where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(path: Path, chunks: Iterable[bytes], *, gz: bool = False) -> None:
    """Write ``chunks`` to ``path`` all at once or not at all (temp file, fsync, rename).

    With ``gz`` the file is gzipped deterministically (no name, mtime 0), so the same content
    always gives the same bytes.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=_TMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as raw:
            if gz:
                with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as z:
                    for chunk in chunks:
                        z.write(chunk)
            else:
                for chunk in chunks:
                    raw.write(chunk)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def write_json(path: Path, obj: Any, *, gz: bool = False) -> None:
    """Write one JSON document atomically."""
    write_atomic(path, [json.dumps(obj, ensure_ascii=False, indent=1).encode("utf-8")], gz=gz)


def read_json(path: Path) -> Any:
    """A JSON document (gzipped or not), or None when missing or unreadable (logged)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        return json.loads(data)
    except FileNotFoundError:
        return None
    except (OSError, EOFError, ValueError) as err:
        log.warning("ignoring unreadable %s (%s)", path, err)
        return None


def remove_stale_temps(directory: Path) -> None:
    """Delete temporary files a killed run left behind (only our own ``.name.xxx.tmp`` ones)."""
    if not directory.is_dir():
        return
    for name in (SNAPSHOT, FEED, TAGS, STATE, JOURNAL):
        for tmp in directory.glob(f".{name}.*{_TMP_SUFFIX}"):
            with contextlib.suppress(OSError):
                tmp.unlink()


_STATS_KEY = ',"statistics":'


def _split_fast(line: str) -> tuple[str, str, dict[str, Any]] | None:
    """``(id, record, statistics)`` of a line in the form :func:`write_snapshot` writes, found
    without decoding the manga; None when the line is in any other form.

    The statistics member is looked for last: if what follows it (less the closing brace) is a
    JSON object, it closed the top level, so it is the top-level member and nothing was nested.
    """
    cut = line.rfind(_STATS_KEY)
    if cut < 0 or not line.endswith("}") or not line.startswith('{"id":"') or line[43:44] != '"':
        return None
    try:
        stats = json.loads(line[cut + len(_STATS_KEY) : -1])
    except ValueError:
        return None
    if not isinstance(stats, dict) or not is_uuid(line[7:43]):
        return None
    return line[7:43], line[:cut] + "}", stats


def _split_slow(line: str) -> tuple[str, str, dict[str, Any] | None] | None:
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    if not isinstance(obj, dict) or not is_uuid(obj.get("id")):
        return None
    entry = obj.pop("statistics", None)
    return obj["id"], dumps(obj), entry if isinstance(entry, dict) else None


def load_snapshot(path: Path) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """Records (id -> text without statistics) and statistics (id -> dict) of a snapshot.

    A missing snapshot is empty; unreadable lines are skipped, as the catalogue loader does.
    """
    records: dict[str, str] = {}
    stats: dict[str, dict[str, Any]] = {}
    if not path.exists():
        return records, stats
    try:
        for line in read_lines(path):
            line = line.rstrip("\r\n")
            got = _split_fast(line) or _split_slow(line)
            if got is None:
                continue
            records[got[0]] = got[1]
            if got[2] is not None:
                stats[got[0]] = got[2]
    except CatalogueError as err:
        log.warning("previous snapshot unusable, starting afresh: %s", err)
        return {}, {}
    return records, stats


def write_snapshot(path: Path, records: dict[str, str], stats: dict[str, dict[str, Any]]) -> None:
    """Write the snapshot: one manga per line with its statistics, sorted by id, gzipped."""

    def lines() -> Iterator[bytes]:
        for manga_id in sorted(records):
            yield (with_statistics(records[manga_id], stats.get(manga_id)) + "\n").encode("utf-8")

    write_atomic(path, lines(), gz=True)


class Journal:
    """The crawl's append-only checkpoint file: a header line, then one line per step.

    Each line is a JSON object handed to the operating system with a single ``write`` before
    the crawl moves on, so after any interruption the file holds every completed step and at
    most one torn line, which :meth:`read` cuts off.
    """

    def __init__(self, path: Path):
        self.path = path
        self._fh: Any = None
        self._synced = 0.0

    def read(self) -> list[dict[str, Any]]:
        """Every intact entry, in order; a torn or corrupt tail is truncated away."""
        try:
            fh = open(self.path, "rb")  # noqa: SIM115 - closed below, after the torn tail is cut
        except FileNotFoundError:
            return []
        entries, good = [], 0
        with fh:
            for line in fh:
                try:
                    entry = json.loads(line) if line.endswith(b"\n") else None
                except ValueError:
                    entry = None
                if not isinstance(entry, dict):
                    break
                entries.append(entry)
                good += len(line)
        if good < self.path.stat().st_size:
            log.warning("cutting a torn checkpoint off %s at byte %d", self.path, good)
            with open(self.path, "r+b") as fh:
                fh.truncate(good)
        return entries

    def start(self, header: dict[str, Any]) -> None:
        """Begin a new journal holding only ``header`` (atomically replacing any old one)."""
        self.close()
        write_atomic(self.path, [(dumps({"header": header}) + "\n").encode("utf-8")])
        self._open()

    def resume(self) -> None:
        """Keep appending to the existing journal."""
        self.close()
        self._open()

    def _open(self) -> None:
        self._fh = open(self.path, "ab")  # noqa: SIM115 - the journal stays open for the crawl

    def append(self, entry: dict[str, Any] | str) -> None:
        """Add one checkpoint (an object, or its JSON text on one line).

        The line reaches the operating system at once, so it survives the process being killed;
        it is fsynced at most once a second (and on close), which bounds what a power cut can
        take to the last second of work without an fsync per page.
        """
        if self._fh is None:
            raise FetchError(f"Checkpoint file {self.path} is not open: this is a bug in sitegen")
        line = entry if isinstance(entry, str) else dumps(entry)
        self._fh.write((line + "\n").encode("utf-8"))
        self._fh.flush()
        if time.monotonic() - self._synced >= SYNC_EVERY:
            self._sync()

    def _sync(self) -> None:
        os.fsync(self._fh.fileno())
        self._synced = time.monotonic()

    def close(self) -> None:
        """Make every entry durable and close the file."""
        if self._fh is not None:
            self._sync()
            self._fh.close()
            self._fh = None

    def remove(self) -> None:
        """Delete the journal once its work is safely in the snapshot."""
        self.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        _fsync_dir(self.path.parent)


@contextlib.contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Hold an exclusive lock on the data directory so two refreshes never interleave."""
    directory.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # not POSIX: no advisory locks; a concurrent run is the user's risk
        yield
        return
    with open(directory / LOCK, "a+b") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise FetchError(
                f"Another refresh is using {directory}: wait for it to finish, or use another --data-dir"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
