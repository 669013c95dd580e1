"""No page scrolls sideways, on a phone (390 x 844) or a desktop (1366 x 800); the menu fits.

A description with one unbroken 400-character URL (as MangaDex has) is put in a copy of the demo
site: it must wrap inside the page, and the Markdown pages' tables scroll inside their own box.
"""

from __future__ import annotations

import pytest

from sitegen.site.contract import FILES
from sitegen.site.render import data_bytes, read_data
from support.helpers import wait_until

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 800}
LONG_URL = "https://example.org/" + "verylongpath" * 35
PAGES = ("index.html", "plots.html", "feed.html", "methods.html", "comparison.html", "tags.html", "about.html")
WIDTH = "[document.scrollingElement.scrollWidth, innerWidth]"


@pytest.fixture(scope="module")
def long_words(serve_copy):
    """The demo site, its first manga's description one long unbroken URL and word, and its title
    a long unbroken run (as '(Yotsuba!/Azumanga' in the 2021 sample)."""
    def change(root):
        path = root / FILES["shard"].name(0)
        shard = read_data(path)
        shard["desc"][0] = f'<p><a href="{LONG_URL}">{LONG_URL}</a> {"x" * 300}</p>'
        shard["title"][0] = "Parody (" + "Yotsuba!/Azumanga" * 4 + ")"
        path.write_bytes(data_bytes(path.name, shard))

    with serve_copy(change) as site:
        yield site


def assert_fits(page):
    width, inner = page.evaluate(WIDTH)
    assert width <= inner, f"{page.url} is {width} px wide in a {inner} px window"


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_no_page_scrolls_sideways(page, long_words, size):
    page.set_viewport_size(size)
    for name in PAGES:
        page.goto(long_words.base + name)
        page.wait_for_load_state("networkidle")
        assert_fits(page)
    index = long_words.whole()
    page.goto(long_words.url("explore", id=index["manga"]["id"][0]))
    page.locator("#columns .column").first.wait_for()
    wait_until(page, "document.getElementById('manga-desc').textContent.length > 0")
    assert LONG_URL in page.text_content("#manga-desc")
    assert_fits(page)


def test_tables_scroll_inside_their_box_on_a_phone(page, served):
    page.set_viewport_size(PHONE)
    page.goto(served.base + "comparison.html")
    table = page.locator(".prose table").first
    scroll, client = table.evaluate("t => [t.scrollWidth, t.clientWidth]")
    assert scroll > client  # wider than the phone: it scrolls, inside its box
    assert table.evaluate("t => getComputedStyle(t).overflowX") == "auto"
    assert_fits(page)


def test_the_menu_fits_in_two_lines_and_labels_keep_their_boxes(page, served):
    page.set_viewport_size(PHONE)
    page.goto(served.url("explore"))
    links = page.locator(".site-header nav a")
    tops = {round(box["y"]) for box in (links.nth(k).bounding_box() for k in range(links.count()))}
    assert len(tops) <= 2
    for label in page.locator("#filters fieldset label").all():  # a box on the line of its text
        box, text = label.locator("input, select").bounding_box(), label.bounding_box()
        assert text["x"] + text["width"] <= PHONE["width"]  # a long label wraps inside the page
        if label.locator("input[type=checkbox]").count():  # the box first, beside its (wrapped) text
            assert abs(box["x"] - text["x"]) < 8 and abs((box["y"] + box["height"] / 2) - (text["y"] + text["height"] / 2)) < 4
