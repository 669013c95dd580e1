"""The MangaDex crawl against a fake API: completeness, the result window, incremental refresh,
statistics, the feed, the snapshot file, and a contract test on real API responses."""

from __future__ import annotations

import gzip
import json
import logging
import math
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sitegen.config import BuildConfig, FetchConfig, replace, validate
from sitegen.errors import ConfigError, FetchError
from sitegen.sources.catalogue import load_catalogue
from sitegen.sources.mangadex import USER_AGENT, feed_path, load_feed, refresh, snapshot_path, tags_path
from sitegen.sources.mangadex.crawl import Cursor, WindowExceeded, advance, full_cursor, incremental_cursor
from sitegen.sources.mangadex.records import accept, check_collection, statistics_map, with_statistics
from sitegen.sources.mangadex.snapshot import write_snapshot
from support.fakedex import (
    DEFAULT_RATINGS,
    FakeDex,
    FakeManga,
    crawl_requests,
    expected_ids,
    fetch_config,
    make_catalogue,
    merge_run,
    snapshot_lines,
)
from support.helpers import SHARED

RESPONSES = SHARED / "mangadex" / "responses"


def _ids(path: Path) -> list[str]:
    return [line["id"] for line in snapshot_lines(path)]


def _assert_well_formed(dex: FakeDex, ratings=DEFAULT_RATINGS) -> None:
    """Every request obeyed the API's rules and sent the ratings explicitly."""
    for hit in dex.requests():
        assert hit.status == 200, (hit.path, hit.query, hit.status)
        assert hit.headers.get("User-Agent") == USER_AGENT
        assert not any(k.lower() == "via" for k in hit.headers)
    for hit in dex.requests("/manga"):
        assert sorted(hit.values("contentRating[]")) == sorted(ratings)
        assert sorted(hit.values("includes[]")) == ["artist", "author"]  # names at no extra request
        assert int(hit.values("offset")[0]) + int(hit.values("limit")[0]) <= dex.window
    for hit in dex.requests("/statistics/manga"):
        assert 1 <= len(hit.values("manga[]")) <= 100
    assert not dex.overflow


# -- the big one ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """25,000 manga (8% pornographic), bulk imports of 101-1,500 manga sharing one second,
    one of 300 straddling the first result window's end; crawled once at a high rate."""
    runs = [(i, 101 + (i % 7) * 60) for i in range(700, 25_000, 1_700)] + [(15_000, 1_500)]
    manga = make_catalogue(25_000, seed=7, runs=runs, bad=20)
    straddle = merge_run(manga, 9_850, 300)
    with FakeDex(manga, max_requests=1_000) as dex:
        config = fetch_config(dex, tmp_path_factory.mktemp("big"))
        t0 = time.monotonic()
        report = refresh(config, progress=False)
        yield dex, manga, config, report, time.monotonic() - t0, straddle


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_big_crawl_is_complete_exact_and_cheap(big):
    dex, manga, config, report, seconds, straddle = big
    want = expected_ids(manga)
    ids = _ids(report.snapshot)
    assert len(ids) == len(set(ids)), "a manga was written twice"
    assert set(ids) == want, f"missing {len(want - set(ids))}, extra {len(set(ids) - want)}"
    served = sum(1 for m in manga if m.rating in DEFAULT_RATINGS)
    walk = crawl_requests(dex.requests())
    assert len(walk) <= math.ceil(served / 100) + 10
    assert len(dex.requests("/statistics/manga")) == math.ceil(len(want) / 100)
    assert sum(1 for m in manga if m.created == straddle) > 100  # the boundary was really crowded
    assert any(h.values("createdAtSince") for h in walk), "the window was never moved"
    _assert_well_formed(dex)
    broken = sum(1 for m in manga if m.broken and m.rating in DEFAULT_RATINGS)
    assert (report.new, report.total, report.skipped, report.updated) == (len(want), len(want), broken, 0)
    assert report.rate_limited == 0 and report.retries == 0 and not report.stale
    logging.getLogger(__name__).info("25k crawl: %s (%.1f s)", report.summary(), seconds)


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_big_snapshot_loads_with_statistics(big):
    dex, manga, config, report, _, _ = big
    catalogue, load = load_catalogue(report.snapshot)
    by_id = {m.id: m for m in manga}
    assert load.skipped_total == 0 and len(catalogue) == report.total
    for m in catalogue.manga[:200]:
        fake = by_id[m.id]
        assert (m.follows, m.rating, m.bayesian) == (fake.follows, fake.average, fake.bayesian)
        assert m.title == fake.title and m.content_rating == fake.rating
        assert [(p.name, p.role) for p in m.people] == [(f"Mangaka {fake.created % 97}", "artist, author")]
    assert json.loads(tags_path(config).read_text())[0]["type"] == "tag"


@pytest.mark.timeout(120)
def test_big_unchanged_refresh_costs_a_handful(big):
    dex, manga, config, first, _, _ = big
    before, snapshot = len(dex.requests()), first.snapshot.read_bytes()
    report = refresh(config, progress=False)
    assert report.mode == "incremental"
    assert (report.new, report.updated, report.total) == (0, 0, first.total)
    assert report.requests == len(dex.requests()) - before <= 6
    assert report.snapshot.read_bytes() == snapshot


# -- content ratings -----------------------------------------------------------------------------


@pytest.mark.timeout(60)
def test_pornographic_only_when_asked(tmp_path):
    manga = make_catalogue(600, seed=3, porn=0.3)
    with FakeDex(manga) as dex:
        default = refresh(fetch_config(dex, tmp_path / "a"), progress=False)
        everything = refresh(fetch_config(dex, tmp_path / "b", content_ratings=(
            "safe", "suggestive", "erotica", "pornographic")), progress=False)
    assert set(_ids(default.snapshot)) == expected_ids(manga)
    assert set(_ids(everything.snapshot)) == {m.id for m in manga}
    assert len(everything.snapshot.read_bytes()) > 0


# -- the result window ------------------------------------------------------------------------


@pytest.mark.timeout(60)
@pytest.mark.parametrize("strict", [False, True], ids=["since-inclusive", "since-exclusive"])
def test_crowded_boundaries_lose_and_repeat_nothing(tmp_path, strict):
    """Runs longer than a page at every window end, whichever way the API reads ``...Since``."""
    manga = make_catalogue(3_000, seed=11, porn=0.0)
    for rank in (450, 950, 1_450, 1_950):
        merge_run(manga, rank, 160)
    with FakeDex(manga, window=500, strict_since=strict) as dex:
        report = refresh(fetch_config(dex, tmp_path), progress=False)
        ids = _ids(report.snapshot)
        assert len(ids) == len(set(ids)) and set(ids) == expected_ids(manga)
        assert len(crawl_requests(dex.requests())) <= math.ceil(3_000 / 100) + 20
        _assert_well_formed(dex)


@pytest.mark.timeout(60)
def test_window_inside_one_second_is_split_by_rating(tmp_path):
    """More manga in one second than a window holds: walked rating by rating, none lost."""
    manga = make_catalogue(1_200, seed=5, porn=0.0)
    for i, m in enumerate(manga):
        m.rating = ("safe", "suggestive", "erotica")[i % 3]
    merge_run(manga, 100, 700)  # 700 > window 300, ~233 per rating < 300
    with FakeDex(manga, window=300) as dex:
        report = refresh(fetch_config(dex, tmp_path), progress=False)
        ids = _ids(report.snapshot)
        assert len(ids) == len(set(ids)) and set(ids) == expected_ids(manga)
        assert any(len(h.values("contentRating[]")) == 1 for h in dex.requests("/manga"))
        assert len(crawl_requests(dex.requests())) <= 60
        assert all(h.status == 200 for h in dex.requests())


@pytest.mark.timeout(60)
def test_unreachable_run_is_reported_not_looped(tmp_path, caplog):
    """One rating with more manga in one second than any window: logged, and the crawl ends."""
    manga = make_catalogue(1_000, seed=6, porn=0.0)
    for m in manga:
        m.rating = "safe"
    second = merge_run(manga, 200, 400)  # 400 > window 300
    with FakeDex(manga, window=300, max_requests=200) as dex, caplog.at_level(logging.ERROR):
        report = refresh(fetch_config(dex, tmp_path), progress=False)
        assert not dex.overflow
    ids = set(_ids(report.snapshot))
    after = {m.id for m in manga if m.created > second}
    assert after <= ids and len(ids) >= len(manga) - 100
    assert "result window" in caplog.text


def test_cursor_edge_cases():
    start = full_cursor(("safe", "erotica"))
    page = [{"attributes": {"createdAt": "2021-01-01T00:00:05+00:00"}}] * 100
    assert advance(start, [], 500, 300).done  # an empty page ends the walk, whatever the total
    assert advance(start, page[:40], 500, 300).offset == 40  # a short page is not the end
    assert advance(start, page, 100, 300).done
    moved = advance(replace(start, offset=200), page, 900, 300)
    assert (moved.since, moved.offset) == ("2021-01-01T00:00:04", 0)
    split = advance(replace(moved, offset=200), page, 900, 300)
    assert split.ratings == ("safe",) and split.queue == ((("erotica",), moved.since),)
    blind = [{"attributes": {}}] * 100
    alone = full_cursor(("safe",))
    assert advance(replace(alone, offset=200), blind, 900, 300).done  # no times: stop, never loop
    with pytest.raises(WindowExceeded):
        advance(incremental_cursor(("safe",), "2021-01-01T00:00:00"), page, 301, 300)
    assert Cursor.from_json(split.to_json()) == split
    with pytest.raises((ValueError, KeyError)):
        Cursor.from_json({**split.to_json(), "since": "yesterday"})


# -- incremental refresh ----------------------------------------------------------------------


@pytest.mark.timeout(60)
def test_incremental_refresh_picks_up_changes_with_few_requests(tmp_path):
    manga = make_catalogue(2_000, seed=21)
    with FakeDex(manga) as dex:
        config = fetch_config(dex, tmp_path)
        first = refresh(config, progress=False)
        now = int(time.time())
        visible = [m for m in manga if m.rating in DEFAULT_RATINGS and not m.broken]
        high_water = max(m.updated for m in visible)
        touched = [m.id for m in visible[::97]]
        dex.touch(touched, now)
        dex.touch([m.id for m in manga if m.rating == "pornographic"][:3], now)
        fresh = make_catalogue(20, seed=22, porn=0.0, end=now)
        for m in fresh:
            m.created = m.updated = now
        dex.add(fresh)
        gone = [m.id for m in visible[5:10]]
        dex.remove(gone)
        before = len(dex.requests())
        report = refresh(config, progress=False)
        walk = crawl_requests(dex.requests()[before:])
        assert report.mode == "incremental"
        assert (report.new, report.updated, report.removed) == (20, len(touched), 0)
        assert report.requests <= 8
        since = datetime.fromtimestamp(high_water, UTC) - timedelta(hours=6)
        assert walk[0].values("updatedAtSince") == [since.strftime("%Y-%m-%dT%H:%M:%S")]
        lines = {line["id"]: line for line in snapshot_lines(report.snapshot)}
        assert all(lines[i]["attributes"]["title"]["en"].endswith("(revised)") for i in touched)
        assert all(lines[m.id]["statistics"]["follows"] == m.follows for m in fresh)
        assert len(lines) == first.total + 20
        full = refresh(fetch_config(dex, tmp_path, refresh="full"), progress=False)
        assert full.mode == "full" and full.removed == len(gone) and full.total == first.total + 20 - len(gone)


@pytest.mark.timeout(60)
def test_too_many_changes_fall_back_to_a_full_crawl(tmp_path):
    manga = make_catalogue(1_500, seed=23, porn=0.0)
    with FakeDex(manga, window=500) as dex:
        config = fetch_config(dex, tmp_path)
        refresh(config, progress=False)
        dex.touch([m.id for m in manga[:700]], int(time.time()))
        report = refresh(config, progress=False)
    assert report.mode == "full" and report.updated == 700 - sum(1 for m in manga[:700] if m.broken)
    assert set(_ids(report.snapshot)) == expected_ids(manga)


@pytest.mark.timeout(60)
def test_old_statistics_are_swept(tmp_path):
    manga = make_catalogue(450, seed=24, porn=0.0)
    with FakeDex(manga) as dex:
        refresh(fetch_config(dex, tmp_path), progress=False)
        for m in manga:
            m.follows += 1
        before = len(dex.requests("/statistics/manga"))
        report = refresh(fetch_config(dex, tmp_path, stats_max_age_days=0.0), progress=False)
        assert len(dex.requests("/statistics/manga")) - before == math.ceil(report.total / 100)
    follows = {line["id"]: line["statistics"]["follows"] for line in snapshot_lines(report.snapshot)}
    assert all(follows[m.id] == m.follows for m in manga if m.id in follows)


@pytest.mark.timeout(60)
def test_changed_ratings_recrawl_everything(tmp_path):
    manga = make_catalogue(400, seed=25, porn=0.2)
    with FakeDex(manga) as dex:
        refresh(fetch_config(dex, tmp_path), progress=False)
        wider = fetch_config(dex, tmp_path, content_ratings=DEFAULT_RATINGS + ("pornographic",))
        report = refresh(wider, progress=False)
    assert report.mode == "full"
    assert set(_ids(report.snapshot)) == {m.id for m in manga if not m.broken}


# -- records that must be skipped ----------------------------------------------------------------


@pytest.mark.timeout(60)
def test_bad_records_are_skipped_and_counted(tmp_path):
    manga = make_catalogue(300, seed=8, porn=0.0, bad=30)
    with FakeDex(manga) as dex:
        report = refresh(fetch_config(dex, tmp_path), progress=False)
        asked = {i for h in dex.requests("/statistics/manga") for i in h.values("manga[]")}
        _assert_well_formed(dex)
    assert report.skipped == 30 and set(_ids(report.snapshot)) == expected_ids(manga)
    assert asked == expected_ids(manga)
    assert {p.name for p in tmp_path.iterdir()} <= {
        "catalogue.jsonl.gz", "feed.json.gz", "tags.json", "state.json", ".fetch.lock"}


def test_accept_rejects_untrusted_shapes():
    skipped: Counter[str] = Counter()
    good = make_catalogue(1, seed=2)[0].obj()
    assert accept(good, skipped)[0] == good["id"]
    for bad in (None, [], {"id": "../../etc/passwd", "attributes": {}}, {"id": good["id"]}):
        assert accept(bad, skipped) is None
    assert sum(skipped.values()) == 4
    assert with_statistics('{"id":"x"}', {"follows": 1}) == '{"id":"x","statistics":{"follows":1}}'
    assert statistics_map({"statistics": {"nope": {"follows": 1}, good["id"]: {"follows": True}}}) == {
        good["id"]: {"follows": 0, "rating": {"average": None, "bayesian": None}}}


# -- feed and files ---------------------------------------------------------------------------


@pytest.mark.timeout(60)
def test_feed_holds_the_latest_updated_manga_with_chapters(tmp_path):
    manga = make_catalogue(800, seed=9)
    with FakeDex(manga) as dex:
        report = refresh(fetch_config(dex, tmp_path, feed_size=150), progress=False)
    feed = load_feed(report.feed)
    assert report.feed == feed_path(fetch_config(dex, tmp_path))
    eligible = sorted((m for m in manga if m.rating in DEFAULT_RATINGS and "en" in m.languages and m.latest),
                      key=lambda m: (m.latest, m.id), reverse=True)
    assert [m["id"] for m in feed["manga"]] == [m.id for m in eligible[:150]]
    assert feed["languages"] == ["en"] and datetime.fromisoformat(feed["taken_at"]).tzinfo is not None
    assert all("follows" in m["statistics"] for m in feed["manga"])


def test_load_feed_refuses_a_missing_file(tmp_path):
    with pytest.raises(FetchError, match="fetch-only"):
        load_feed(tmp_path / "feed.json.gz")


@pytest.mark.timeout(60)
def test_snapshot_is_deterministic(tmp_path):
    manga = make_catalogue(250, seed=10)
    with FakeDex(manga) as dex:
        a = refresh(fetch_config(dex, tmp_path / "a"), progress=False)
        b = refresh(fetch_config(dex, tmp_path / "b"), progress=False)
    assert a.snapshot.read_bytes() == b.snapshot.read_bytes()
    assert a.snapshot.read_bytes()[4:8] == b"\0\0\0\0"  # gzip mtime 0
    assert a.snapshot == snapshot_path(fetch_config(dex, tmp_path / "a"))


def test_fetch_config_fields_validate():
    config = BuildConfig()
    assert config.fetch.result_window == 10_000 and config.fetch.stats_max_age_days == 7.0
    assert FetchConfig().api_url == "https://api.mangadex.org"
    with pytest.raises(ConfigError, match="fetch.stats_max_age_days.*fetch.result_window"):
        validate(replace(config, **{"fetch.stats_max_age_days": -1, "fetch.result_window": 5}))


# -- contract: real responses, parsed with the same code ----------------------------------------


@pytest.mark.skipif(not RESPONSES.is_dir(), reason="real MangaDex responses not available here")
def test_contract_real_responses(tmp_path):
    records: dict[str, str] = {}
    skipped: Counter[str] = Counter()
    lists = sorted(RESPONSES.glob("manga_list_*.json"))
    assert lists, f"no manga_list_*.json in {RESPONSES}"
    for path in lists:
        body = json.loads(path.read_text(encoding="utf-8"))
        check_collection(body)
        for obj in body["data"]:
            if (got := accept(obj, skipped)) is not None:
                records[got[0]] = got[1]
    for path in RESPONSES.glob("manga_entity_*.json"):
        got = accept(json.loads(path.read_text(encoding="utf-8"))["data"], skipped)
        assert got is not None
        records[got[0]] = got[1]
    stats = {}
    for path in RESPONSES.glob("statistics_manga_*.json"):
        raw = json.loads(path.read_text(encoding="utf-8"))
        parsed = statistics_map(raw)
        assert parsed and all(parsed[k]["follows"] == v["follows"] for k, v in raw["statistics"].items())
        stats.update(parsed)
    assert len(records) >= 100 and sum(skipped.values()) <= len(records) // 10
    some = next(i for i, text in records.items() if json.loads(text)["attributes"]["tags"])
    stats.setdefault(some, {"follows": 7, "rating": {"average": 8.0, "bayesian": 7.5}})
    snapshot = tmp_path / "catalogue.jsonl.gz"
    write_snapshot(snapshot, records, stats)
    catalogue, report = load_catalogue(snapshot)
    assert report.lines == len(records)
    assert catalogue.manga[catalogue.index[some]].follows == stats[some]["follows"]
    with gzip.open(snapshot, "rt", encoding="utf-8") as fh:
        first = json.loads(fh.readline())
    assert {"id", "type", "attributes", "relationships"} <= set(first)


@pytest.mark.timeout(60)
@pytest.mark.skipif(not RESPONSES.is_dir(), reason="real MangaDex responses not available here")
def test_contract_real_manga_through_a_whole_refresh(tmp_path):
    """Real manga objects served over HTTP, crawled, snapshotted and loaded: nothing lost."""
    objects = {}
    for path in sorted(RESPONSES.glob("manga_list_*.json")):
        for obj in json.loads(path.read_text(encoding="utf-8"))["data"]:
            objects[obj["id"]] = obj
    served = [FakeManga.replay(obj) for obj in objects.values()]
    with FakeDex(served) as dex:
        report = refresh(fetch_config(dex, tmp_path), progress=False)
        _assert_well_formed(dex)
    lines = {line["id"]: line for line in snapshot_lines(report.snapshot)}
    assert set(lines) == expected_ids(served) and report.skipped == 0
    for manga_id, line in lines.items():
        assert {k: v for k, v in line.items() if k != "statistics"} == objects[manga_id]
    catalogue, _ = load_catalogue(report.snapshot)
    assert len(catalogue) == sum(1 for i in lines if objects[i]["attributes"]["tags"])
