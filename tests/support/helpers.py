"""Test helpers: MangaDex-shaped manga objects, catalogues made from them, serving a built site."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import threading
import uuid
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from sitegen.models.base import Model
from sitegen.sources import synthetic
from sitegen.sources.catalogue import Catalogue, Manga, build_catalogue, parse_lines
from sitegen.sources.vocabulary import VOCABULARY, Tag

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"


def manga_object(title="A Title", tags=("Romance", "Comedy"), *, manga_id=None, follows=None, **attributes):
    """A MangaDex-shaped manga object with tags given by English name."""
    by_name = {t.name: t for t in VOCABULARY}
    obj = {
        "id": manga_id or str(uuid.uuid5(uuid.NAMESPACE_URL, json.dumps(title, sort_keys=True))),
        "type": "manga",
        "attributes": {
            "title": {"en": title} if isinstance(title, str) else title,
            "altTitles": [],
            "description": {"en": "A story."},
            "tags": [
                {"id": by_name[n].id, "type": "tag",
                 "attributes": {"name": {"en": n}, "group": by_name[n].group, "description": {}, "version": 1},
                 "relationships": []}
                for n in tags
            ],
            "contentRating": "safe",
            **attributes,
        },
        "relationships": [],
    }
    if follows is not None:
        obj["statistics"] = {"follows": follows, "rating": {"average": 7.0, "bayesian": 7.0}}
    return obj


def catalogue_of(objects) -> Catalogue:
    manga, vocabulary, _ = parse_lines(json.dumps(o) for o in objects)
    return build_catalogue(manga, vocabulary)


def awkward_catalogue(n: int, seed: int, *, isolated: bool = True, pair: bool = True) -> Catalogue:
    """``n`` synthetic manga, plus an isolated manga and/or a pair linked only to each other."""
    manga, vocabulary, _ = parse_lines(synthetic.lines(synthetic.generate(n, seed=seed)))
    extra = []
    for number, (wanted, copies) in enumerate(((isolated, 1), (pair, 2)), start=1):
        if wanted:
            tag = Tag(str(uuid.UUID(int=number)), f"Only here {number}", "theme")
            vocabulary[tag.id] = tag
            extra += [
                Manga(id=str(uuid.UUID(int=100 * number + c)), title=f"x{number}{c}", tag_ids=(tag.id,))
                for c in range(copies)
            ]
    return build_catalogue([*manga, *extra], vocabulary, synthetic=True)


# -- browser tests -------------------------------------------------------------------------------

CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def require_browser() -> None:
    """Skip without Chromium and Playwright, except in CI, where .ci/run must have installed them."""
    missing = not Path(CHROMIUM).exists()
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing = True
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"Chromium ({CHROMIUM}) or playwright missing in CI: .ci/run must install them")
        pytest.skip("Chromium or playwright not installed")


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(directory: Path):
    """Serve a built site on 127.0.0.1 (a free port); yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()


# -- comparing neighbour lists across computations ------------------------------------------------

def assert_same_neighbours(a, b, *, steps: float = 1.0) -> None:
    """Two searches agree up to what floating point can promise: distances within ``steps`` of
    the tie grid, and the same manga at every place whose distance is not tied within that band.

    Two computations of one distance (different matrix shapes, BLAS kernels or processors) round
    differently in the last bits, so a value on a grid boundary can land one step either side and
    swap two nearly tied manga; anything more is a real disagreement.
    """
    from sitegen.analysis.neighbours import GRID

    band = steps / GRID * 1.01
    assert a.indices.shape == b.indices.shape
    assert np.abs(a.distances.astype(np.float64) - b.distances).max(initial=0.0) <= band
    for r in range(a.indices.shape[0]):
        da, db = a.distances[r].astype(np.float64), b.distances[r].astype(np.float64)
        edge = max(da[-1], db[-1]) - band  # past this, a tie may cross the list's end
        # what one search lists clearly inside, the other lists too (a manga one step inside the
        # edge in one may be one step past it in the other, and still listed by both)
        sure_a, sure_b = set(a.indices[r][da < edge]), set(b.indices[r][db < edge])
        missing = (sure_a - set(b.indices[r])) | (sure_b - set(a.indices[r]))
        assert not missing, f"row {r}: {sorted(missing)} listed by one search only"
        for p in range(len(da)):
            if a.indices[r, p] != b.indices[r, p]:
                j = b.indices[r, p]
                q = np.flatnonzero(a.indices[r] == j)
                assert not len(q) or abs(da[q[0]] - db[p]) <= band, f"row {r}: manga {j} placed apart"


def copy_site(site: Path, target: Path) -> Path:
    """A copy of a built site that a test may change without touching the shared one."""
    shutil.copytree(site, target)
    return target


# -- reading built pages ---------------------------------------------------------------------------

class PageParts(HTMLParser):
    """What a built page is made of: script sources, JSON data blocks, links, element ids, text."""

    def __init__(self):
        super().__init__()
        self.scripts, self.data_blocks, self.links, self.ids, self.text = [], {}, [], set(), []
        self._block = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            if a.get("type") == "application/json":
                self._block = a.get("id", "")
                self.data_blocks[self._block] = ""
            else:
                self.scripts.append(a.get("src"))  # None for an inline script
        if tag == "a":
            self.links.append(a.get("href"))
        if "id" in a:
            self.ids.add(a["id"])

    def handle_endtag(self, tag):
        if tag == "script":
            self._block = None

    def handle_data(self, data):
        if self._block is not None:
            self.data_blocks[self._block] += data
        else:
            self.text.append(data)


def page_parts(path: Path) -> PageParts:
    parts = PageParts()
    parts.feed(path.read_text(encoding="utf-8"))
    return parts


def wait_until(page, expression: str, arg=None, *, timeout: float = 30.0) -> None:
    """Wait until ``expression`` (a JS expression or function of ``arg``) is truthy in ``page``.

    Playwright's own ``wait_for_function`` polls inside the page with ``new Function``, which the
    pages' Content-Security-Policy forbids ('unsafe-eval'), so it fails whenever the condition is
    not already true at its first look. ``page.evaluate`` runs through the DevTools protocol,
    which the policy does not govern, so polling from here keeps the policy on in every test.
    """
    import time

    from playwright.sync_api import Error

    deadline = time.monotonic() + timeout
    while True:
        try:
            if page.evaluate(expression, arg) if arg is not None else page.evaluate(expression):
                return
        except Error as err:  # a navigation replaced the page's context: look again
            if "context was destroyed" not in str(err) and "navigat" not in str(err):
                raise
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for: {expression}")
        page.wait_for_timeout(50)


class Fixed(Model):
    """A model whose vectors are given, for checking the search itself."""

    name = "fixed"
    label = "Fixed"
    summary = "given vectors"

    def __init__(self, vectors, metric="cosine"):
        super().__init__(seed=0)
        self.vectors = np.asarray(vectors, dtype=np.float32)
        self.metric = metric

    def fit(self, catalogue=None):
        self.embedding_ = self.vectors
        return self
