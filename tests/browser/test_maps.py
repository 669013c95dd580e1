"""Browser truth for the maps page: Plotly draws, selectors and search work, clicks open Explore.

The ``browser`` and ``page`` fixtures live in conftest.py; ``page`` fails on any console error or
warning except Chromium's own software-WebGL driver notes, which Plotly's WebGL probe causes.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from sitegen.models import REGISTRY
from sitegen.site.contract import FILES, PAGES
from support.helpers import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # Plotly: every test takes over 5 s

HOSTILE = "<img src=x onerror=alert(1)> Academy"
DRAWN = ("m => document.getElementById('plot').dataset.model === m"
         " && document.querySelector('.js-plotly-plot canvas, .js-plotly-plot .scatterlayer .trace')")
EXPLORE = next(p.file for p in PAGES if p.key == "explore")


@pytest.fixture(scope="module")
def site(served):
    """The served demo site with its catalogue and projections."""
    return served, {kind: served.data(kind) for kind in ("catalogue", "projections")}


@pytest.fixture(scope="module")
def hostile_site(served, serve_copy):
    """A copy of the demo site where a mapped manga bears the hostile title (the demo's own hostile
    titles are among its least followed, which the map leaves out), with its catalogue."""
    index = served.data("catalogue")
    index["manga"]["title"][served.data("projections")["sample"][10]] = HOSTILE

    def change(root):
        (root / FILES["catalogue"].name()).write_text(json.dumps(index), "utf-8")

    with serve_copy(change) as copy:
        yield copy, index


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def ringed_point(page) -> tuple[float, float]:
    """Where the found title's ring (the last trace) is on the page, in CSS pixels."""
    return tuple(page.evaluate("""() => {
        const gd = document.getElementById('plot'), fl = gd._fullLayout, r = gd.getBoundingClientRect();
        const t = gd._fullData[gd._fullData.length - 1];
        return [r.left + fl._size.l + fl.xaxis.l2p(t.x[0]), r.top + fl._size.t + fl.yaxis.l2p(t.y[0])];
    }"""))


def test_map_draws_and_model_and_tag_travel_in_the_url(site, page):
    served, data = site
    first, second = list(REGISTRY)[:2]
    page.goto(served.url("maps"))
    wait_until(page, DRAWN, arg=first)
    assert page.locator(".js-plotly-plot canvas").count() >= 1  # scattergl draws on WebGL canvases
    mapped = len(data["projections"]["sample"])
    assert f"{mapped} manga mapped by {len(REGISTRY)} models" in page.text_content("#plot-status")
    page.select_option("#plot-model", second)
    wait_until(page, DRAWN, arg=second)
    tags = data["catalogue"]["tags"]
    romance = next(str(t) for t, tag in enumerate(tags) if tag["name"] == "Romance")
    page.select_option("#plot-tag", romance)
    wait_until(page, "document.getElementById('plot-status').textContent.includes('tagged Romance')")
    assert query(page.url) == {"model": second, "tag": "Romance"}
    legend = page.text_content(".legend")
    assert "with Romance" in legend and "without Romance" in legend
    page.reload()
    wait_until(page, DRAWN, arg=second)
    assert page.input_value("#plot-model") == second and page.input_value("#plot-tag") == romance


def test_search_centres_a_title_and_a_click_opens_explore(site, page):
    served, data = site
    manga, sample = data["catalogue"]["manga"], data["projections"]["sample"]
    target = next(i for i in sample[5:] if len(manga["title"][i].split()) >= 2 and manga["title"][i].isascii()
                  and "<" not in manga["title"][i])
    page.goto(served.url("maps"))
    wait_until(page, DRAWN, arg=list(REGISTRY)[0])
    page.fill("#plot-search", manga["title"][target].split()[0] + " " + manga["title"][target].split()[1][:3])
    option = page.locator("#plot-results li", has_text=manga["title"][target]).first
    option.wait_for()
    option.click()
    wait_until(page, "document.querySelector('.legend') && document.querySelectorAll('.legend .traces').length === 2")
    assert query(page.url)["id"] == manga["id"][target]
    assert page.get_attribute("#plot-focus-link", "href") == f"{EXPLORE}?id={manga['id'][target]}"
    x, y = data["projections"]["models"][list(REGISTRY)[0]][sample.index(target)]
    xr, yr = page.evaluate("[document.getElementById('plot').layout.xaxis.range, document.getElementById('plot').layout.yaxis.range]")
    assert abs(sum(xr) / 2 - x) < 1e-6 and abs(sum(yr) / 2 - y) < 1e-6  # centred on the found title
    with page.expect_navigation():  # a real click on the ringed point
        page.mouse.click(*ringed_point(page))
    opened = query(page.url)["id"]
    assert urlsplit(page.url).path.endswith("/" + EXPLORE)
    j = manga["id"].index(opened)  # a manga of the map, drawn on that very spot (twins share a spot)
    assert data["projections"]["models"][list(REGISTRY)[0]][sample.index(j)] == [x, y]
    wait_until(page, "id => document.getElementById('manga-title').textContent.length > 0", arg=opened)


def test_click_handler_opens_explore_and_hostile_titles_stay_text(hostile_site, page):
    served, index = hostile_site
    manga = index["manga"]
    i = manga["title"].index(HOSTILE)
    model = list(REGISTRY)[2]
    page.goto(served.url("maps", model=model, id=manga["id"][i]))
    wait_until(page, DRAWN, arg=model)
    assert page.text_content("#plot-focus-title") == HOSTILE
    assert HOSTILE in page.text_content(".legend")  # escaped for Plotly, shown as text
    page.mouse.move(*ringed_point(page))
    wait_until(page, "document.querySelector('.hoverlayer') && document.querySelector('.hoverlayer').textContent.length > 0")
    assert HOSTILE in page.text_content(".hoverlayer")
    assert page.locator("#plot img, .hoverlayer img").count() == 0
    with page.expect_navigation():  # the handler Plotly calls on a click, given that point
        page.evaluate("i => document.getElementById('plot').emit('plotly_click', {points: [{customdata: i}]})", i)
    assert query(page.url) == {"id": manga["id"][i]}
    wait_until(page, "t => document.getElementById('manga-title').textContent === t", arg=HOSTILE)


NO_WEBGL = """(() => {
    const original = HTMLCanvasElement.prototype.getContext;
    HTMLCanvasElement.prototype.getContext = function (kind, ...rest) {
        return /webgl/.test(kind) ? null : original.call(this, kind, ...rest);
    };
})();"""


def test_without_webgl_the_map_says_so_and_still_draws(site, page):
    served, data = site
    page.add_init_script(NO_WEBGL)
    page.goto(served.url("maps"))
    wait_until(page, DRAWN, arg=list(REGISTRY)[0])
    assert page.evaluate("document.getElementById('plot')._fullData[0].type") == "scatter"
    assert "WebGL is not available" in page.inner_text("#plot-status")
    assert page.evaluate("document.getElementById('plot')._fullData[0].x.length") == len(data["projections"]["sample"])


def test_with_webgl_the_map_is_drawn_in_webgl_with_no_webgl_note(site, page):
    served, _ = site
    page.goto(served.url("maps"))
    wait_until(page, DRAWN, arg=list(REGISTRY)[0])
    assert page.evaluate("document.getElementById('plot')._fullData[0].type") == "scattergl"
    assert "WebGL" not in page.inner_text("#plot-status")
