"""A fake MangaDex API for the fetch tests: an in-process HTTP server bound to 127.0.0.1.

It speaks the shapes and rules of the real API that the crawler depends on:

* ``GET /manga``: ``limit`` <= 100, ``offset + limit`` <= the result window (else 400 "Result
  window is too large"), ``contentRating[]`` defaulting to safe, suggestive, erotica,
  ``createdAtSince`` / ``updatedAtSince`` (``YYYY-MM-DDTHH:MM:SS``, inclusive unless
  ``strict_since``), ``order[createdAt|updatedAt|latestUploadedChapter]``,
  ``hasAvailableChapters``, ``availableTranslatedLanguage[]``; ties broken by id;
* ``GET /manga/tag``; ``GET /statistics/manga?manga[]=`` (at most 100 UUIDs, else 400);
* an optional rate limit answering 429 with ``X-RateLimit-*`` headers: strict, over a sliding
  window, so that a request is refused when ``rate_limit`` requests (refused ones included)
  already arrived less than ``rate_window`` seconds before it;
* optional network jitter: each request is held a random ``0 .. jitter`` seconds (seeded) before
  the server sees it arrive, as a varying network delay would;
* scripted faults: 429 (``Retry-After`` and/or ``X-RateLimit-Retry-After``), 4xx refusals,
  500/503, slow answers, truncated JSON, dropped connections; and a hook that holds one request
  open so a test can kill the client mid-crawl.

Every request is recorded (arrival time, path, query, headers). The server refuses to answer
more than ``max_requests`` requests, so a runaway crawler fails fast instead of spinning.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sitegen.sources.vocabulary import VOCABULARY

WINDOW = 10_000
DEFAULT_RATINGS = ("safe", "suggestive", "erotica")
SINCE_RE = re.compile(r"^\d{4}-[0-1]\d-([0-2]\d|3[0-1])T([0-1]\d|2[0-3]):[0-5]\d:[0-5]\d$")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
MAX_HOLD = 30.0  # seconds a held request may stay open
MAX_DELAY = 5.0  # longest scripted slow answer
RATE_WINDOW = 1.0  # seconds over which rate_limit is counted: "5 per second", to the letter
MAX_JITTER = 1.0  # longest network delay the fake may simulate


def iso(epoch: int) -> str:
    """MangaDex's timestamp format for a UNIX second."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def tag_object(tag: Any) -> dict[str, Any]:
    """A tag as the API nests it in a manga (and lists it at /manga/tag)."""
    return {"id": tag.id, "type": "tag",
            "attributes": {"name": {"en": tag.name}, "description": {}, "group": tag.group, "version": 1},
            "relationships": []}


@dataclass
class FakeManga:
    """One manga of the fake catalogue; times are UNIX seconds."""

    id: str
    created: int
    updated: int
    rating: str = "safe"
    title: str = "Untitled"
    tags: tuple[int, ...] = (0,)
    languages: tuple[str, ...] = ("en",)
    latest: int | None = None
    follows: int = 0
    average: float | None = None
    bayesian: float | None = None
    broken: str = ""  # "", "bad-id", "no-attributes" or "no-title": a record the client must skip
    version: int = 1
    _body: bytes | None = field(default=None, repr=False, compare=False)
    _bodies: dict[bool, bytes] = field(default_factory=dict, repr=False, compare=False)

    def obj(self, people: bool = False) -> dict[str, Any]:
        """The manga object in GET /manga's ``data[]`` shape; with ``people`` (``includes[]=author``
        and ``includes[]=artist``), the author's relationships carry their attributes, as the API's do."""
        attrs = {
            "title": {"en": self.title} if self.broken != "no-title" else {},
            "altTitles": [{"ja": self.title + " (ja)"}] if self.broken != "no-title" else [],
            "description": {"en": f"About {self.title}."}, "isLocked": False, "links": {},
            "originalLanguage": "ja", "lastVolume": "", "lastChapter": "",
            "publicationDemographic": None, "status": "ongoing", "year": 2015,
            "contentRating": self.rating, "tags": [tag_object(VOCABULARY[i]) for i in self.tags],
            "state": "published", "chapterNumbersResetOnNewVolume": False,
            "createdAt": iso(self.created), "updatedAt": iso(self.updated), "version": self.version,
            "availableTranslatedLanguages": list(self.languages),
            "latestUploadedChapter": str(uuid.UUID(int=self.created, version=4)) if self.latest else None,
        }
        obj: dict[str, Any] = {"id": self.id if self.broken != "bad-id" else f"../{self.id[:8]}",
                               "type": "manga", "attributes": attrs,
                               "relationships": [{"id": str(uuid.UUID(int=self.created + 1, version=4)), "type": role}
                                                 for role in ("author", "artist")]}
        if people:
            for rel in obj["relationships"]:
                rel["attributes"] = {"name": f"Mangaka {self.created % 97}", "imageUrl": None, "biography": {}}
        if self.broken == "no-attributes":
            del obj["attributes"]
        return obj

    @classmethod
    def replay(cls, obj: dict[str, Any]) -> FakeManga:
        """Serve a real manga object as it is (its times, rating and languages drive filters)."""
        attrs = obj["attributes"]

        def epoch(value: str) -> int:
            return int(datetime.fromisoformat(value).timestamp())

        manga = cls(id=obj["id"], created=epoch(attrs["createdAt"]), updated=epoch(attrs["updatedAt"]),
                    rating=attrs.get("contentRating") or "safe",
                    languages=tuple(attrs.get("availableTranslatedLanguages") or ()),
                    latest=epoch(attrs["updatedAt"]) if attrs.get("latestUploadedChapter") else None)
        manga._body = json.dumps(obj, separators=(",", ":")).encode()
        return manga

    def body(self, people: bool = False) -> bytes:
        if self._body is not None:  # a replayed real object is served as it is
            return self._body
        if people not in self._bodies:
            self._bodies[people] = json.dumps(self.obj(people), separators=(",", ":")).encode()
        return self._bodies[people]

    def sort_value(self, key: str) -> int | None:
        return {"createdAt": self.created, "updatedAt": self.updated, "latestUploadedChapter": self.latest}[key]

    def statistics(self) -> dict[str, Any]:
        return {"comments": None, "follows": self.follows,
                "rating": {"average": self.average, "bayesian": self.bayesian, "distribution": {"10": 1}}}


def make_catalogue(n: int, *, seed: int = 1, porn: float = 0.08, runs: Iterable[tuple[int, int]] = (),
                   end: int | None = None, bad: int = 0) -> list[FakeManga]:
    """``n`` manga created over ~4 years up to an hour before ``end`` (default: now).

    ``runs`` lists ``(index, length)``: from ``index`` on, ``length`` manga share one createdAt
    second (a bulk import). ``bad`` manga among them are broken in ways the client must skip.
    """
    rng = random.Random(seed)
    end = int(time.time()) - 3600 if end is None else end
    starts = dict(runs)
    t = end - 4 * 365 * 86400
    step = max(1, (end - t) // max(n, 1) // 2)  # about half the span: room for runs and drift
    out, tie_left = [], 0
    for i in range(n):
        if tie_left:
            tie_left -= 1
        else:
            t = min(end, t + rng.randint(1, 2 * step - 1))
            tie_left = starts.get(i, 1) - 1
        roll = rng.random()
        rating = "pornographic" if roll < porn else rng.choice(("safe", "safe", "safe", "suggestive", "erotica"))
        updated = rng.randint(t, max(t, end - 7 * 86400)) if rng.random() < 0.97 else rng.randint(t, end)
        languages = ("en",) if rng.random() < 0.7 else (("fr", "es") if rng.random() < 0.5 else ())
        out.append(FakeManga(
            id=str(uuid.UUID(int=rng.getrandbits(128), version=4)), created=t, updated=updated,
            rating=rating, title=f"Manga {i}", tags=tuple(rng.sample(range(len(VOCABULARY)), rng.randint(1, 4))),
            languages=languages, latest=updated if languages else None, follows=rng.randint(0, 50_000),
            average=round(rng.uniform(1, 10), 4) if rng.random() < 0.9 else None,
            bayesian=round(rng.uniform(1, 10), 4) if rng.random() < 0.9 else None,
        ))
    for m in rng.sample(out, bad):
        m.broken = rng.choice(("bad-id", "no-attributes", "no-title"))
    return out


@dataclass
class Fault:
    """One scripted misbehaviour for the next ``times`` requests to ``path`` ("/" means any).

    ``kind``: "429" (with ``retry_after`` seconds and/or ``reset_in`` seconds, sent as the UNIX
    time ``X-RateLimit-Retry-After``), "400", "403" or "404" (a refusal, ErrorResponse body),
    "500", "503", "slow" (answer after ``delay`` s), "truncate" (200 with half the JSON) or
    "drop" (close the connection without an answer).
    """

    kind: str
    path: str = "/"
    retry_after: int | None = None
    reset_in: float | None = None
    delay: float = 0.0
    times: int = 1


@dataclass
class Hit:
    """One request as the server saw it."""

    t: float
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    status: int = 0
    answered: float = 0.0

    def values(self, key: str) -> list[str]:
        return [v for k, v in self.query if k == key]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real API
    disable_nagle_algorithm = True  # else delayed ACKs add ~40 ms to every keep-alive answer
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence the default log
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.server.dex.handle(self)

    def send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)
        except OSError:  # the client gave up (timeout) or was killed: nothing to answer
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    dex: FakeDex

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # broken pipes from clients that timed out are expected here


def _error(status: int, detail: str) -> bytes:
    return json.dumps({"result": "error", "errors": [
        {"id": str(uuid.uuid4()), "status": status, "title": "Bad Request", "detail": detail}]}).encode()


class FakeDex:
    """The fake API. Use as a context manager; ``url`` is its base URL."""

    def __init__(self, manga: list[FakeManga], *, window: int = WINDOW, strict_since: bool = False,
                 max_requests: int = 3000, rate_limit: float | None = None, rate_window: float = RATE_WINDOW,
                 jitter: float = 0.0, seed: int = 0):
        self.window, self.strict_since, self.max_requests = window, strict_since, max_requests
        self.rate_limit, self.rate_window = rate_limit, rate_window
        self.jitter = min(jitter, MAX_JITTER)
        self._rng = random.Random(seed)
        self.faults: list[Fault] = []
        self.hits: list[Hit] = []
        self.overflow = False
        self.held = threading.Event()
        self.release = threading.Event()
        self._hold: tuple[str, int] | None = None
        self._lock = threading.Lock()
        self._manga: dict[str, FakeManga] = {}
        self._cache: dict[Any, list[FakeManga]] = {}
        self.add(manga)
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.dex = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    # -- lifecycle ------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeDex:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

    # -- the catalogue --------------------------------------------------------------------------
    def add(self, manga: Iterable[FakeManga]) -> None:
        with self._lock:
            for m in manga:
                self._manga[m.id] = m
            self._cache.clear()

    def remove(self, ids: Iterable[str]) -> None:
        with self._lock:
            for i in ids:
                self._manga.pop(i, None)
            self._cache.clear()

    def touch(self, ids: Iterable[str], when: int, title_suffix: str = " (revised)") -> None:
        """Edit manga as a MangaDex editor would: new title, updatedAt = ``when``."""
        with self._lock:
            for i in ids:
                m = self._manga[i]
                m.title, m.updated, m.version, m._body = m.title + title_suffix, when, m.version + 1, None
                m._bodies.clear()
            self._cache.clear()

    def manga(self) -> list[FakeManga]:
        with self._lock:
            return list(self._manga.values())

    def hold(self, path: str, nth: int) -> None:
        """Hold the ``nth`` request to ``path`` open (setting ``held``) until ``release``."""
        self._hold = (path, nth)

    # -- requests -------------------------------------------------------------------------------
    def requests(self, path: str | None = None) -> list[Hit]:
        with self._lock:
            return [h for h in self.hits if path is None or h.path == path]

    def handle(self, h: _Handler) -> None:
        parts = urlsplit(h.path)
        if self.jitter:
            with self._lock:
                delay = self._rng.uniform(0.0, self.jitter)
            time.sleep(delay)  # the request is still on its way: it arrives after the delay
        hit = Hit(time.monotonic(), parts.path, parse_qsl(parts.query, keep_blank_values=True),
                  {k: v for k, v in h.headers.items()})
        with self._lock:
            self.hits.append(hit)
            count = len(self.hits)
            same_path = sum(1 for x in self.hits if x.path == hit.path)
            fault = self._take_fault(hit.path)
        if count > self.max_requests:
            self.overflow = True
            return self._answer(h, hit, 503, _error(503, "fake server request budget exhausted"))
        if self._hold and self._hold == (hit.path, same_path):
            self.held.set()
            self.release.wait(MAX_HOLD)
        if fault is None and self.rate_limit is not None:
            fault = self._over_rate(hit)
        if fault is not None and self._fault(h, hit, fault):
            return
        status, body = self._route(hit)
        self._answer(h, hit, status, body, self._budget_headers())

    def _answer(self, h: _Handler, hit: Hit, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        hit.status, hit.answered = status, time.monotonic()
        h.send(status, body, headers)

    def _take_fault(self, path: str) -> Fault | None:
        for f in self.faults:
            if f.path in ("/", path) and f.times > 0:
                f.times -= 1
                if f.times == 0:
                    self.faults.remove(f)
                return f
        return None

    def _over_rate(self, hit: Hit) -> Fault | None:
        # Strict: every arrival counts, refused ones too, and no slack for jitter; a client
        # that leaves no margin under the limit is caught as the real API would catch it.
        with self._lock:
            earlier = 0
            for x in reversed(self.hits):
                if hit.t - x.t >= self.rate_window + MAX_JITTER:
                    break  # hits are appended in arrival order, give or take a thread switch
                if x is not hit and 0.0 <= hit.t - x.t < self.rate_window:
                    earlier += 1
        if earlier >= self.rate_limit:
            return Fault("429", reset_in=1.0)
        return None

    def _budget_headers(self) -> dict[str, str]:
        if self.rate_limit is None:
            return {}
        return {"X-RateLimit-Limit": str(int(self.rate_limit)), "X-RateLimit-Remaining": "1"}

    def _fault(self, h: _Handler, hit: Hit, fault: Fault) -> bool:
        """Misbehave; True when the request is answered (or deliberately not)."""
        if fault.kind == "429":
            headers = {}
            if fault.retry_after is not None:
                headers["Retry-After"] = str(fault.retry_after)
            if fault.reset_in is not None:
                headers["X-RateLimit-Retry-After"] = str(int(time.time() + fault.reset_in + 0.999))
                headers["X-RateLimit-Remaining"] = "0"
            self._answer(h, hit, 429, _error(429, "You have been rate limited"), headers)
        elif fault.kind in ("400", "403", "404"):
            self._answer(h, hit, int(fault.kind), _error(int(fault.kind), f"Scripted refusal of {hit.path}"))
        elif fault.kind in ("500", "503"):
            self._answer(h, hit, int(fault.kind), _error(int(fault.kind), "Internal error"))
        elif fault.kind == "slow":
            time.sleep(min(fault.delay, MAX_DELAY))
            return False
        elif fault.kind == "truncate":
            status, body = self._route(hit)
            self._answer(h, hit, status, body[: len(body) // 2])
        elif fault.kind == "drop":
            hit.status = -1
            h.close_connection = True
        else:
            raise ValueError(f"unknown fault {fault.kind}")
        return True

    def _route(self, hit: Hit) -> tuple[int, bytes]:
        if hit.path == "/manga":
            return self._list(hit)
        if hit.path == "/manga/tag":
            data = [tag_object(t) for t in VOCABULARY]
            return 200, json.dumps({"result": "ok", "response": "collection", "data": data,
                                    "limit": len(data), "offset": 0, "total": len(data)}).encode()
        if hit.path == "/statistics/manga":
            return self._statistics(hit)
        return 404, _error(404, f"no route {hit.path}")

    def _list(self, hit: Hit) -> tuple[int, bytes]:
        q = dict(hit.query)
        try:
            limit, offset = int(q.get("limit", "10")), int(q.get("offset", "0"))
        except ValueError:
            return 400, _error(400, "limit and offset must be integers")
        if not 0 <= limit <= 100 or offset < 0:
            return 400, _error(400, "limit must be between 0 and 100")
        if offset + limit > self.window:
            return 400, _error(400, "Result window is too large")
        ratings = tuple(hit.values("contentRating[]")) or DEFAULT_RATINGS
        since = {}
        for key in ("createdAtSince", "updatedAtSince"):
            if key in q:
                if not SINCE_RE.match(q[key]):
                    return 400, _error(400, f"{key} must match YYYY-MM-DDTHH:MM:SS")
                since[key[:-5]] = int(datetime.strptime(q[key], "%Y-%m-%dT%H:%M:%S")
                                      .replace(tzinfo=UTC).timestamp())
        orders = [(k[6:-1], v) for k, v in hit.query if k.startswith("order[")] or [("latestUploadedChapter", "desc")]
        if len(orders) != 1 or orders[0][0] not in ("createdAt", "updatedAt", "latestUploadedChapter") \
                or orders[0][1] not in ("asc", "desc"):
            return 400, _error(400, "unsupported order")
        languages = tuple(hit.values("availableTranslatedLanguage[]"))
        chapters = q.get("hasAvailableChapters") in ("true", "1")
        selected = self._select(ratings, tuple(sorted(since.items())), orders[0], languages, chapters)
        page = selected[offset : offset + limit]
        people = {"author", "artist"} <= set(hit.values("includes[]"))
        body = b'{"result":"ok","response":"collection","data":[' + b",".join(m.body(people) for m in page) + \
            b'],"limit":%d,"offset":%d,"total":%d}' % (limit, offset, len(selected))
        return 200, body

    def _select(self, ratings: tuple[str, ...], since: tuple[tuple[str, int], ...], order: tuple[str, str],
                languages: tuple[str, ...], chapters: bool) -> list[FakeManga]:
        key = (ratings, since, order, languages, chapters)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
            field_, direction = order
            rows = [m for m in self._manga.values() if m.rating in ratings
                    and all((m.sort_value(f) > t) if self.strict_since else (m.sort_value(f) >= t) for f, t in since)
                    and (not languages or set(languages) & set(m.languages))
                    and (not chapters or m.latest is not None)]
            rows.sort(key=lambda m: (m.sort_value(field_) or 0, m.id), reverse=direction == "desc")
            if len(self._cache) > 256:
                self._cache.clear()
            self._cache[key] = rows
            return rows

    def _statistics(self, hit: Hit) -> tuple[int, bytes]:
        ids = hit.values("manga[]")
        if not ids or len(ids) > 100:
            return 400, _error(400, "manga[] takes 1 to 100 ids")
        if not all(UUID_RE.match(i) for i in ids):
            return 400, _error(400, "manga[] must be UUIDs")
        with self._lock:
            stats = {i: self._manga[i].statistics() for i in ids if i in self._manga}
        return 200, json.dumps({"result": "ok", "statistics": stats}).encode()



# -- helpers shared by the fetch tests --------------------------------------------------------


def fetch_config(dex: FakeDex, data_dir: Any, **overrides: Any) -> Any:
    """A FetchConfig aimed at ``dex``: fast (rate 1000/s), short timeouts and backoff."""
    from pathlib import Path

    from sitegen.config import FetchConfig

    settings = dict(api_url=dex.url, data_dir=Path(data_dir), rate=1000.0, timeout=5.0, max_retries=3,
                    backoff_cap=0.05, result_window=dex.window)
    settings.update(overrides)
    return FetchConfig(**settings)


def snapshot_lines(path: Any) -> list[dict[str, Any]]:
    """Every line of a snapshot, decoded (duplicates kept, so tests can count them)."""
    import gzip

    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def expected_ids(manga: Iterable[FakeManga], ratings: Iterable[str] = DEFAULT_RATINGS) -> set[str]:
    """Ids a complete crawl of ``ratings`` must deliver (broken records excluded)."""
    ratings = set(ratings)
    return {m.id for m in manga if m.rating in ratings and not m.broken}


def merge_run(manga: list[FakeManga], start_rank: int, length: int,
              ratings: Iterable[str] = DEFAULT_RATINGS) -> int:
    """Give the manga of ranks ``start_rank`` .. ``+length`` (createdAt order, among ``ratings``)
    one shared createdAt second, so that a bulk import straddles that rank; returns the second."""
    ratings = set(ratings)
    ranked = sorted((m for m in manga if m.rating in ratings), key=lambda m: (m.created, m.id))
    first, last = ranked[start_rank].created, ranked[start_rank + length - 1].created
    for m in manga:
        if first <= m.created <= last:
            m.created, m._body = first, None
            m._bodies.clear()
            m.updated = max(m.updated, first)
    return first


def crawl_requests(hits: Iterable[Hit]) -> list[Hit]:
    """The GET /manga requests of the catalogue walk (not the feed's)."""
    return [h for h in hits if h.path == "/manga" and not h.values("order[latestUploadedChapter]")]


def max_per_window(times: list[float], width: float) -> int:
    """Most of ``times`` falling inside any interval of ``width`` seconds."""
    times, best, j = sorted(times), 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - width:
            j += 1
        best = max(best, i - j + 1)
    return best
