"""Politeness and resilience of the MangaDex client: rate ceiling, 429s, retries, offline runs."""

from __future__ import annotations

import logging
import socket
import time

import pytest

from sitegen import HOMEPAGE, __version__
from sitegen.errors import FetchError
from sitegen.sources.mangadex import USER_AGENT, refresh
from sitegen.sources.mangadex.client import ApiClient, ApiUnavailable, RateLimiter, retry_after
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


@pytest.mark.timeout(60)
def test_default_rate_is_never_exceeded(tmp_path):
    """At the default 5/s against a server that enforces 5/s: no 429, no 1 s with 6 requests."""
    manga = make_catalogue(350, seed=31, porn=0.0)
    with FakeDex(manga, rate_limit=5) as dex:
        config = fetch_config(dex, tmp_path, rate=5.0)
        t0 = time.monotonic()
        report = refresh(config, progress=False)
        elapsed = time.monotonic() - t0
        arrivals = [h.t for h in dex.requests()]
    assert report.rate_limited == 0 and len(arrivals) == report.requests >= 9
    assert max_per_window(arrivals, 0.95) <= 5
    assert min(b - a for a, b in zip(arrivals, arrivals[1:])) >= 0.2 - 0.04  # arrival jitter
    assert elapsed >= (len(arrivals) - 1) * 0.2 - 0.05


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
def test_429_waits_as_told(tmp_path, fault):
    manga = make_catalogue(150, seed=32, porn=0.0)
    with FakeDex(manga) as dex:
        dex.faults.append(fault)
        report = refresh(fetch_config(dex, tmp_path), progress=False)
        gap = _gap_after(dex, 429)
    assert gap >= 0.98, f"came back after {gap:.3f} s"
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
    with FakeDex(make_catalogue(300, seed=36), window=200) as dex:
        with pytest.raises(FetchError, match="Result window is too large") as err:
            refresh(fetch_config(dex, tmp_path, result_window=10_000), progress=False)
        assert [h.status for h in dex.requests()][-1] == 400
        assert sum(1 for h in dex.requests() if h.status == 400) == 1
    assert not isinstance(err.value, ApiUnavailable)


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
