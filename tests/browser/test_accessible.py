"""Keyboard and screen-reader use: a skip link, one h1 a state, a one-line live summary, focus
to the picked manga's heading, the first recommendation a few Tabs from the search box."""

from __future__ import annotations

import pytest

from sitegen.site.contract import FILES
from sitegen.site.render import data_bytes, read_data
from support.helpers import wait_until

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 800}
PAGES = ("index.html", "plots.html", "feed.html", "methods.html", "comparison.html", "tags.html", "about.html")
LOADED = "document.getElementById('status').textContent.includes('Type to search')"
VISIBLE_H1 = "Array.from(document.querySelectorAll('h1')).filter(h => h.checkVisibility()).map(h => h.textContent)"
FOCUSED = "document.activeElement && (document.activeElement.id || document.activeElement.className)"


@pytest.fixture(scope="module")
def index(served):
    return served.whole()


def test_every_page_has_a_skip_link_and_one_h1(page, served):
    for name in PAGES:
        page.goto(served.base + name)
        page.wait_for_load_state("networkidle")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip-link", name
        assert page.evaluate("document.activeElement.getAttribute('href')") == "#main"
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main", name
        headings = page.evaluate(VISIBLE_H1)
        assert len(headings) == 1 and headings[0].strip(), (name, headings)


def test_skip_link_then_one_tab_reaches_the_search_box(page, served):
    page.goto(served.url("explore"))
    wait_until(page, LOADED)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "search-input"


def test_explore_states_one_h1_each_and_a_one_line_summary(page, served, index):
    page.goto(served.url("explore"))
    wait_until(page, LOADED)
    before = page.evaluate(VISIBLE_H1)
    assert before == ["Find your next manga"]
    assert "mangarec lists the manga most like it" in page.text_content(".lede")
    title = index["manga"]["title"][2]
    page.fill("#search-input", title)
    page.locator("#search-results li").first.wait_for()
    page.keyboard.press("Enter")
    page.locator("#columns .column").first.wait_for()
    assert page.evaluate(VISIBLE_H1) == [page.text_content("#manga-title")]
    live = page.evaluate("""Array.from(document.querySelectorAll('[aria-live], [role=status], [role=alert]'))
        .filter(e => e.closest('main')).map(e => [e.id, e.textContent])""")
    assert dict(live).keys() == {"status"}  # the result area is not a live region
    summary = dict(live)["status"]
    assert "\n" not in summary.strip() and len(summary) < 200 and page.text_content("#manga-title") in summary


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_focus_moves_to_the_picked_heading_and_recommendations_are_near(page, served, index, size):
    page.set_viewport_size(size)
    page.goto(served.url("explore"))
    wait_until(page, LOADED)
    page.focus("#search-input")
    first = next(i for i, tags in enumerate(index["manga"]["tags"]) if tags)  # a manga without tags has no list
    page.keyboard.type(index["manga"]["title"][first])
    page.keyboard.press("Enter")
    wait_until(page, "document.activeElement.id === 'manga-title'")
    page.locator("#columns .column a.n-title").first.wait_for()
    page.focus("#search-input")
    tabs = 0
    while not page.evaluate("document.activeElement.matches('.column a.n-title')"):
        tabs += 1
        assert tabs <= 6, "the first recommendation is more than 6 Tabs from the search box: " + page.evaluate(FOCUSED)
        page.keyboard.press("Tab")
    first = page.locator("#columns .column a.n-title").first
    assert page.evaluate("document.activeElement") == first.evaluate("a => a")
    name = first.text_content()
    page.keyboard.press("Enter")  # a neighbour's link: focus to its heading too
    wait_until(page, "t => document.getElementById('manga-title').textContent === t", arg=name)
    wait_until(page, "document.activeElement.id === 'manga-title'")


@pytest.fixture(scope="module")
def long_description(serve_copy):
    """The demo site, its first manga's description twelve paragraphs with a link each."""
    def change(root):
        path = root / FILES["shard"].name(0)
        shard = read_data(path)
        shard["desc"][0] = "".join(f'<p>Part {n}: <a href="https://example.org/{n}">link {n}</a></p>' for n in range(12))
        path.write_bytes(data_bytes(path.name, shard))

    with serve_copy(change) as site:
        yield site


def test_a_long_description_is_folded_and_its_links_wait(page, long_description):
    page.goto(long_description.url("explore", id=long_description.whole()["manga"]["id"][0]))
    wait_until(page, "document.getElementById('manga-desc').textContent.includes('Part 11')")
    assert page.is_visible("#desc-more")
    assert page.evaluate("document.getElementById('manga-desc').inert")
    page.focus("#search-input")
    for _ in range(6):  # the folded description's links are no Tab stops
        page.keyboard.press("Tab")
        assert not page.evaluate("document.activeElement.closest('#manga-desc')")
    page.click("#desc-more")
    assert not page.is_visible("#desc-more")
    assert not page.evaluate("document.getElementById('manga-desc').inert")
    assert page.evaluate("(d => d.scrollHeight <= d.clientHeight + 1)(document.getElementById('manga-desc'))")
    page.locator("#manga-desc a").last.focus()
    assert page.evaluate("document.activeElement.textContent") == "link 11"
