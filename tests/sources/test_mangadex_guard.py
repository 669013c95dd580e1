"""When the previous MangaDex snapshot must stand: listings that would lose much of it (fresh or
resumed), empty listings, and refusals (4xx), against the fake API; and each line logged once."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections import Counter

import pytest

from sitegen.config import BuildConfig
from sitegen.errors import FetchError
from sitegen.sources.mangadex import refresh
from sitegen.sources.mangadex.guard import MAX_LOSS, ListingRejected, check_listing, comparable
from sitegen.sources.mangadex.snapshot import JOURNAL, STATE
from support.fakedex import FakeDex, Fault, expected_ids, fetch_config, make_catalogue, snapshot_lines

LOGGER = "sitegen.sources.mangadex"
RATINGS = ("safe", "suggestive", "erotica")


def _files(directory) -> dict[str, bytes]:
    """Every file the refresh keeps, by name, to show that none changed."""
    return {p.name: p.read_bytes() for p in directory.iterdir() if p.is_file() and p.name != ".fetch.lock"}


def _first(dex: FakeDex, tmp_path, **overrides):
    report = refresh(fetch_config(dex, tmp_path, **overrides), progress=False)
    assert not report.stale
    assert report.total == len(expected_ids(dex.manga(), overrides.get("content_ratings", RATINGS)))
    return report


def _warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


# -- listings much smaller than the snapshot ----------------------------------------------------


@pytest.mark.timeout(60)
@pytest.mark.parametrize("left", [10, 0], ids=["10-left", "empty"])
def test_a_much_smaller_full_listing_keeps_the_snapshot(tmp_path, caplog, left):
    """271 manga, then the API lists 10 (or none): the snapshot, feed and state stay, with one
    warning naming the flag; --allow-shrink then lets the listing through."""
    manga = make_catalogue(271, seed=51, porn=0.0)
    with FakeDex(manga) as dex:
        first = _first(dex, tmp_path)
        before = _files(tmp_path)
        dex.remove([m.id for m in manga[left:]])
        stats = len(dex.requests("/statistics/manga"))
        with caplog.at_level(logging.INFO, logger=LOGGER):
            kept = refresh(fetch_config(dex, tmp_path, refresh="full"), progress=False)
        assert kept.stale and kept.mode == "kept" and kept.snapshot == first.snapshot
        assert _files(tmp_path) == before, "a file changed although the listing was refused"
        assert not (tmp_path / JOURNAL).exists(), "a refused crawl must not be resumed"
        assert len(dex.requests("/statistics/manga")) == stats, "statistics asked for a refused listing"
        warnings = _warnings(caplog)
        assert len(warnings) == 1 and "--allow-shrink" in warnings[0] and "previous snapshot" in warnings[0]
        assert "\n" not in warnings[0] and "not applied" in kept.summary()
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger=LOGGER):
            shrunk = refresh(fetch_config(dex, tmp_path, refresh="full", allow_shrink=True), progress=False)
    assert not shrunk.stale and shrunk.total == left and shrunk.removed == 271 - left
    assert len(snapshot_lines(shrunk.snapshot)) == left
    assert any("--allow-shrink" in w for w in _warnings(caplog))


@pytest.mark.timeout(60)
def test_an_empty_listing_without_a_snapshot_is_one_clear_error(tmp_path):
    with FakeDex([]) as dex, pytest.raises(FetchError) as err:
        refresh(fetch_config(dex, tmp_path), progress=False)
    message = str(err.value)
    assert "\n" not in message and "listed no manga" in message and "--demo" in message
    assert not (tmp_path / "catalogue.jsonl.gz").exists() and not (tmp_path / JOURNAL).exists()


@pytest.mark.timeout(60)
def test_a_resumed_full_journal_is_checked_the_same_way(tmp_path, caplog):
    """A full refresh cut short by a 429 leaves its journal; the API then lists 10 of 271. The
    incremental run that resumes the journal refuses the listing, and the next run goes on
    incrementally from the intact snapshot."""
    manga = make_catalogue(271, seed=52, porn=0.0)
    with FakeDex(manga) as dex:
        first = _first(dex, tmp_path)
        snapshot = first.snapshot.read_bytes()
        dex.faults.append(Fault("429", path="/manga", retry_after=100_000))
        cut = refresh(fetch_config(dex, tmp_path, refresh="full"), progress=False)
        assert cut.stale and cut.mode == "offline" and (tmp_path / JOURNAL).exists()
        dex.remove([m.id for m in manga[10:]])
        with caplog.at_level(logging.WARNING, logger=LOGGER):
            resumed = refresh(fetch_config(dex, tmp_path), progress=False)
        assert resumed.stale and resumed.mode == "kept" and "lose 261 of the snapshot's 271" in resumed.error
        assert first.snapshot.read_bytes() == snapshot and not (tmp_path / JOURNAL).exists()
        after = refresh(fetch_config(dex, tmp_path), progress=False)
    assert after.mode == "incremental" and not after.stale and after.total == 271
    assert first.snapshot.read_bytes() == snapshot


@pytest.mark.timeout(60)
def test_a_small_loss_is_a_real_change(tmp_path):
    """Up to a tenth of the snapshot gone is what MangaDex deleting titles looks like: applied."""
    manga = make_catalogue(400, seed=53, porn=0.0)
    with FakeDex(manga) as dex:
        _first(dex, tmp_path)
        gone = [m.id for m in manga[::10]]  # 40 of 400: exactly the limit
        dex.remove(gone)
        report = refresh(fetch_config(dex, tmp_path, refresh="full"), progress=False)
    assert not report.stale and report.removed == len(gone) and report.total == 400 - len(gone)


@pytest.mark.timeout(60)
def test_narrowed_content_ratings_are_not_a_loss(tmp_path):
    """Dropping a rating empties its share of the snapshot on purpose: not refused."""
    manga = make_catalogue(500, seed=54, porn=0.3)
    every = RATINGS + ("pornographic",)
    with FakeDex(manga) as dex:
        _first(dex, tmp_path, content_ratings=every)
        report = refresh(fetch_config(dex, tmp_path), progress=False)
    porn = sum(1 for m in manga if m.rating == "pornographic" and not m.broken)
    assert porn > MAX_LOSS * 500
    assert not report.stale and report.mode == "full" and report.removed == porn
    assert json.loads((tmp_path / STATE).read_text())["ratings"] == list(RATINGS)


def test_check_listing_threshold_and_ratings():
    def record(rating: str) -> str:
        return json.dumps({"attributes": {"contentRating": rating}})

    old = {f"{i:03}": record("safe") for i in range(100)}
    at_limit = {k: v for k, v in old.items() if int(k) >= 10}
    check_listing(old, at_limit, RATINGS, list(RATINGS), allow=False, api_url="x")
    with pytest.raises(ListingRejected, match="lose 11 of the snapshot's 100.*--allow-shrink"):
        check_listing(old, dict(list(at_limit.items())[1:]), RATINGS, list(RATINGS), allow=False, api_url="x")
    with pytest.raises(ListingRejected, match="held no manga"):
        check_listing(old, {}, RATINGS, list(RATINGS), allow=False, api_url="x")
    check_listing(old, {}, RATINGS, list(RATINGS), allow=True, api_url="x")  # warned, not refused
    mixed = {"a": record("safe"), "b": record("pornographic"), "c": record("gory"), "d": "{}"}
    assert comparable(mixed, RATINGS, list(RATINGS)) == set(mixed)  # same ratings: all of it
    assert comparable(mixed, RATINGS, None) == {"a"}  # unknown counts as the strictest
    assert comparable(mixed, ("pornographic",), list(RATINGS)) == {"b", "c", "d"}


# -- refusals (4xx) ------------------------------------------------------------------------------


@pytest.mark.timeout(60)
@pytest.mark.parametrize("fault", [Fault("404", path="/manga/tag"), Fault("403", path="/manga"),
                                   Fault("400", path="/statistics/manga")], ids=lambda f: f"{f.kind}{f.path}")
def test_a_refusal_falls_back_to_the_snapshot(tmp_path, caplog, fault):
    """A 4xx is not retried; the build goes on from the previous snapshot with one warning, and
    the next run, the API mended, resumes where the refused one stopped."""
    manga = make_catalogue(300, seed=55, porn=0.0)
    with FakeDex(manga) as dex:
        first = _first(dex, tmp_path)
        before = _files(tmp_path)
        dex.touch([m.id for m in manga[:5]], max(m.updated for m in manga) + 60)
        dex.faults.append(fault)
        count = len(dex.requests())
        with caplog.at_level(logging.WARNING, logger=LOGGER):
            report = refresh(fetch_config(dex, tmp_path, refresh="full"), progress=False)
        refused = [h for h in dex.requests()[count:] if h.status == int(fault.kind)]
        assert len(refused) == 1 and dex.requests()[-1] is refused[0], "a refusal was retried"
        assert report.stale and report.mode == "refused" and report.snapshot == first.snapshot
        assert f"HTTP {fault.kind}" in report.error and fault.path in report.error
        warnings = _warnings(caplog)
        assert len(warnings) == 1 and "refused" in warnings[0] and "previous snapshot" in warnings[0]
        assert {k: v for k, v in _files(tmp_path).items() if k != JOURNAL} == before
        again = refresh(fetch_config(dex, tmp_path), progress=False)
    assert not again.stale and again.updated == 5 and again.total == first.total
    assert again.resumed == (fault.path != "/manga/tag")  # the tag list is asked before any journal


@pytest.mark.timeout(30)
def test_a_refusal_without_a_snapshot_is_one_clear_error(tmp_path):
    with FakeDex(make_catalogue(50, seed=56)) as dex:
        dex.faults.append(Fault("404", path="/manga/tag"))
        with pytest.raises(FetchError) as err:
            refresh(fetch_config(dex, tmp_path), progress=False)
        assert len(dex.requests()) == 1
    message = str(err.value)
    assert "\n" not in message and "HTTP 404" in message and "/manga/tag" in message
    assert "no snapshot" in message and "--demo" in message


# -- the log ---------------------------------------------------------------------------------------


@pytest.mark.timeout(60)
def test_each_line_is_logged_once(tmp_path, caplog):
    """The refresh returns its summary and the build logs it: once, fresh or stale (it used to
    be logged by the refresh, again by the build, and printed a third time by --fetch-only)."""
    from sitegen.build import load_source

    with FakeDex(make_catalogue(150, seed=57)) as dex, caplog.at_level(logging.INFO):
        config = dataclasses.replace(BuildConfig(), fetch=fetch_config(dex, tmp_path))
        config = dataclasses.replace(config, catalogue=dataclasses.replace(config.catalogue, source="mangadex"))
        load_source(config)
        dex.faults.append(Fault("404", path="/manga/tag"))
        load_source(config)
    messages = [r.getMessage() for r in caplog.records]
    assert sum(m.startswith("MangaDex full refresh: ") for m in messages) == 1
    assert sum("; using the previous snapshot " in m for m in messages) == 1
    assert [m for m, n in Counter(messages).items() if n > 1] == []
    assert sum("previous snapshot" in m for m in messages) == 2  # the warning, then the summary
