"""What a refresh leaves behind: where its files are, its report, and the feed reader."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...errors import FetchError
from .records import accept
from .snapshot import FEED, SNAPSHOT, TAGS, read_json

if TYPE_CHECKING:
    from ...config import FetchConfig


def snapshot_path(config: FetchConfig) -> Path:
    """The snapshot catalogue file: ``<data_dir>/catalogue.jsonl.gz``."""
    return Path(config.data_dir) / SNAPSHOT


def feed_path(config: FetchConfig) -> Path:
    """The feed snapshot: ``<data_dir>/feed.json.gz``."""
    return Path(config.data_dir) / FEED


def tags_path(config: FetchConfig) -> Path:
    """The tag vocabulary as ``GET /manga/tag`` listed it: ``<data_dir>/tags.json``."""
    return Path(config.data_dir) / TAGS


#: Why the previous snapshot stands, by a stale report's mode: the API was unavailable, refused
#: a request (4xx), or listed much less than the snapshot holds (see :mod:`.guard`).
STALE_MODES = {"offline": "MangaDex unavailable", "refused": "MangaDex refused a request",
               "kept": "MangaDex refresh not applied"}


@dataclass(frozen=True)
class FetchReport:
    """What a refresh did. Counts are of manga; ``stale`` means the refresh could not be used
    and the previous snapshot stands (``mode`` is a key of :data:`STALE_MODES`, ``error`` says
    why)."""

    snapshot: Path
    feed: Path | None
    mode: str = "full"
    total: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped: int = 0
    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    rate_limit_wait: float = 0.0
    seconds: float = 0.0
    resumed: bool = False
    stale: bool = False
    error: str = ""

    def summary(self) -> str:
        """One line for the build log."""
        calls = (f"{self.requests} requests ({self.retries} retries, {self.rate_limited} rate-limited) "
                 f"in {self.seconds:.1f} s")
        if self.stale:
            return (f"{STALE_MODES.get(self.mode, 'MangaDex refresh failed')} ({self.error}); "
                    f"using the previous snapshot {self.snapshot}; {calls}")
        resumed = ", resumed" if self.resumed else ""
        return (f"MangaDex {self.mode} refresh{resumed}: {self.total} manga; {self.new} new, "
                f"{self.updated} updated, {self.unchanged} unchanged, {self.removed} removed, "
                f"{self.skipped} skipped; {calls}")


def load_feed(path: Path) -> dict[str, Any]:
    """The feed snapshot: ``{"taken_at", "languages", "manga": [manga objects]}``.

    Raises
    ------
    FetchError
        When the file is missing or not a feed.
    """
    feed = read_json(Path(path))
    if not (isinstance(feed, dict) and isinstance(feed.get("taken_at"), str)
            and isinstance(feed.get("languages"), list) and isinstance(feed.get("manga"), list)):
        raise FetchError(
            f"Feed file {path} is missing or damaged: refresh it with python build.py --fetch-only"
        )
    manga = [m for m in feed["manga"] if accept(m, Counter()) is not None]
    return {"taken_at": feed["taken_at"], "languages": feed["languages"], "manga": manga}
