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
from pathlib import Path
from typing import Any, Iterable, Iterator

from ..catalogue import read_lines
from ..errors import CatalogueError, FetchError
from .records import dumps, is_uuid, with_statistics

log = logging.getLogger(__name__)

SNAPSHOT = "catalogue.jsonl.gz"
FEED = "feed.json.gz"
TAGS = "tags.json"
STATE = "state.json"
JOURNAL = "crawl.journal.jsonl"
LOCK = ".fetch.lock"
_TMP_SUFFIX = ".tmp"


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
    for name in (SNAPSHOT, FEED, TAGS, STATE):
        for tmp in directory.glob(f".{name}.*{_TMP_SUFFIX}"):
            with contextlib.suppress(OSError):
                tmp.unlink()


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
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if not isinstance(obj, dict) or not is_uuid(obj.get("id")):
                continue
            entry = obj.pop("statistics", None)
            records[obj["id"]] = dumps(obj)
            if isinstance(entry, dict):
                stats[obj["id"]] = entry
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

    Each line is a JSON object written with a single ``write`` and fsynced before the crawl
    moves on, so after any interruption the file holds every completed step and at most one
    torn line, which :meth:`read` cuts off.
    """

    def __init__(self, path: Path):
        self.path = path
        self._fh: Any = None

    def read(self) -> list[dict[str, Any]]:
        """Every intact entry, in order; a torn or corrupt tail is truncated away."""
        try:
            fh = open(self.path, "rb")
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
        self._fh = open(self.path, "ab")

    def append(self, entry: dict[str, Any]) -> None:
        """Add one checkpoint and make it durable before returning."""
        if self._fh is None:
            raise FetchError(f"Checkpoint file {self.path} is not open: this is a bug in sitegen")
        self._fh.write((dumps(entry) + "\n").encode("utf-8"))
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        """Close the file (entries already appended stay)."""
        if self._fh is not None:
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
