"""What a reader waits for and downloads on Explore, over a throttled link, in Chromium.

    python benchmarks/reader.py SITE_DIR [--query one] [--picks 4] [--down 10] [--latency 40] [--maps-only]

Serves the built site in SITE_DIR as GitHub Pages would (``sitegen.serve``: gzip for text), opens
Explore in a fresh Chromium profile (Playwright, the system ``/usr/bin/chromium``) with the link
throttled through the DevTools protocol (``Network.emulateNetworkConditions``: 10 Mbit/s down,
40 ms latency by default), and prints:

- the bytes transferred (as sent: gzipped, with headers) and the time from the start of the
  navigation until the first search results show for a query typed as soon as the search box
  exists;
- the time each keystroke's search takes in the page (``performance.measure("title search")``
  in ``Titles.titleSearch``), typing the query letter by letter;
- for each of a few picks (manga spread over the catalogue, so over its shards, found by
  typing their title and pressing Enter), the bytes and the time until its recommendations show,
  then the same for its first recommendation, clicked;
- whether Explore fetched the catalogue-wide list columns (it should not);
- on Maps, in a fresh profile: the bytes and time until the first map is drawn (issue 11's target:
  within 3 s at 110,000 manga), until titles are loaded for hover and search, and for a second map.

It measures; it does not assert. Issue 10's targets, for comparison: first results within 1 s
with at most 500 KB before them, at most 30 KB a pick.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sitegen.serve import open_server  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
# What the page shows when a step is done (kept here: a page restructure changes only these).
SEARCH_BOX = "#search-input"
RESULTS = "#search-results li"
FOUND = "t => document.querySelector('#search-results').dataset.for === t && document.querySelector('#search-results li') !== null"
PICKED = ("t => document.getElementById('manga-title').textContent === t"
          " && document.querySelector('#columns .column') !== null")


@dataclass
class Traffic:
    """Bytes received, per finished request, as the DevTools protocol reports them."""

    finished: list[tuple[str, int]] = field(default_factory=list)
    urls: dict[str, str] = field(default_factory=dict)

    def listen(self, cdp) -> None:
        cdp.on("Network.requestWillBeSent", lambda e: self.urls.__setitem__(e["requestId"], e["request"]["url"]))
        cdp.on("Network.loadingFinished",
               lambda e: self.finished.append((self.urls.get(e["requestId"], "?"), int(e["encodedDataLength"]))))

    def since(self, mark: int) -> tuple[int, int, list[tuple[str, int]]]:
        """(bytes, requests, the largest three) of the requests finished after ``mark``."""
        done = self.finished[mark:]
        return sum(b for _, b in done), len(done), sorted(done, key=lambda ub: -ub[1])[:3]


def poll(page, expression: str, arg=None, timeout: float = 120.0) -> float:
    """Wait until ``expression`` is truthy (through DevTools: the pages forbid eval); returns when."""
    deadline = time.perf_counter() + timeout
    while not page.evaluate(expression, arg):
        if time.perf_counter() > deadline:
            raise TimeoutError(f"timed out waiting for {expression}")
        time.sleep(0.005)
    return time.perf_counter()


def kb(n: int) -> str:
    return f"{n / 1000:,.1f} KB"


def largest(items: list[tuple[str, int]], base: str) -> str:
    return ", ".join(f"{u.removeprefix(base)} {kb(b)}" for u, b in items)


# Put the query in the search box the moment the parser creates it, from inside the page (an init
# script, which the pages' Content-Security-Policy does not govern): what a reader who types at once
# gets. Driving the box from here instead adds the driver's own delay, 0.2-0.6 s on a busy machine.
TYPE_AT_ONCE = """(query => new MutationObserver((_, watch) => {
  const box = document.getElementById('search-input');
  if (!box) return;
  watch.disconnect();
  box.focus();
  box.value = query;
  box.dispatchEvent(new Event('input', { bubbles: true }));
}).observe(document, { childList: true, subtree: true }))(%s)"""
# When the page showed the results for the query, by its own clock (ms since navigation).
SHOWN_AT = ("q => Math.max(...performance.getEntriesByName('title search')"
            ".map(e => e.startTime + e.duration))")


def first_results(page, traffic: Traffic, base: str, query: str) -> list[str]:
    """Open Explore with ``query`` typed as soon as the search box exists: bytes and time to results."""
    page.add_init_script(TYPE_AT_ONCE % json.dumps(query))
    start = time.perf_counter()
    page.goto(base + "index.html", wait_until="commit")
    poll(page, FOUND, query)
    took = time.perf_counter() - start
    shown = page.evaluate(SHOWN_AT, query) / 1000
    size, requests, top = traffic.since(0)
    return [f"first results for {query!r}: {kb(size)} transferred in {requests} requests, shown {shown:.2f} s "
            f"from navigation by the page's clock ({took:.2f} s by the driver's; largest: {largest(top, base)})"]


def keystrokes(page, query: str) -> list[str]:
    """Type ``query`` again letter by letter; each keystroke's search time in the page."""
    page.fill(SEARCH_BOX, "")
    page.evaluate("performance.clearMeasures('title search')")
    for letter in query:
        page.keyboard.type(letter)
        page.wait_for_timeout(60)
    times = page.evaluate("performance.getEntriesByName('title search').map(e => e.duration)")
    if not times:
        return ["keystrokes: no search measured (a site built before Titles.titleSearch measured itself)"]
    return [f"keystrokes ({len(times)}): median {statistics.median(times):.1f} ms, slowest {max(times):.1f} ms "
            f"in the page ({', '.join(f'{t:.0f}' for t in times)})"]


def columns(traffic: Traffic) -> list[str]:
    """Whether Explore fetched the catalogue-wide list columns (it should not: a pick shard carries
    the titles, tags and facets of every manga its lists name; only Compare needs them)."""
    size = sum(b for url, b in traffic.finished if url.endswith("/data/columns.json"))
    return [f"list columns: {'fetched, ' + kb(size) if size else 'not fetched'} by the search and the picks"]


def picks(page, traffic: Traffic, base: str, titles: list[str], n: int) -> list[str]:
    """Pick ``n`` manga spread over the catalogue by title + Enter: bytes and time to recommendations."""
    rows = []
    spread = sorted({round(k * (len(titles) - 1) / max(n - 1, 1)) for k in range(n)})
    for i in spread:
        page.fill(SEARCH_BOX, titles[i])
        poll(page, FOUND, titles[i])  # results for this title, not the last query's
        shown = page.text_content(RESULTS + " .r-title")  # Enter picks the first shown: maybe a namesake
        mark = len(traffic.finished)
        start = time.perf_counter()
        page.keyboard.press("Enter")
        took = poll(page, PICKED, shown) - start
        page.wait_for_timeout(300)  # let a description's request finish and be counted
        size, requests, top = traffic.since(mark)
        rows.append(f"pick #{i} {shown[:40]!r}: {kb(size)} in {requests} requests, {took:.2f} s"
                    + (f" ({largest(top, base)})" if top else ""))
        rows += follow(page, traffic, base)
    return rows


def follow(page, traffic: Traffic, base: str) -> list[str]:
    """Click the picked manga's first recommendation: bytes and time until its own list shows
    (nothing to fetch when the site numbered it into the same pick shard)."""
    link = page.locator("#columns .column a.n-title").first
    if not link.count():
        return ["  its first recommendation: none listed"]
    title = link.text_content()
    mark = len(traffic.finished)
    start = time.perf_counter()
    link.click()
    took = poll(page, PICKED, title) - start
    page.wait_for_timeout(300)
    size, requests, top = traffic.since(mark)
    return [f"  its first recommendation {title[:40]!r}: {kb(size)} in {requests} requests, {took:.2f} s"
            + (f" ({largest(top, base)})" if top else "")]


# -- the Maps page (issue 11), measured apart from Explore, in a fresh profile ---------------------

MAP_DRAWN = "document.getElementById('plot') !== null && document.getElementById('plot').dataset.labels !== undefined"
MAP_TITLES = "document.getElementById('plot').dataset.titles === 'ready'"
MAP_FAILED = "document.getElementById('plot-status').classList.contains('error')"
MAP_SHOWN = "m => document.getElementById('plot').dataset.map === m && document.getElementById('plot').dataset.labels !== undefined"
# Where the first map's time went, from the page's own clock: when each file the first map needs
# (or the page's scripts) arrived, and the page's marks (sitegen's plots.js).
MAP_WATERFALL = """() => {
    const at = (name) => (performance.getEntriesByName(name)[0] || {}).startTime;
    const files = performance.getEntriesByType('resource').map((r) => [new URL(r.name).pathname, r.startTime, r.responseEnd]);
    const nav = performance.getEntriesByType('navigation')[0];
    return { files, html: nav ? nav.responseEnd : null, dom: nav ? nav.domInteractive : null,
             marks: ['maps: data', 'maps: drawn', 'maps: painted'].map(at) };
}"""


def waterfall(page, base: str, until: float) -> str:
    """The files that finished before ``until`` (ms, the page's clock), with when they started and ended."""
    w = page.evaluate(MAP_WATERFALL)
    prefix = "/" + base.split("/", 3)[3] if base.count("/") >= 3 else "/"
    rows = [f"{path.removeprefix(prefix)} {start / 1000:.2f}-{end / 1000:.2f}"
            for path, start, end in sorted(w["files"], key=lambda f: f[2]) if end <= until]
    return ("html in at {:.2f} s, scripts run by {:.2f} s; ".format(w["html"] / 1000, w["dom"] / 1000)
            if w["html"] is not None and w["dom"] is not None else "") + "files (s): " + ", ".join(rows)


def maps_page(page, traffic: Traffic, base: str) -> list[str]:
    """Open Maps with an empty cache: bytes and time until the first map is drawn (every point,
    coloured and labelled), until titles are loaded for hover and search, and for another map."""
    start = time.perf_counter()
    page.goto(base + "plots.html", wait_until="commit")
    drawn = poll(page, MAP_DRAWN) - start
    size, requests, top = traffic.since(0)
    points = page.evaluate("document.getElementById('plot').dataset.points")
    labels = page.evaluate("document.getElementById('plot').dataset.labels")
    poll(page, "performance.getEntriesByName('maps: painted').length > 0 || !performance.getEntriesByName('maps: data').length")
    marks = page.evaluate("['maps: data', 'maps: drawn', 'maps: painted']"
                          ".map(n => (performance.getEntriesByName(n)[0] || {}).startTime)")
    inside = (f"; in the page: data and scripts in at {marks[0] / 1000:.2f} s, drawn at {marks[1] / 1000:.2f} s, "
              f"on screen at {marks[2] / 1000:.2f} s" if None not in marks else "")
    lines = [f"maps: first map drawn ({points} points, {labels} labels) {drawn:.2f} s from navigation, "
             f"{kb(size)} in {requests} requests (largest: {largest(top, base)}){inside}"]
    if None not in marks:
        lines.append("maps: before the first map: " + waterfall(page, base, marks[0]))
    titles = poll(page, f"{MAP_TITLES} || {MAP_FAILED}") - start
    if page.evaluate(MAP_FAILED):
        return lines + ["maps: the page failed after the first map: " + page.text_content("#plot-status")]
    size, requests, top = traffic.since(0)
    lines.append(f"maps: titles ready for hover and search {titles:.2f} s from navigation, {kb(size)} in all "
                 f"(largest: {largest(top, base)})")
    options = page.eval_on_selector_all("#plot-model option", "os => os.map(o => o.value)")
    if len(options) > 1:
        mark = len(traffic.finished)
        start = time.perf_counter()
        page.select_option("#plot-model", options[1])
        method = page.input_value("#plot-method")
        took = poll(page, MAP_SHOWN, f"{options[1]}/{method}") - start
        size, requests, top = traffic.since(mark)
        lines.append(f"maps: another model's map ({options[1]}, {method}) {took:.2f} s, {kb(size)} in {requests} requests")
    return lines


def measure(site: Path, query: str, n_picks: int, down_mbit: float, latency_ms: float,
            maps_only: bool = False) -> list[str]:
    """Every figure (only the Maps page's with ``maps_only``), as printable lines."""
    from playwright.sync_api import sync_playwright

    if maps_only:
        n = json.loads((site / "data" / "projections.json").read_text("utf-8"))["manga"]
        lines = [f"site {site}: {n:,} manga on the maps; link {down_mbit:g} Mbit/s down, {latency_ms:g} ms latency, "
                 "empty cache; bytes as sent (gzipped, with headers)"]
        server = open_server(site, port=0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                lines += throttled(browser, down_mbit, latency_ms, lambda pg, tr: maps_page(pg, tr, server.url))
                browser.close()
        finally:
            server.shutdown()
        return lines
    titles = json.loads((site / "data" / "columns.json").read_text("utf-8"))["title"]
    server = open_server(site, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = server.url
    lines = [f"site {site}: {len(titles):,} manga; link {down_mbit:g} Mbit/s down, {latency_ms:g} ms latency, "
             "empty cache; bytes as sent (gzipped, with headers)"]
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_context().new_page()
            cdp = page.context.new_cdp_session(page)
            cdp.send("Network.enable")
            rate = down_mbit * 1e6 / 8
            cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": latency_ms,
                                                          "downloadThroughput": rate, "uploadThroughput": rate})
            traffic = Traffic()
            traffic.listen(cdp)
            lines += first_results(page, traffic, base, query)
            lines += keystrokes(page, query)
            lines += picks(page, traffic, base, titles, n_picks)
            lines += columns(traffic)
            lines += throttled(browser, down_mbit, latency_ms, lambda pg, tr: maps_page(pg, tr, base))
            browser.close()
    finally:
        server.shutdown()
    return lines


def throttled(browser, down_mbit: float, latency_ms: float, run) -> list[str]:
    """``run(page, traffic)`` in a fresh context (empty cache) on the throttled link."""
    context = browser.new_context()
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    rate = down_mbit * 1e6 / 8
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": latency_ms,
                                                  "downloadThroughput": rate, "uploadThroughput": rate})
    traffic = Traffic()
    traffic.listen(cdp)
    try:
        return run(page, traffic)
    finally:
        context.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("site", type=Path, help="a built site's directory")
    p.add_argument("--query", default="one", help="what the reader types (default %(default)r)")
    p.add_argument("--picks", type=int, default=4, help="manga picked, spread over the catalogue (default 4)")
    p.add_argument("--down", type=float, default=10.0, help="download Mbit/s (default 10)")
    p.add_argument("--latency", type=float, default=40.0, help="latency in ms (default 40)")
    p.add_argument("--maps-only", action="store_true", help="measure the Maps page only")
    args = p.parse_args(argv)
    if not (args.site / "data" / "catalogue.json").is_file():
        p.error(f"{args.site} holds no built site (no data/catalogue.json)")
    if not Path(CHROMIUM).exists():
        p.error(f"no Chromium at {CHROMIUM} (set CHROMIUM=/path)")
    print("\n".join(measure(args.site, args.query, args.picks, args.down, args.latency, args.maps_only)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
