"""When the previous snapshot stands: outages, refusals, and listings that would lose much of it.

The snapshot is what a build falls back on, so a refresh replaces it only with something at
least as trustworthy:

* when the API cannot be reached, keeps failing, or refuses a request (a 4xx other than 429),
  the refresh stops and the build goes on from the previous snapshot with a warning; only when
  there is none does it fail, in one line naming ``--demo``. The crawl's journal is kept, so
  the next run resumes;
* a full crawl (or a resumed one) that would lose more than :data:`MAX_LOSS` of the snapshot's
  manga, or that listed none at all, is not applied unless ``allow_shrink`` is set: a warning
  names ``--allow-shrink``, the previous snapshot, feed and state stay as they were, and the
  crawl is discarded so that the next run crawls afresh rather than resuming a bad listing.

Why a warning and not an error: the site is rebuilt by a daily scheduled job, and the previous
snapshot is whole and was good yesterday. An error would fail every day's build until someone
passes the flag, holding back unrelated changes (pages, models, fixes) with it; a warning lets
the build publish from known-good data, says so in the build's summary line ("MangaDex refresh
not applied ..."), and the next day's run (incremental, or another full crawl) tries again by
itself. A catalogue that really shrank that much is rare and deliberate enough to ask for the
flag once.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...errors import FetchError
from ..catalogue import CONTENT_RATINGS
from .client import ApiRefused, ApiUnavailable
from .report import STALE_MODES, FetchReport, feed_path, snapshot_path

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from ...config import FetchConfig
    from .client import Counters

log = logging.getLogger(__name__)

#: Most of the snapshot's manga (of the ratings crawled) that a full crawl may lose unasked.
#: Real removals (merged duplicates, spam, takedowns) come a few at a time, so between two
#: refreshes they should be far under 1% of a catalogue of tens of thousands. The failures seen
#: lose far more (271 -> 10, 271 -> 0), as would a listing cut off at a result window. 10% is
#: well above any plausible real loss and well below every failure seen. Losses are counted by
#: id, so manga added meanwhile cannot mask manga gone.
MAX_LOSS = 0.10


class ListingRejected(FetchError):
    """A finished full crawl was not applied because it would lose much of the snapshot."""


def _rating(record: str) -> str:
    """A snapshot record's content rating; unknown counts as the strictest, as the loader does."""
    try:
        value = json.loads(record)["attributes"].get("contentRating")
    except (ValueError, KeyError, TypeError, AttributeError):
        value = None
    return value if value in CONTENT_RATINGS else CONTENT_RATINGS[-1]


def comparable(old: Mapping[str, str], ratings: Iterable[str], old_ratings: Any) -> set[str]:
    """Ids of the snapshot a crawl of ``ratings`` should list again.

    When the ratings are those of the last refresh this is the whole snapshot; when they
    changed (or are unknown), manga of ratings no longer crawled are left out, so narrowing
    ``--content-ratings`` is not mistaken for a listing that lost them.
    """
    ratings = list(ratings)
    if old_ratings == ratings:
        return set(old)
    wanted = set(ratings)
    return {i for i, record in old.items() if _rating(record) in wanted}


def check_listing(old: Mapping[str, str], crawled: Mapping[str, str], ratings: tuple[str, ...],
                  old_ratings: Any, *, allow: bool, api_url: str) -> None:
    """Pass a full crawl's listing, or refuse it when it would lose much of the snapshot.

    Parameters
    ----------
    old
        The snapshot's records, id -> text (empty when there is none).
    crawled
        The full crawl's records, id -> text.
    ratings, old_ratings
        The content ratings crawled now, and those of the last refresh (from its state).
    allow
        ``FetchConfig.allow_shrink``: accept any listing, with a warning.
    api_url
        For the message.

    Raises
    ------
    ListingRejected
        When the listing is empty or loses more than :data:`MAX_LOSS` of ``old``.
    FetchError
        When the listing is empty and there is no snapshot: nothing to build from.
    """
    if not crawled and not old:
        raise FetchError(
            f"The MangaDex API at {api_url} listed no manga rated {', '.join(ratings)}: nothing to "
            "build from; check --api-url and --content-ratings, or build offline with --demo"
        )
    base = comparable(old, ratings, old_ratings)
    lost = len(base - crawled.keys())
    if crawled and lost <= MAX_LOSS * len(base):
        return
    what = (f"the full listing held no manga (the snapshot has {len(old)})" if not crawled else
            f"the full listing of {len(crawled)} manga would lose {lost} of the snapshot's {len(base)}, "
            f"more than {MAX_LOSS:.0%}")
    if allow:
        log.warning("%s; replacing the snapshot all the same, as --allow-shrink asks", what)
        return
    raise ListingRejected(f"{what}; if the catalogue really shrank, run again with --allow-shrink")


def _mode(err: FetchError) -> str:
    if isinstance(err, ListingRejected):
        return "kept"
    return "refused" if isinstance(err, ApiRefused) else "offline"


def _no_snapshot(config: FetchConfig, err: FetchError) -> FetchError:
    """The one-line error when there is nothing to fall back on."""
    where = f"there is no snapshot in {config.data_dir} yet"
    if isinstance(err, ApiRefused):
        return FetchError(f"The MangaDex API {err.what} and {where}: the API may have changed; update "
                          "sitegen or report it, or build offline with --demo")
    if isinstance(err, ApiUnavailable):
        return FetchError(f"The MangaDex API at {config.api_url} is unavailable ({err}) and {where}: "
                          "check the network and retry, or build offline with --demo")
    return err


def fall_back(config: FetchConfig, counters: Counters, err: FetchError, seconds: float) -> FetchReport:
    """The stale report of a refresh that leaves the previous snapshot in place (warned once).

    Raises
    ------
    FetchError
        When there is no previous snapshot to build from (the message names ``--demo``).
    """
    snapshot: Path = snapshot_path(config)
    if not snapshot.exists():
        raise _no_snapshot(config, err) from None
    mode = _mode(err)
    # A refusal's own message ends in advice meant for when there is nothing to fall back on.
    reason = f"{err.answer}; the API may have changed" if isinstance(err, ApiRefused) else str(err)
    log.warning("%s (%s): building from the previous snapshot %s, which may be stale",
                STALE_MODES[mode], reason, snapshot)
    feed = feed_path(config)
    return FetchReport(snapshot=snapshot, feed=feed if feed.exists() else None, mode=mode,
                       requests=counters.requests, retries=counters.retries,
                       rate_limited=counters.rate_limited, rate_limit_wait=counters.rate_limit_wait,
                       seconds=seconds, stale=True, error=reason)
