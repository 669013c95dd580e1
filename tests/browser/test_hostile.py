"""A hostile catalogue, end to end in Chromium: no script runs and no request leaves the site.

Titles, alternative titles, descriptions and tag names carry the payloads found against earlier
builds (attr_list braces, Markdown links and images, ``javascript:``, ``</script>``, pipes, RTL
overrides, event handlers). Every page is opened and used as a reader would: search and pick,
add to the library, hover every point of a map. The ``page`` fixture fails on any dialog, console
error (which includes Content-Security-Policy violations) or page error.
"""

from __future__ import annotations

import json
import uuid
from urllib.request import urlopen

import pytest

from sitegen.build import build
from sitegen.config import BuildConfig, replace
from sitegen.site.contract import FILES, PAGES
from sitegen.site.maps import unpack_map
from support.helpers import require_browser, serve, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAYLOADS = [
    "zz {onmouseover=alert(1) tabindex=1 autofocus=1 onfocus=alert(2)}",
    "[x](javascript:alert(3))",
    '![i](https://tracker.example/p.gif" onerror="alert(4))',
    "</script><script>alert(5)</script>",
    "<img src=x onerror=alert(6)>",
    "a | b | c",
    "R\u202eTL override\u202c and more",
    '"><svg onload=alert(7)>',
    "javascript:alert(8)",
]
GROUPS = ("genre", "theme", "format", "content")


def hostile_tags() -> list[dict]:
    return [{"id": str(uuid.UUID(int=1000 + i)), "type": "tag",
             "attributes": {"name": {"en": f"{p} {i}"}, "group": GROUPS[i % 4], "description": {}, "version": 1},
             "relationships": []} for i, p in enumerate(PAYLOADS)]


def hostile_catalogue(n: int = 60) -> list[dict]:
    tags = hostile_tags()
    out = []
    for i in range(n):
        payload = PAYLOADS[i % len(PAYLOADS)]
        out.append({
            "id": str(uuid.UUID(int=5000 + i)), "type": "manga",
            "attributes": {
                "title": {"en": f"{payload} #{i}"},
                "altTitles": [{"ja": f"\u202e{payload}"}, {"ar": "\u0645\u0627\u0646\u062c\u0627 " + str(i)}],
                "description": {"en": f"{payload}\n\n[**x](http://x.example/**y)z** [a](javascript:alert(9)) "
                                      f"![p](https://tracker.example/q.gif) <iframe src=//evil.example>"},
                "tags": [tags[i % len(tags)], tags[(i * 7 + 3) % len(tags)]],
                "contentRating": "safe", "year": 2000 + i % 20, "status": "ongoing",
                "updatedAt": f"2024-01-{1 + i % 28:02d}T00:00:00+00:00",
            },
            "relationships": [],
            "statistics": {"follows": 1000 - i, "rating": {"average": 7.0, "bayesian": 7.0}},
        })
    return out


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    require_browser()
    root = tmp_path_factory.mktemp("hostile")
    path = root / "catalogue.jsonl"
    path.write_text("\n".join(json.dumps(m) for m in hostile_catalogue()), encoding="utf-8")
    out = root / "_site"
    build(replace(BuildConfig(seed=1), **{
        "catalogue.source": "file", "catalogue.path": path, "site.out": out, "models.names": ("lsi", "word2vec"),
        "projection.method": "pca", "projection.size": 60, "feed.size": 60}))
    with serve(out) as base:
        yield base


@pytest.fixture
def guarded(page, hostile):
    """The page, with every request that is not to the local site refused and recorded."""
    outside = []

    def route(r):
        if r.request.url.startswith(hostile):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    yield page, hostile
    assert outside == []


def test_explore_picks_a_hostile_manga_and_shows_it_as_text(guarded):
    page, base = guarded
    page.goto(base + PAGES[0].file)
    wait_until(page, "document.getElementById('status').textContent.includes('Type to search')")
    page.fill("#search-input", "onerror")
    page.wait_for_selector("#search-results li")
    page.keyboard.press("Enter")
    page.wait_for_selector(".column .neighbour")
    assert "onerror" in page.inner_text("#manga-title")
    assert page.locator("#manga-title").get_attribute("dir") == "auto"
    assert page.locator("#manga-alt bdi").count() == 2
    assert page.locator("#manga-desc img, #manga-desc iframe, #manga-desc script").count() == 0
    assert page.locator("#manga-desc a[href^='javascript']").count() == 0
    assert page.evaluate("document.querySelectorAll('[onerror], [onload], [onfocus], [onmouseover]').length") == 0
    page.locator("#library-toggle").click()


def test_every_page_and_every_map_point(guarded):
    page, base = guarded
    for p in ("index.html", "feed.html", "methods.html", "comparison.html", "about.html", "tags.html"):
        page.goto(base + p)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.querySelectorAll('[onerror], [onload], [onfocus], [onmouseover]').length") == 0
    rows = page.locator("table").last.locator("tbody tr")  # tags.html: one row per tag, pipes and all
    assert rows.count() >= len(PAYLOADS)
    page.goto(base + "plots.html")
    wait_until(page, "document.getElementById('plot').dataset.titles === 'ready'")
    # every point of the map shown, from its file (the page may paint them on a canvas, not as traces)
    maps = json.loads(urlopen(base + FILES["projections"].name()).read())
    shown_map = maps["models"][0]["maps"][maps["methods"][0]]
    xy = unpack_map(urlopen(base + FILES["map"].name(shown_map["file"])).read()).tolist()
    points = page.evaluate("""(xy) => {
        const gd = document.getElementById('plot'), fl = gd._fullLayout, r = gd.getBoundingClientRect();
        return xy.map(([x, y]) => [r.left + fl._size.l + fl.xaxis.l2p(x), r.top + fl._size.t + fl.yaxis.l2p(y)]);
    }""", xy)
    assert len(points) == 60
    shown = set()
    for x, y in points:  # the page's own hover box (Plotly's hover is off at this scale)
        page.mouse.move(x, y)
        tip = page.locator("#plot-tip:not([hidden])")
        if tip.count():
            shown.add(tip.first.text_content())
    assert shown and any("<img" in s or "onerror" in s for s in shown)  # payloads shown as text
    assert page.locator("#plot-tip img, .legend img, .plot-labels img").count() == 0
