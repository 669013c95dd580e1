"""Shared fixtures: a small synthetic catalogue, made once per session."""

from __future__ import annotations

import re

import pytest

from sitegen.sources import synthetic
from sitegen.sources.catalogue import Catalogue, build_catalogue, parse_lines
from support.helpers import CHROMIUM, CHROMIUM_ARGS, require_browser

# Layers in order: unit tests of each folder, then end-to-end, CLI and layout tests, browser tests last.
_LAYERS = ("sources", "models", "analysis", "site")


def pytest_collection_modifyitems(items):
    def layer(item):
        parts = item.path.relative_to(item.config.rootpath / "tests").parts
        if parts[0] in _LAYERS:
            return _LAYERS.index(parts[0])
        return len(_LAYERS) + (1 if parts[0] == "browser" else 0)

    items.sort(key=layer)  # stable: the order within a layer is kept


@pytest.fixture(scope="session")
def demo_records():
    return synthetic.generate(600, seed=7)


@pytest.fixture(scope="session")
def demo_catalogue(demo_records) -> Catalogue:
    manga, vocabulary, _ = parse_lines(synthetic.lines(demo_records))
    return build_catalogue(manga, vocabulary, synthetic=True, source="synthetic demo")


# Chromium's own notes from its software WebGL renderer, logged when Plotly probes WebGL: they
# come from the browser, not the page, and are the only console warnings a page may cause.
DRIVER_NOTE = re.compile(r"^\[\.WebGL-0x[0-9a-f]+\]GL Driver Message \(OpenGL, Performance, [^)]*\): "
                         r"GPU stall due to ReadPixels( \(this message will no longer repeat\))?$")


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (no browser download)."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A fresh page that fails the test on any console error or warning, page error or dialog."""
    context = browser.new_context()
    pg = context.new_page()
    problems = []

    def on_console(message):
        if message.type in ("error", "warning") and not DRIVER_NOTE.match(message.text):
            problems.append(f"console {message.type}: {message.text}")

    pg.on("console", on_console)
    pg.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    pg.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    yield pg
    context.close()
    assert problems == []


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """One small demo site, built once per session for every test that only reads it.

    Every model, PCA maps of every manga and a UMAP map for LSI, 32-manga shards so that several exist.
    Returns the site's directory, the build's report and its config. Tests that change a site
    copy it first (:func:`support.helpers.copy_site`).
    """
    from sitegen.build import build
    from sitegen.config import BuildConfig, replace

    out = tmp_path_factory.mktemp("site") / "_site"
    config = replace(BuildConfig(seed=9), **{
        "catalogue.demo_size": 500, "site.out": out, "site.shard_size": 32, "feed.size": 120,
        "projection.umap_models": ("lsi",)})
    report = build(config)
    return out, report, config
