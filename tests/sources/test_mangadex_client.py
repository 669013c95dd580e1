"""Politeness and resilience of the MangaDex client: rate ceiling, 429s, retries, offline runs."""

from __future__ import annotations

import logging
import socket
import time

import pytest

from sitegen import HOMEPAGE, __version__
from sitegen.config import FetchConfig
from sitegen.errors import FetchError
from sitegen.sources.mangadex import USER_AGENT, refresh
from sitegen.sources.mangadex.client import (
    MIN_RATE,
    SLOWDOWN,
    ApiClient,
    ApiRefused,
    ApiUnavailable,
    RateLimiter,
    retry_after,
)
from support.fakedex import (
    FakeDex,
    Fault,
    expected_ids,
    fetch_config,
    make_catalogue,
    max_per_window,
    snapshot_lines,
)


def _closed_port_url() -> str:
    """A loopback URL nobody listens on (the port was just released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _gap_after(dex: FakeDex, status: int) -> float:
    """Seconds between the first answer with ``status`` and the next request's arrival."""
    hits = dex.requests()
    i = next(i for i, h in enumerate(hits) if h.status == status)
    return hits[i + 1].t - hits[i].answered


# -- the rate ceiling -------------------------------------------------------------------------


#: The API's limit (5 per second) and a network whose one-way delay varies by up to 150 ms,
#: more than a typical path to MangaDex: the fake then catches what the real limiter would.
LIMIT, JITTER = 5, 0.15


def _strict_crawl(tmp_path, n: int, seed: int, jitter: float = JITTER, **overrides):
    """A full crawl of ``n`` manga against a strict sliding-window limiter with jitter, at the
    default rate unless ``overrides`` say otherwise."""
    manga = make_catalogue(n, seed=seed, porn=0.0)
    settings = {"rate": FetchConfig().rate, "backoff_cap": 60.0, **overrides}
    with FakeDex(manga, rate_limit=LIMIT, jitter=jitter, seed=seed, max_requests=400) as dex:
        t0 = time.monotonic()
        report = refresh(fetch_config(dex, tmp_path, **settings), progress=False)
        elapsed = time.monotonic() - t0
        hits = dex.requests()
    assert {line["id"] for line in snapshot_lines(report.snapshot)} == expected_ids(manga)
    assert report.requests == len(hits) and not report.stale
    return report, hits, elapsed


@pytest.mark.timeout(60)
def test_default_rate_leaves_a_margin_under_the_limit(tmp_path):
    """At the default rate, six starts span 1.25 s: jittered arrivals never make six in 1 s.
    (100 ms of jitter here, leaving a busy test machine's own scheduling delays room too.)"""
    assert FetchConfig().rate <= 0.8 * LIMIT
    report, hits, elapsed = _strict_crawl(tmp_path, 350, seed=31, jitter=0.1)
    arrivals = [h.t for h in hits]
    assert report.rate_limited == 0 and len(arrivals) >= 9
    assert max_per_window(arrivals, 1.0) <= LIMIT
    assert elapsed >= (len(arrivals) - 1) / FetchConfig().rate - 0.05


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_full_crawl_against_a_strict_limiter_is_polite_and_fast_enough(tmp_path):
    """~200 requests at the default rate against a limiter that refuses the sixth request in
    any one second: at most 5 in 1,000 answered 429, and the pace a full catalogue (~1,100
    requests) needs to finish within 10 minutes."""
    report, hits, elapsed = _strict_crawl(tmp_path, 10_000, seed=62)
    assert len(hits) >= 200
    assert report.rate_limited <= 5 * len(hits) / 1_000, f"{report.rate_limited} 429s in {len(hits)}"
    per_request = elapsed / len(hits)
    assert 1_100 * per_request < 600, f"{per_request:.3f} s per request"
    logging.getLogger(__name__).info("strict limiter: %d requests, %d answered 429, %.1f s (%.3f s each)",
                                     len(hits), report.rate_limited, elapsed, per_request)


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_a_429_slows_the_rest_of_the_run(tmp_path, caplog):
    """At the old default (5/s, exactly the limit) the strict limiter soon answers 429 (the
    fake reproduces the problem); the client then slows down for good and is seldom refused again."""
    with caplog.at_level(logging.INFO, logger="sitegen.sources.mangadex"):
        report, hits, _ = _strict_crawl(tmp_path, 2_000, seed=63, rate=float(LIMIT))
    assert 1 <= report.rate_limited <= 2, f"{report.rate_limited} 429s in {len(hits)}"
    first = next(i for i, h in enumerate(hits) if h.status == 429)
    after = [h.t for h in hits[first + 1:]]
    assert len(after) >= 20 and max_per_window(after, 1.0) <= LIMIT
    assert "slowing to 3.75 requests/s" in caplog.text


def test_rate_limiter_spaces_starts_exactly():
    clock = [0.0]
    slept = []

    def sleep(s):
        slept.append(s)
        clock[0] += s

    limiter = RateLimiter(2.0, clock=lambda: clock[0], sleep=sleep)
    starts = []
    for _ in range(5):
        limiter.acquire()
        starts.append(clock[0])
    assert starts == [0.0, 0.5, 1.0, 1.5, 2.0]
    limiter.hold(3.0)
    limiter.acquire()
    assert clock[0] == pytest.approx(5.0)


def test_rate_limiter_slows_down_and_counts_gaps_from_real_starts():
    clock = [0.0]

    def oversleep(s):
        clock[0] += s + 0.1  # a busy machine wakes late

    limiter = RateLimiter(4.0, clock=lambda: clock[0], sleep=oversleep)
    starts = []
    for _ in range(3):
        limiter.acquire()
        starts.append(clock[0])
    assert [b - a for a, b in zip(starts, starts[1:])] == pytest.approx([0.35, 0.35])  # never < 0.25
    rates = [limiter.slow_down(SLOWDOWN, MIN_RATE) for _ in range(8)]
    assert rates[:2] == pytest.approx([3.0, 2.25]) and rates[-1] == MIN_RATE == min(rates)
    assert limiter.interval == pytest.approx(1 / MIN_RATE)
    assert RateLimiter(0.5).slow_down(SLOWDOWN, MIN_RATE) == 0.5  # a slower choice is kept


def test_public_api_rate_is_capped_and_headers_honest():
    client = ApiClient("https://api.mangadex.org", rate=50, timeout=1, max_retries=0, backoff_cap=1)
    assert client._limiter.interval == pytest.approx(0.2)
    assert client.session.headers["User-Agent"] == f"mangarec-sitegen/{__version__} (+{HOMEPAGE})" == USER_AGENT
    assert "Via" not in client.session.headers and client.session.trust_env
    local = ApiClient("http://127.0.0.1:9", rate=50, timeout=1, max_retries=0, backoff_cap=1)
    assert local._limiter.interval == pytest.approx(0.02) and not local.session.trust_env
    with pytest.raises(FetchError, match="--api-url"):
        ApiClient("ftp://example.org", rate=1, timeout=1, max_retries=0, backoff_cap=1)


def test_retry_after_headers():
    now = 1_700_000_000.0
    assert retry_after({"Retry-After": "3"}, now) == 3
    assert retry_after({"X-RateLimit-Retry-After": str(int(now) + 7)}, now) == 7
    assert retry_after({"Retry-After": "Tue, 14 Nov 2023 22:13:30 GMT"}, now) == pytest.approx(10)
    assert retry_after({"Retry-After": "2", "X-RateLimit-Retry-After": str(int(now) + 5)}, now) == 5
    assert retry_after({"X-RateLimit-Retry-After": str(int(now) - 5)}, now) == 0
    assert retry_after({"Retry-After": "soon"}, now) is None
    assert retry_after({}, now) is None


# -- 429 ----------------------------------------------------------------------------------------


@pytest.mark.timeout(60)
@pytest.mark.parametrize("fault", [Fault("429", path="/manga", retry_after=1),
                                   Fault("429", path="/manga", reset_in=1.0)],
                         ids=["Retry-After", "X-RateLimit-Retry-After"])
def test_429_waits_as_told(tmp_path, fault, caplog):
    manga = make_catalogue(150, seed=32, porn=0.0)
    with FakeDex(manga) as dex, caplog.at_level(logging.INFO, logger="sitegen.sources.mangadex"):
        dex.faults.append(fault)
        report = refresh(fetch_config(dex, tmp_path), progress=False)
        gap = _gap_after(dex, 429)
    assert gap >= 0.98, f"came back after {gap:.3f} s"
    assert "HTTP 429 (slowing to 750 requests/s); retry 1" in caplog.text
    assert report.rate_limited == 1 and report.retries == 1 and report.rate_limit_wait >= 0.98
    assert {line["id"] for line in snapshot_lines(report.snapshot)} == expected_ids(manga)


@pytest.mark.timeout(30)
def test_429_with_an_absurd_wait_stops_at_once(tmp_path):
    with FakeDex(make_catalogue(50, seed=33)) as dex:
        dex.faults.append(Fault("429", retry_after=100_000))
        with pytest.raises(FetchError, match="asks to wait"):
            refresh(fetch_config(dex, tmp_path), progress=False)
        assert len(dex.requests()) == 1


# -- transient failures ----------------------------------------------------------------------


@pytest.mark.timeout(60)
def test_transient_failures_are_retried(tmp_path):
    manga = make_catalogue(400, seed=34, porn=0.0)
    with FakeDex(manga) as dex:
        dex.faults += [Fault("500", path="/manga/tag"), Fault("503", path="/manga"),
                       Fault("slow", path="/manga", delay=1.0), Fault("truncate", path="/statistics/manga"),
                       Fault("drop", path="/manga"), Fault("truncate", path="/manga")]
        report = refresh(fetch_config(dex, tmp_path, timeout=0.3, max_retries=5), progress=False)
        assert not dex.faults
    assert report.retries == 6 and report.rate_limited == 0 and not report.stale
    lines = snapshot_lines(report.snapshot)
    assert sorted(line["id"] for line in lines) == sorted(expected_ids(manga))


@pytest.mark.timeout(30)
def test_persistent_5xx_stops_with_one_clear_line(tmp_path):
    with FakeDex(make_catalogue(50, seed=35)) as dex:
        dex.faults.append(Fault("500", times=50))
        with pytest.raises(FetchError) as err:
            refresh(fetch_config(dex, tmp_path, max_retries=2), progress=False)
        assert len(dex.requests()) == 3
    message = str(err.value)
    assert "\n" not in message and "HTTP 500" in message and "--demo" in message


@pytest.mark.timeout(30)
def test_api_refusal_is_not_retried(tmp_path):
    """Without a snapshot to fall back on, a 4xx fails the refresh in one line (see the guard
    tests for the fall-back when there is one)."""
    with FakeDex(make_catalogue(300, seed=36), window=200) as dex:
        with pytest.raises(FetchError, match="Result window is too large") as err:
            refresh(fetch_config(dex, tmp_path, result_window=10_000), progress=False)
        assert [h.status for h in dex.requests()][-1] == 400
        assert sum(1 for h in dex.requests() if h.status == 400) == 1
    assert not isinstance(err.value, ApiUnavailable)
    message = str(err.value)
    assert "\n" not in message and "no snapshot" in message and "--demo" in message
    assert issubclass(ApiRefused, FetchError)


# -- offline ---------------------------------------------------------------------------------


@pytest.mark.timeout(30)
def test_unreachable_without_snapshot_names_demo(tmp_path):
    with FakeDex([]) as dex:
        config = fetch_config(dex, tmp_path, api_url=_closed_port_url(), max_retries=1)
    with pytest.raises(FetchError) as err:
        refresh(config, progress=False)
    message = str(err.value)
    assert "\n" not in message and "--demo" in message and "unavailable" in message


@pytest.mark.timeout(30)
def test_unreachable_with_snapshot_goes_on_stale(tmp_path, caplog):
    manga = make_catalogue(120, seed=37)
    with FakeDex(manga) as dex:
        first = refresh(fetch_config(dex, tmp_path), progress=False)
        config = fetch_config(dex, tmp_path, api_url=_closed_port_url(), max_retries=1)
    before = first.snapshot.read_bytes()
    with caplog.at_level(logging.WARNING, logger="sitegen.sources.mangadex"):
        report = refresh(config, progress=False)
    assert report.stale and report.snapshot == first.snapshot and report.feed == first.feed
    assert report.snapshot.read_bytes() == before
    assert "stale" in caplog.text and "previous snapshot" in report.summary()
