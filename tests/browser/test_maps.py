"""Browser truth for the Maps page: every manga drawn, colours with counted legends, labels that do
not overlap, search, hover, selection and click-through to Explore; the first map drawn before
the titles are asked for, and no MangaDex id loaded that the page does not use (issue 10).

The ``browser`` and ``page`` fixtures live in conftest.py; ``page`` fails on any console error or
warning except Chromium's own software-WebGL driver notes, which Plotly's WebGL probe causes.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest

from sitegen.site.contract import FILES, PAGES
from sitegen.site.maps import popularity, unpack_map
from sitegen.site.render import data_bytes
from sitegen.site.titles import fold
from support.helpers import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # Plotly: every test takes over 5 s

HOSTILE = "<img src=x onerror=alert(1)> Academy"
DRAWN = "m => { const p = document.getElementById('plot'); return p.dataset.map === m && p.dataset.labels !== undefined; }"
TITLES = "document.getElementById('plot').dataset.titles === 'ready'"
EXPLORE = next(p.file for p in PAGES if p.key == "explore")
MAPS = next(p.file for p in PAGES if p.key == "maps")


def every_manga(served) -> dict[str, list]:
    """Every manga's id, title, alternative titles, tags and follows, read from the pick shards
    (the catalogue index holds no per-manga columns)."""
    index = served.data("catalogue")
    out: dict[str, list] = {"id": [], "title": [], "alt": [], "tags": [], "follows": []}
    for n in range(math.ceil(index["n"] / index["shard_size"])):
        shard = served.data("shard", n)
        for key in out:
            out[key] += shard[key]
    assert len(out["id"]) == index["n"]
    return out


@pytest.fixture(scope="module")
def site(served):
    """The served demo site with its catalogue index, maps index and every manga's columns."""
    data = {kind: served.data(kind) for kind in ("catalogue", "projections", "columns")}
    data["manga"] = every_manga(served)
    return served, data


@pytest.fixture(scope="module")
def hostile_site(served, serve_copy):
    """A copy of the demo site where manga 10 bears the hostile title (in the list columns and its
    pick shard), with its id."""
    columns = served.data("columns")
    columns["title"][10] = HOSTILE
    n = 10 // served.data("catalogue")["shard_size"]
    shard = served.data("shard", n)
    shard["title"][10 - shard["start"]] = HOSTILE

    def change(root):
        (root / FILES["columns"].name()).write_text(json.dumps(columns), "utf-8")
        (root / FILES["shard"].name(n)).write_bytes(data_bytes(FILES["shard"].name(n), shard))

    with serve_copy(change) as copy:
        yield copy, shard["id"][10 - shard["start"]]


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def coords(served, maps, model: str, method: str) -> np.ndarray:
    entry = next(m for m in maps["models"] if m["name"] == model)["maps"][method]
    return unpack_map((served.root / FILES["map"].name(entry["file"])).read_bytes())


def pixel(page, x: float, y: float) -> tuple[float, float]:
    """Where map point (x, y) is on the page, in CSS pixels."""
    return tuple(page.evaluate("""([x, y]) => {
        const gd = document.getElementById('plot'), fl = gd._fullLayout, r = gd.getBoundingClientRect();
        return [r.left + fl._size.l + fl.xaxis.l2p(x), r.top + fl._size.t + fl.yaxis.l2p(y)];
    }""", [x, y]))


def legend(page) -> list[str]:
    return page.eval_on_selector_all(".legend .traces .legendtext", "els => els.map(e => e.textContent)")


def boxes(page) -> list[dict[str, float]]:
    return page.eval_on_selector_all(".plot-label", """els => els.map(e => {
        const r = e.getBoundingClientRect();
        return {l: r.left, r: r.right, t: r.top, b: r.bottom, text: e.textContent};
    })""")


def first_map(maps) -> tuple[str, str]:
    return maps["models"][0]["name"], maps["methods"][0]


def open_first_map(page, served, maps) -> tuple[str, str]:
    """Open the Maps page and wait until its first map is drawn; returns (model, method)."""
    model, method = first_map(maps)
    page.goto(served.url("maps"))
    wait_until(page, DRAWN, arg=f"{model}/{method}")
    return model, method


def painted(page) -> int:
    """Pixels of the points' canvas that are not its white background."""
    return page.evaluate("""() => { const c = document.querySelector('.plot-points'), copy = document.createElement('canvas');
        copy.width = c.width; copy.height = c.height;
        const g = copy.getContext('2d', {willReadFrequently: true});  // read from a copy: the page's canvas stays as it is
        g.drawImage(c, 0, 0);
        const d = g.getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let k = 0; k < d.length; k += 4) if (d[k + 3] && d[k] + d[k + 1] + d[k + 2] < 765) n++; return n; }""")


def test_every_manga_is_drawn_and_the_choices_travel_in_the_url(site, page):
    """The test browser's WebGL is software (SwiftShader): the points are painted on a canvas."""
    served, data = site
    maps, n = data["projections"], data["catalogue"]["n"]
    model, method = open_first_map(page, served, maps)
    assert maps["manga"] == n and page.get_attribute("#plot", "data-points") == str(n)
    assert page.get_attribute("#plot", "data-renderer") == "canvas"
    assert page.get_attribute("#plot", "data-rendered") == str(n)  # every manga inside the whole map's view
    assert painted(page) > n  # and on the canvas, a few pixels each
    # the plot spans the window (less its margins) and reaches the bottom of the first screen
    box = page.evaluate("(() => { const r = document.getElementById('plot').getBoundingClientRect();"
                        " return [r.left, r.right, r.bottom]; })()")
    width, height = page.viewport_size["width"], page.viewport_size["height"]
    assert box[0] <= 20 and box[1] >= width - 40 and height - 20 <= box[2] <= height
    other = maps["models"][1]["name"]
    page.select_option("#plot-model", other)
    page.select_option("#plot-method", "pca")
    wait_until(page, DRAWN, arg=f"{other}/pca")
    page.select_option("#plot-colour", "format")
    wait_until(page, "() => document.querySelector('.legend').textContent.includes('several')")
    assert query(page.url) == {"model": other, "map": "pca", "colour": "format"}
    page.reload()
    wait_until(page, DRAWN, arg=f"{other}/pca")
    assert page.input_value("#plot-colour") == "format" and page.input_value("#plot-method") == "pca"


def test_colour_by_group_and_within_a_tag_with_counted_legends(site, page):
    served, data = site
    maps = data["projections"]
    tags, lists = maps["tags"], data["columns"]["tags"]
    page.goto(served.url("maps", colour="format"))
    wait_until(page, DRAWN, arg="/".join(first_map(maps)))
    fmt = {t for t, tag in enumerate(tags) if tag["group"] == "format"}
    own = Counter(tuple(t for t in ts if t in fmt) for ts in lists)
    entries = legend(page)
    several = sum(c for k, c in own.items() if len(k) > 1)
    assert f"several ({several:,})" in entries and f"none ({own[()]:,})" in entries
    top = max((k for k in own if len(k) == 1), key=lambda k: own[k])
    assert f"{tags[top[0]]['name']} ({own[top]:,})" in entries
    romance = next(t for t, tag in enumerate(tags) if tag["name"] == "Romance")
    page.select_option("#plot-colour", "genre")
    page.select_option("#plot-tag", str(romance))
    without = sum(romance not in ts for ts in lists)
    wait_until(page, "t => document.querySelector('.legend').textContent.includes(t)", arg=f"without Romance ({without:,})")
    assert query(page.url)["tag"] == "Romance"
    assert not any(e.startswith("Romance (") for e in legend(page))  # the primary tag colours nothing by itself
    # a legend entry toggles its manga
    shown = painted(page)
    page.locator(".legend .traces", has_text="without Romance").click()
    wait_until(page, "() => document.getElementById('plot')._fullData.some(t => t.visible === 'legendonly')")
    wait_until(page, "n => document.getElementById('plot').dataset.rendered === n", arg=str(len(lists) - without))
    assert painted(page) < shown


def test_labels_name_clusters_do_not_overlap_and_multiply_when_zoomed(site, page):
    served, data = site
    maps = data["projections"]
    model, method = open_first_map(page, served, maps)
    names = {" · ".join(maps["tags"][t]["name"] for t in label["tags"][:2])
             for label in maps["models"][0]["maps"][method]["labels"]}
    whole = boxes(page)
    assert len(whole) >= 5 and all(b["text"] in names for b in whole)

    def apart(bs):
        return all(a["r"] <= b["l"] or b["r"] <= a["l"] or a["b"] <= b["t"] or b["b"] <= a["t"]
                   for i, a in enumerate(bs) for b in bs[i + 1:])

    assert apart(whole)
    key = page.evaluate("(() => { const r = document.querySelector('.legend').getBoundingClientRect();"
                        " return {l: r.left, r: r.right, t: r.top, b: r.bottom, text: 'legend'}; })()")
    assert apart(whole + [key])  # nor over the legend
    fine = [lab for lab in maps["models"][0]["maps"][method]["labels"] if lab["level"] == 1]
    target = fine[0]
    page.evaluate("([x, y]) => Plotly.relayout('plot', {'xaxis.range': [x - 0.15, x + 0.15], 'yaxis.range': [y - 0.15, y + 0.15]})",
                  [target["x"], target["y"]])
    wait_until(page, "n => document.querySelectorAll('.annotation').length !== n || true", arg=len(whole))
    page.wait_for_timeout(300)
    zoomed = boxes(page)
    assert apart(zoomed) and zoomed
    fine_names = {" · ".join(maps["tags"][t]["name"] for t in lab["tags"][:2]) for lab in fine}
    assert any(b["text"] in fine_names for b in zoomed)


def test_search_rings_every_match_and_a_choice_centres_and_clicks_through(site, page):
    served, data = site
    maps, manga, stop = data["projections"], data["manga"], set(data["catalogue"]["titles"]["stop"])
    model, method = open_first_map(page, served, maps)
    xy = coords(served, maps, model, method)
    wait_until(page, TITLES)
    names = [[fold(t)] + [fold(a) for a in alt] for t, alt in zip(manga["title"], manga["alt"])]
    # a common word whose key is indexed (a stop key's query is answered from the top fragment only)
    counts = Counter(w for ns in names for w in set(" ".join(ns).split())
                     if w.isascii() and w.isalpha() and len(w) > 4 and w[:3] not in stop)
    word = counts.most_common(1)[0][0]
    starting = {i for i, ns in enumerate(names) if any(" " + word in n for n in ns)}  # all in the word's fragment
    holding = {i for i, ns in enumerate(names) if any(word in n for n in ns)}
    assert len(starting) >= 3
    page.fill("#plot-search", word)
    wait_until(page, "w => document.getElementById('plot-status').textContent.includes('match \\u201c' + w)", arg=word)
    ringed = page.evaluate("""() => { const t = document.getElementById('plot')._fullData.find(t => t.name.startsWith('matches'));
        return Array.from(t.x, (x, k) => [x, t.y[k]]); }""")
    assert page.text_content("#plot-status").startswith(f"{len(ringed):,} manga match")
    at = {(round(float(x), 4), round(float(y), 4)) for x, y in ringed}
    assert {(round(float(xy[i, 0]), 4), round(float(xy[i, 1]), 4)) for i in starting} <= at  # every match ringed
    assert at <= {(round(float(xy[i, 0]), 4), round(float(xy[i, 1]), 4)) for i in holding}  # and nothing else
    strokes = page.evaluate("Array.from(document.querySelectorAll('.scatterlayer .trace:last-of-type .point'),"
                            " p => [getComputedStyle(p).stroke, Number(getComputedStyle(p).strokeOpacity)])")
    # the rings are SVG over the canvas, and seen
    assert len(strokes) == len(ringed) and all(s not in ("none", "rgba(0, 0, 0, 0)") and o > 0.5 for s, o in strokes)
    page.fill("#plot-search", "zzzqqq")
    wait_until(page, "() => document.getElementById('plot-status').textContent.startsWith('No title')")
    target = next(i for i in range(20, len(manga["title"])) if manga["title"][i].isascii() and len(manga["title"][i].split()) >= 2)
    page.fill("#plot-search", manga["title"][target])
    option = page.locator("#plot-results li", has_text=manga["title"][target]).first
    option.wait_for()
    assert not page.text_content("#plot-status").startswith("No title")  # the earlier miss is not left up
    option.click()
    # the focus link needs no id; the page's URL gets the id (from the manga's pick shard)
    wait_until(page, "id => new URLSearchParams(location.search).get('id') === id", arg=manga["id"][target])
    assert page.get_attribute("#plot-focus-link", "href") == f"{EXPLORE}?m={target}"
    x, y = xy[target]
    page.wait_for_timeout(300)
    px, py = pixel(page, x, y)
    page.mouse.move(px, py)
    wait_until(page, "i => document.getElementById('plot-tip').dataset.index === i", arg=str(target))
    assert manga["title"][target] in page.text_content("#plot-tip")
    with page.expect_navigation():
        page.mouse.click(px, py)
    assert urlsplit(page.url).path.endswith("/" + EXPLORE)
    wait_until(page, "id => new URLSearchParams(location.search).get('id') === id", arg=manga["id"][target])


def test_a_double_click_on_a_point_resets_the_view_and_stays(site, page):
    """A click on a point opens Explore, but not the first click of a double click (Plotly's reset)."""
    served, data = site
    maps = data["projections"]
    model, method = open_first_map(page, served, maps)
    whole = page.evaluate("document.getElementById('plot')._fullLayout.xaxis.range.slice()")
    x, y = coords(served, maps, model, method)[0]
    page.evaluate("([x, y]) => Plotly.relayout('plot', {'xaxis.range': [x - 0.2, x + 0.2], 'yaxis.range': [y - 0.2, y + 0.2]})",
                  [float(x), float(y)])
    wait_until(page, "n => document.getElementById('plot').dataset.rendered !== n", arg=str(maps["manga"]))
    page.mouse.dblclick(*pixel(page, x, y))
    wait_until(page, "r => document.getElementById('plot')._fullLayout.xaxis.range[0] === r", arg=whole[0])
    page.wait_for_timeout(600)  # past the double-click window: no navigation was waiting
    assert urlsplit(page.url).path.endswith("/" + MAPS)
    assert page.get_attribute("#plot", "data-rendered") == str(maps["manga"])


def test_box_selection_lists_the_selected_manga_and_their_tags(site, page):
    served, data = site
    maps, manga = data["projections"], data["manga"]
    model, method = open_first_map(page, served, maps)
    xy = coords(served, maps, model, method)
    wait_until(page, TITLES)
    label = maps["models"][0]["maps"][method]["labels"][0]
    lo, hi = [label["x"] - 0.1, label["y"] - 0.1], [label["x"] + 0.1, label["y"] + 0.1]
    inside = np.flatnonzero((xy[:, 0] >= lo[0]) & (xy[:, 0] <= hi[0]) & (xy[:, 1] >= lo[1]) & (xy[:, 1] <= hi[1]))
    page.evaluate("() => Plotly.relayout('plot', {dragmode: 'select'})")
    a, b = pixel(page, lo[0], hi[1]), pixel(page, hi[0], lo[1])
    page.mouse.move(*a)
    page.mouse.down()
    page.mouse.move((a[0] + b[0]) / 2, (a[1] + b[1]) / 2, steps=4)
    page.mouse.move(*b, steps=4)
    page.mouse.up()
    wait_until(page, "() => !document.getElementById('plot-selection').hidden && document.querySelector('#plot-selection-list a')")
    count = int(page.text_content("#plot-selection-count").split()[0].replace(",", ""))
    assert abs(count - len(inside)) <= max(2, len(inside) // 50)  # the box's edges are a pixel wide
    links = page.eval_on_selector_all("#plot-selection-list a", "els => els.map(e => [e.getAttribute('href'), e.textContent])")
    # the most followed first (by the maps' popularity byte; then by index)
    known = popularity([f or 0 for f in manga["follows"]])
    first = min(inside, key=lambda i: (-int(known[i]), i))
    assert links[0] == [f"{EXPLORE}?m={first}", manga["title"][first]]
    first_tag = maps["tags"][label["tags"][0]]["name"]
    assert first_tag in page.text_content("#plot-selection-tags")  # the cluster's own tag stands out
    button = page.locator("#plot-selection-list .sel-add").first
    assert button.text_content() == "Add to library"
    button.click()  # the id comes from the manga's pick shard
    wait_until(page, "id => Library.has(id)", arg=manga["id"][first])
    assert button.text_content() == "In your library" and button.is_disabled()


def test_hostile_titles_stay_text(hostile_site, page):
    served, id10 = hostile_site
    maps = served.data("projections")
    model, method = first_map(maps)
    page.goto(served.url("maps", id=id10))  # resolved through its id bucket, titled from its shard
    wait_until(page, TITLES)
    wait_until(page, "() => document.getElementById('plot-focus-title').textContent !== ''")
    assert page.text_content("#plot-focus-title") == HOSTILE
    assert page.get_attribute("#plot-focus-link", "href") == f"{EXPLORE}?m=10"
    x, y = coords(served, maps, model, method)[10]
    page.wait_for_timeout(300)
    page.mouse.move(*pixel(page, x, y))
    wait_until(page, "() => document.getElementById('plot-tip').dataset.index === '10'")
    assert HOSTILE in page.text_content("#plot-tip")
    assert page.locator("#plot img, #plot-tip img, .legend img, .plot-labels img").count() == 0


def test_the_first_map_comes_before_the_titles_and_needs_no_ids(site, page):
    """Titles (the list columns, the heaviest file after plotly.js) are asked for only once the first
    map is on screen, and a plain visit loads no MangaDex ids (no id bucket, no pick shard)."""
    served, data = site
    page.goto(served.url("maps"))
    wait_until(page, TITLES)
    painted = page.evaluate("performance.getEntriesByName('maps: painted')[0].startTime")
    loaded = page.evaluate("performance.getEntriesByType('resource').map(r => [new URL(r.name).pathname, r.startTime])")
    columns = [t for path, t in loaded if path.endswith("/" + FILES["columns"].name())]
    assert len(columns) == 1 and columns[0] >= painted
    folders = tuple("/" + FILES[kind].path.rsplit("/", 1)[0] + "/" for kind in ("ids", "shard"))
    assert [path for path, _ in loaded if any(f in path for f in folders)] == []


def test_the_tag_map_sizes_tags_and_lists_their_companions_on_hover(site, page):
    served, data = site
    maps = data["projections"]
    tm = maps["tagmaps"]
    lsi = next(m for m in tm["maps"] if m["model"] == "lsi")
    page.goto(served.url("maps", model="lsi", map="tags"))
    wait_until(page, DRAWN, arg="lsi/tags")
    assert page.get_attribute("#plot", "data-points") == str(sum(c > 0 for c in tm["counts"]))
    sizes = page.evaluate("document.getElementById('plot')._fullData.flatMap(t => Array.from(t.marker.size))")
    assert max(sizes) > 3 * min(sizes)  # sized by the manga carrying each tag
    top = max(range(len(tm["counts"])), key=lambda t: tm["counts"][t])
    page.mouse.move(*pixel(page, *lsi["xy"][top]))
    wait_until(page, "() => document.querySelector('.hoverlayer .hovertext') !== null")
    text = page.text_content(".hoverlayer")
    assert maps["tags"][top]["name"] in text and f"({tm['counts'][top]:,} manga)" in text
    assert maps["tags"][tm["cooccur"][top][0][0]]["name"] in text  # its most frequent companion


NO_WEBGL = """(() => {
    const original = HTMLCanvasElement.prototype.getContext;
    HTMLCanvasElement.prototype.getContext = function (kind, ...rest) {
        return /webgl/.test(kind) ? null : original.call(this, kind, ...rest);
    };
})();"""


def test_without_webgl_every_manga_is_painted_on_a_canvas(site, page):
    served, data = site
    page.add_init_script(NO_WEBGL)
    page.goto(served.url("maps"))
    wait_until(page, DRAWN, arg="/".join(first_map(data["projections"])))
    n = str(data["projections"]["manga"])
    assert page.get_attribute("#plot", "data-renderer") == "canvas"
    assert page.get_attribute("#plot", "data-points") == n and page.get_attribute("#plot", "data-rendered") == n


HARDWARE_GPU = """(() => {
    const original = WebGLRenderingContext.prototype.getParameter;
    WebGLRenderingContext.prototype.getParameter = function (name) {
        return name === 0x9246 ? 'ANGLE (Test vendor, Test GPU, OpenGL)' : original.call(this, name);  // UNMASKED_RENDERER_WEBGL
    };
})();"""


def test_on_a_gpu_every_manga_is_a_point_of_plotlys_webgl_scatter(site, page):
    served, data = site
    page.add_init_script(HARDWARE_GPU)
    maps, n = data["projections"], data["catalogue"]["n"]
    model, method = open_first_map(page, served, maps)
    assert page.get_attribute("#plot", "data-renderer") == "webgl"
    drawn = page.evaluate("document.getElementById('plot')._fullData.reduce((s, t) => s + t.x.length, 0)")
    types = page.evaluate("Array.from(new Set(document.getElementById('plot')._fullData.map(t => t.type)))")
    assert drawn == n and types == ["scattergl"] and page.locator(".plot-points").count() == 0
    assert len(boxes(page)) >= 5  # labels as on a canvas map
