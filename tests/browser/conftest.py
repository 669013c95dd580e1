"""The browser tests' site: the session's demo site (``built_site``), served once over HTTP."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from sitegen.site.contract import FILES, PAGES
from sitegen.site.data import unpack_list
from sitegen.site.packed import Scale, unpack
from sitegen.site.render import read_data
from support.helpers import copy_site, require_browser, serve

PAGE_FILES = {p.key: p.file for p in PAGES}


@dataclass(frozen=True)
class Served:
    """A built site on a local server: its base URL and directory."""

    base: str
    root: Path

    def data(self, kind: str, n: int | None = None) -> Any:
        """A data file, found where the site contract says it lives."""
        return read_data(self.root / FILES[kind].name(n))

    def neighbours(self, n: int) -> dict[str, list[list[int]]]:
        """Each model's lists of catalogue indices for the manga of pick shard ``n``, from the
        per-model files."""
        index = self.data("catalogue")
        start, stop = n * index["shard_size"], min(index["n"], (n + 1) * index["shard_size"])
        out = {}
        shard = self.data("shard", n)
        for m in index["models"]:
            if m["name"] == index["default"]:  # the default model's lists are in the pick shards
                out[m["name"]] = [unpack_list(li, di)[0] for li, di in zip(shard["list"], shard["dist"])]
                continue
            rows = []
            for f in range(start // index["compare_size"], (stop - 1) // index["compare_size"] + 1):
                first, (idx,), _ = unpack((self.root / FILES["neighbours"].name(f, m["name"])).read_bytes(),
                                          [Scale(m["lo"], m["step"])])
                rows += [r.tolist() for i, r in enumerate(idx, first) if start <= i < stop]
            out[m["name"]] = rows
        return out

    def whole(self) -> dict[str, Any]:
        """The catalogue index with every manga's columns (``manga``: ``id``, ``title``, ``alt``,
        ``tags``, ``year``, ``rating``, ``follows``...), put together from the list columns and the
        pick shards: what a test needs to choose manga, never what a page loads."""
        index = self.data("catalogue")
        manga = {k: list(v) for k, v in self.data("columns").items() if k != "version"}
        for key in ("id", "alt", "follows", "score"):
            manga[key] = []
        for n in range(-(-index["n"] // index["shard_size"])):
            shard = self.data("shard", n)
            for key in ("id", "alt", "follows", "score"):
                manga[key] += shard[key]
        manga["follows"] = [f or 0 for f in manga["follows"]]
        return {**index, "manga": manga}

    def url(self, page: str, **params: str) -> str:
        """The address of a page by its contract key ("explore", "maps", "feed"), with a query."""
        return self.base + PAGE_FILES[page] + ("?" + urlencode(params) if params else "")


@pytest.fixture(scope="session")
def served(request):
    """The shared demo site (``built_site``) on a local server. Tests read it, never change it:
    one that must change files serves a copy (``support.helpers.copy_site``)."""
    require_browser()  # first: without a browser, there is no need to build the site
    out, _, _ = request.getfixturevalue("built_site")
    with serve(out) as base:
        yield Served(base, out)



@pytest.fixture(scope="session")
def serve_copy(served, tmp_path_factory):
    """Serve a changed copy of the demo site: ``with serve_copy(change) as site``, where
    ``change(root)`` edits the copy's files before it is served."""
    @contextmanager
    def serving(change):
        root = copy_site(served.root, tmp_path_factory.mktemp("changed") / "_site")
        change(root)
        with serve(root) as base:
            yield Served(base, root)

    return serving
