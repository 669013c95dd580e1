"""The pages and the site contract: the scripts take every constant from it (static/js/site.js),
say clearly when a data file is not the layout they read, and run no inline JavaScript."""

from __future__ import annotations

import gzip
from contextlib import ExitStack
from html.parser import HTMLParser

import pytest

from sitegen.site.contract import FILES, browser_constants
from sitegen.site.render import data_bytes, read_data
from support.helpers import ROOT, wait_until

SCRIPTS = sorted((ROOT / "static/js").glob("*.js"))  # the pages' own; vendored libraries live elsewhere
RESTATED = ("data/", "index.html", "plots.html", "feed.html", "pornographic", "[0-9a-f]{8}", "padStart(4")
REBUILD = "rebuild the site with python build.py"


# -- without a browser ---------------------------------------------------------------------------


def test_the_shared_module_is_there_and_the_old_global_is_gone():
    names = [p.name for p in SCRIPTS]
    assert "site.js" in names and "library.js" in names and "titlesearch.js" not in names


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_page_scripts_restate_nothing_of_the_contract(script):
    text = script.read_text("utf-8")
    assert [word for word in RESTATED if word in text] == []


class Markup(HTMLParser):
    """Scripts, event-handler attributes, script URLs and checkboxes of a page."""

    def __init__(self):
        super().__init__()
        self.scripts, self.handlers, self.script_urls, self.boxes = [], [], [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            self.scripts.append(a)
        self.handlers += [f"{tag} {k}" for k in a if k.startswith("on")]
        self.script_urls += [v for k, v in a.items() if k in ("href", "src", "action") and v
                             and v.strip().lower().startswith("javascript:")]
        if tag == "input" and a.get("type") == "checkbox":
            self.boxes.append(a)


def markup(path) -> Markup:
    parsed = Markup()
    parsed.feed(path.read_text("utf-8"))
    return parsed


def test_built_pages_run_no_inline_javascript(built_site):
    """Only script files and the JSON contract: a Content-Security-Policy can forbid inline code."""
    out, _, _ = built_site
    pages = sorted(out.glob("*.html"))
    assert len(pages) >= 4
    for path in pages:
        page = markup(path)
        assert page.handlers == [] and page.script_urls == [], path.name
        for script in page.scripts:
            assert script.get("src") or script == {"type": "application/json", "id": "site-contract"}, path.name
        assert [s["src"] for s in page.scripts if s.get("src")][0] == "static/js/site.js", path.name


def test_rating_filters_are_rendered_from_the_contract(built_site):
    out, _, _ = built_site
    contract = browser_constants()
    for key in ("explore", "feed"):
        boxes = [b for b in markup(out / contract["pages"][key]).boxes if b.get("name") == "rating"]
        assert [b["value"] for b in boxes] == contract["content_ratings"]
        assert [b["value"] for b in boxes if "checked" in b] == contract["default_ratings"]


# -- in the browser ------------------------------------------------------------------------------


@pytest.mark.browser
def test_site_module_agrees_with_the_python_contract(served, page):
    page.goto(served.url("explore"))
    wait_until(page, "window.Site && window.Library")
    assert page.evaluate("Site.contract") == browser_constants()
    for kind, spec in FILES.items():
        numbers = (0, 7, 12345) if "{n}" in spec.path else (None,)
        model = "lsi" if "{m}" in spec.path else None
        for n in numbers:
            assert page.evaluate("([k, n, m]) => Site.dataPath(k, n, m)", [kind, n, model]) == spec.name(n, model)
    assert page.evaluate("() => { try { return Site.dataPath('shard'); } catch (err) { return err.message; } }") == \
        f"{FILES['shard'].path} needs a number >= 0, got undefined"
    manga_id = served.whole()["manga"]["id"][0]
    assert page.evaluate("id => Site.isId(id) && !Site.isId(id.toUpperCase()) && !Site.isId(id + ' ')", manga_id)
    assert page.evaluate("id => Site.pageUrl('explore', {id, models: ['a', 'b'], tag: null})", manga_id) == \
        f"{browser_constants()['pages']['explore']}?id={manga_id}&models=a,b"
    assert page.evaluate("id => Site.mangadexUrl(id)", manga_id) == browser_constants()["mangadex_title_url"] + manga_id
    assert page.evaluate("Object.isFrozen(Site) && Object.isFrozen(Site.contract.files.shard) && Object.isFrozen(Library)")


def stale_name(served, kind):
    """The file of ``kind`` a stale copy changes: the first one, for a per-model file the first
    model that Compare shows besides the default (whose list is in the pick shard)."""
    index = served.data("catalogue")
    model = next(m["name"] for m in index["models"] if m["on"] and m["name"] != index["default"])
    spec = FILES[kind]
    return spec.name(0 if "{n}" in spec.path else None, model if "{m}" in spec.path else None)


@pytest.fixture(scope="module")
def stale(served, serve_copy):
    """Copies of the demo site, each with one data file in the next layout version: ``stale(kind)``
    serves the copy for ``kind`` (its first file of that kind changed)."""
    copies = {}
    with ExitStack() as stack:
        def get(kind):
            if kind not in copies:
                def change(root):
                    path = root / stale_name(served, kind)
                    if path.suffix == ".bin":  # the version is the header's fifth byte (gzipped or not)
                        raw = path.read_bytes()
                        zipped = raw[:2] == b"\x1f\x8b"
                        raw = bytearray(gzip.decompress(raw) if zipped else raw)
                        raw[4] = FILES[kind].version + 1
                        path.write_bytes(gzip.compress(bytes(raw), mtime=0) if zipped else bytes(raw))
                        return
                    data = read_data(path)
                    data["version"] = FILES[kind].version + 1
                    path.write_bytes(data_bytes(path.name, data))
                copies[kind] = stack.enter_context(serve_copy(change))
            return copies[kind]
        yield get


@pytest.mark.browser
@pytest.mark.parametrize("kind, key, status, doing", [
    ("catalogue", "explore", "#status", "Could not load the catalogue: "),
    ("catalogue", "feed", "#feed-status", "Could not load the feed: "),
    ("catalogue", "maps", "#plot-status", "Could not draw the maps: "),
    ("shard", "explore", "#columns .error", "Could not load this manga: "),
    ("columns", "explore", "#columns .error", "Could not load the lists: "),  # Compare's
    ("neighbours", "explore", "#columns .error", "Could not load the lists: "),
    ("feed", "feed", "#feed-status", "Could not load the feed: "),
    ("projections", "maps", "#plot-status", "Could not draw the maps: "),
])
def test_a_data_file_of_another_layout_version_asks_for_a_rebuild(stale, served, page, kind, key, status, doing):
    site = stale(kind)
    spec = FILES[kind]
    first = {"id": site.whole()["manga"]["id"][0]}
    page.goto(site.url(key, **first) if kind == "shard" else
              site.url(key, **first, view="compare") if kind in ("neighbours", "columns") else site.url(key))
    wait_until(page, "s => { const e = document.querySelector(s); return e && e.classList.contains('error'); }",
                           arg=status)
    name = stale_name(served, kind)
    assert page.text_content(status) == (f"{doing}{name} holds layout version {spec.version + 1}, "
                                         f"this page reads version {spec.version}: {REBUILD}")


@pytest.mark.browser
def test_a_missing_data_file_is_named_with_its_http_status(served, browser):
    """A page that cannot fetch a data file says which one and why (the page fixture would fail
    on the browser's own console note about the failed request, so this test listens itself)."""
    context = browser.new_context()
    page = context.new_page()
    problems = []
    page.on("console", lambda m: m.type in ("error", "warning") and "404" not in m.text and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.route("**/" + FILES["feed"].name(), lambda route: route.fulfill(status=404, body="not here"))
    page.goto(served.url("feed"))
    wait_until(page, "document.getElementById('feed-status').classList.contains('error')")
    assert page.text_content("#feed-status") == f"Could not load the feed: {FILES['feed'].name()}: HTTP 404"
    context.close()
    assert problems == []
