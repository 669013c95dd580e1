"""HTTP to the MangaDex API: one polite session, a request-rate ceiling and retries.

Every request goes through :meth:`ApiClient.get_json`, which

* waits its turn so that at most ``rate`` requests start per second;
* sends an honest ``User-Agent`` and no ``Via`` header;
* honours HTTP 429 (``Retry-After`` seconds or date, ``X-RateLimit-Retry-After`` UNIX time) and
  slows down for the rest of the run after each one;
* retries 5xx answers, timeouts, dropped connections and broken JSON with exponential backoff
  and jitter (tenacity), up to ``max_retries``, then raises :class:`ApiUnavailable`;
* turns any other refusal (4xx) into a one-line :class:`ApiRefused`.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests
import tenacity

from ... import HOMEPAGE, __version__
from ...errors import FetchError

log = logging.getLogger(__name__)

USER_AGENT = f"mangarec-sitegen/{__version__} (+{HOMEPAGE})"
#: The public API asks for no more than about 5 requests per second per IP.
PUBLIC_HOSTS = frozenset({"api.mangadex.org"})
PUBLIC_MAX_RATE = 5.0
#: A longer wait than this is a ban or a bogus header: stop and say so rather than hang.
MAX_RETRY_AFTER = 900.0
#: After a 429 the rate is cut by this factor for the rest of the run, down to MIN_RATE. One 429
#: means our margin under the limit was too thin for this network; MangaDex bans IPs that keep
#: hitting 429, so widen it at once and for good rather than probe back up. A quarter off the
#: default 4/s gives 3/s, a 1.67 s span for six starts, which no plausible jitter squeezes into 1 s.
SLOWDOWN = 0.75
MIN_RATE = 1.0

Params = Sequence[tuple[str, str]]


class ApiUnavailable(FetchError):
    """The API could not be reached, or kept failing after every retry."""


class ApiRefused(FetchError):
    """The API answered a request with a 4xx other than 429.

    ``what`` says which request and why (``refused /manga (HTTP 400: ...)``), ``answer`` the
    same as the server put it; the message adds what to do about it.
    """

    def __init__(self, path: str, status: int, detail: str):
        self.what = f"refused {path} (HTTP {status}: {detail})"
        self.answer = f"GET {path} answered HTTP {status}: {detail}"
        super().__init__(f"The MangaDex API {self.what}: the API may have changed; update sitegen or report it")


class _Transient(Exception):
    """A failure worth retrying; ``wait`` is the server's own wait, in seconds, when it gave one."""

    def __init__(self, reason: str, wait: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


@dataclass
class Counters:
    """What the client did: requests sent, retries slept, 429s received and time spent waiting."""

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    rate_limit_wait: float = 0.0


class RateLimiter:
    """Spaces request starts at least ``1 / rate`` seconds apart (a steady, burst-free ceiling).

    Spacing *starts* bounds what we send, not what the server counts: each request reaches it
    after a varying network delay, so starts exactly ``1 / limit`` apart arrive, every so often,
    six to a second. The rate must therefore stay under the server's limit by more than the
    network's jitter (see ``FetchConfig.rate``), and :meth:`slow_down` widens the margin when a
    429 shows it was not enough.
    """

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.rate = rate
        self.interval = 1.0 / rate
        self._clock, self._sleep = clock, sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Block until the next request may start, and book that slot."""
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            self._sleep(start - now)
            # A busy machine wakes late; the next gap counts from when this request really
            # starts, else an oversleep here would shorten it.
            with self._lock:
                self._next = max(self._next, self._clock() + self.interval)

    def slow_down(self, factor: float, floor: float) -> float:
        """Multiply the rate by ``factor`` (never below ``floor``, nor raising it); the new rate."""
        with self._lock:
            self.rate = max(min(self.rate, floor), self.rate * factor)
            self.interval = 1.0 / self.rate
            return self.rate

    def hold(self, seconds: float) -> None:
        """Start no request for ``seconds`` from now (the server said its budget is spent)."""
        with self._lock:
            self._next = max(self._next, self._clock() + seconds)


def retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds the server asks us to wait, from ``X-RateLimit-Retry-After`` or ``Retry-After``.

    ``X-RateLimit-Retry-After`` is a UNIX time (MangaDex); ``Retry-After`` is seconds or an HTTP
    date (RFC 9110). When both are given the longer wait wins. ``None`` when neither parses.
    """
    now = time.time() if now is None else now
    waits = []
    value = headers.get("X-RateLimit-Retry-After")
    if value:
        with contextlib.suppress(ValueError):
            waits.append(float(value) - now)
    value = headers.get("Retry-After")
    if value:
        try:
            waits.append(float(value))
        except ValueError:
            try:
                when = parsedate_to_datetime(value)
                waits.append(when.timestamp() - now)
            except (TypeError, ValueError, IndexError):
                pass
    return max(0.0, *waits) if waits else None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _error_detail(resp: requests.Response) -> str:
    """The first error's detail from a MangaDex ErrorResponse, else the reason phrase."""
    try:
        errors = resp.json().get("errors") or []
        detail = errors[0].get("detail") or errors[0].get("title")
    except (ValueError, AttributeError, IndexError, TypeError):
        detail = None
    text = detail if isinstance(detail, str) and detail else resp.reason or "no detail"
    return " ".join(text.split())[:200]


class ApiClient:
    """A rate-limited, retrying JSON client for one API base URL.

    Parameters
    ----------
    api_url
        Base URL, e.g. ``https://api.mangadex.org``.
    rate
        Most requests started per second; capped at 5 for the public API.
    timeout
        Seconds to wait for a connection or an answer before retrying.
    max_retries
        Retries of one request before giving up with :class:`ApiUnavailable`.
    backoff_cap
        Longest wait between two attempts, in seconds (429 waits are the server's to choose).
    sleep
        Injected for tests; also used for backoff and 429 waits.
    """

    def __init__(self, api_url: str, *, rate: float, timeout: float, max_retries: int,
                 backoff_cap: float, sleep: Callable[[float], None] = time.sleep):
        parts = urlsplit(api_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError(
                f"API URL {api_url!r} is not an http(s) URL: pass one like "
                "https://api.mangadex.org to --api-url"
            )
        if parts.hostname in PUBLIC_HOSTS and rate > PUBLIC_MAX_RATE:
            log.warning("rate %.3g/s is over the public API's limit; using %g/s", rate, PUBLIC_MAX_RATE)
            rate = PUBLIC_MAX_RATE
        self.base = api_url.rstrip("/")
        self.timeout = timeout
        self.counters = Counters()
        self.server_date: datetime | None = None
        self._answered = False  # has the server ever answered this client?
        self._sleep = sleep
        self._limiter = RateLimiter(rate, sleep=sleep)
        self._backoff_cap = backoff_cap
        first = min(1.0, backoff_cap)
        self._backoff = tenacity.wait_exponential(multiplier=first, max=backoff_cap) + \
            tenacity.wait_random(0, first)
        self._retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(_Transient),
            stop=tenacity.stop_after_attempt(max_retries + 1),
            wait=self._wait,
            sleep=self._sleep_between,
            before_sleep=self._before_sleep,
            reraise=True,
        )
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.headers["Accept"] = "application/json"
        self.session.headers.pop("Via", None)
        # A proxy from the environment must never relay (and stamp a Via on) loopback traffic.
        self.session.trust_env = not _is_loopback(parts.hostname)

    def close(self) -> None:
        """Release the connection pool."""
        self.session.close()

    # -- tenacity hooks -------------------------------------------------------------------------
    def _wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Transient) and exc.wait is not None:
            return exc.wait
        return min(self._backoff_cap, self._backoff(state))

    def _sleep_between(self, seconds: float) -> None:
        self._limiter.hold(seconds)  # nothing else may slip in while we back off
        self._sleep(seconds)

    def _before_sleep(self, state: tenacity.RetryCallState) -> None:
        self.counters.retries += 1
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        if isinstance(exc, _Transient) and exc.wait is not None:
            self.counters.rate_limit_wait += wait
        log.info("%s; retry %d in %.2f s", exc, state.attempt_number, wait)

    # -- requests -------------------------------------------------------------------------------
    def get_json(self, path: str, params: Params = (),
                 check: Callable[[Any], None] | None = None) -> Any:
        """GET ``path`` and return its decoded JSON, retrying what is worth retrying.

        ``check`` validates the body's shape and raises ``ValueError`` when it is wrong; a wrong
        shape is retried like broken JSON (a proxy's error page often arrives as 200).

        Raises
        ------
        ApiUnavailable
            When every attempt failed (unreachable, 5xx, timeouts, bad JSON, repeated 429).
        FetchError
            When the API refuses the request itself (other 4xx): :class:`ApiRefused`.
        """
        try:
            return self._retrying(self._once, path, params, check)
        except _Transient as err:
            attempts = self._retrying.statistics.get("attempt_number", 1)
            raise ApiUnavailable(
                f"{err.reason} from {self.base}{path} after {attempts} attempt(s)"
            ) from None

    def _once(self, path: str, params: Params, check: Callable[[Any], None] | None) -> Any:
        self._limiter.acquire()
        self.counters.requests += 1
        url = self.base + path
        try:
            resp = self.session.get(url, params=list(params), timeout=self.timeout)
        except requests.Timeout:
            raise _Transient(f"no answer within {self.timeout:g} s") from None
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError) as err:
            if not self._answered and isinstance(err, requests.ConnectionError):
                # Never reached at all (no network, DNS, refused): a minute of backoff would
                # only delay the answer, which is to go on offline.
                raise ApiUnavailable(f"cannot connect to {self.base} ({type(err).__name__})") from None
            raise _Transient(f"connection failed ({type(err).__name__})") from None
        except requests.RequestException as err:
            raise FetchError(f"Cannot request {url} ({err}): check --api-url") from None
        self._answered = True
        self._note_date(resp)
        if resp.status_code == 429:
            return self._rate_limited(resp)
        if resp.status_code >= 500:
            raise _Transient(f"HTTP {resp.status_code}")
        if resp.status_code >= 400:
            raise ApiRefused(path, resp.status_code, _error_detail(resp))
        self._respect_budget(resp)
        try:
            body = resp.json()
            if check is not None:
                check(body)
        except ValueError as err:
            raise _Transient(f"unusable answer ({str(err)[:80]})") from None
        return body

    def _rate_limited(self, resp: requests.Response) -> Any:
        self.counters.rate_limited += 1
        wait = retry_after(resp.headers)
        if wait is not None and wait > MAX_RETRY_AFTER:
            raise ApiUnavailable(
                f"The MangaDex API asks to wait {wait:.0f} s (HTTP 429, rate limited or banned): "
                "try again later, with a lower --rate"
            )
        rate = self._limiter.slow_down(SLOWDOWN, MIN_RATE)
        if wait is not None:
            # Never come back sooner than one request interval, even if the clocks disagree.
            wait = max(wait, self._limiter.interval)
        raise _Transient(f"HTTP 429 (slowing to {rate:.3g} requests/s)", wait=wait)

    def _respect_budget(self, resp: requests.Response) -> None:
        """When the server says our budget is spent, start nothing until it refills."""
        if resp.headers.get("X-RateLimit-Remaining", "").strip() == "0":
            wait = retry_after({"X-RateLimit-Retry-After": resp.headers.get("X-RateLimit-Retry-After", "")})
            if wait:
                self._limiter.hold(min(wait, MAX_RETRY_AFTER))

    def _note_date(self, resp: requests.Response) -> None:
        try:
            date = parsedate_to_datetime(resp.headers.get("Date", ""))
        except (TypeError, ValueError, IndexError):
            return
        if date.tzinfo is None:
            date = date.replace(tzinfo=UTC)
        self.server_date = date.astimezone(UTC)

    def now(self) -> datetime:
        """The server's clock as of the last answer (UTC), else ours."""
        return self.server_date or datetime.now(UTC).replace(microsecond=0)
