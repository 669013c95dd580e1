"""Browser truth: the built explore page in headless Chromium (Playwright + Debian's chromium)."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from support.helpers import require_browser, serve

from sitegen.build import build
from sitegen.config import BuildConfig, replace
from sitegen.models import REGISTRY

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    require_browser()
    out = tmp_path_factory.mktemp("browser") / "_site"
    build(replace(BuildConfig(seed=9), **{"catalogue.demo_size": 500, "site.out": out}))
    with serve(out) as base:
        yield base, json.loads((out / "data/catalogue.json").read_text("utf-8"))


def test_search_pick_and_see_neighbours_under_every_model(served, page):
    base, index = served
    titles, ids = index["manga"]["title"], index["manga"]["id"]
    target = next(i for i, t in enumerate(titles) if len(t.split()) >= 3 and t.isascii() and "<" not in t)
    words = titles[target].split()
    query = " ".join(words[1:3])[:-1]  # part of the title, last letter missing
    page.goto(base + "index.html")
    page.wait_for_function("document.getElementById('status').textContent.includes('manga')")
    page.fill("#search-input", query)
    option = page.locator("#search-results li", has_text=titles[target]).first
    option.wait_for()
    option.click()
    page.wait_for_url(f"**?id={ids[target]}")
    assert page.text_content("#manga-title") == titles[target]
    columns = page.locator("#columns .column")
    columns.first.wait_for()
    assert columns.count() == len(REGISTRY)
    for name in REGISTRY:
        items = page.locator(f'.column[data-model="{name}"] li.neighbour')
        assert items.count() >= 10
        first = items.first
        assert float(first.locator(".dist").text_content()) >= 0
        assert first.locator("a.md").get_attribute("href").startswith("https://mangadex.org/title/")


def test_keyboard_selection_and_url_restores_on_reload(served, page):
    base, index = served
    page.goto(base + "index.html")
    page.wait_for_function("document.getElementById('status').textContent.includes('manga')")
    page.focus("#search-input")
    page.keyboard.type(index["manga"]["title"][3][:6])
    page.locator("#search-results li").first.wait_for()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    page.wait_for_url("**?id=*")
    chosen = page.text_content("#manga-title")
    page.reload()
    page.wait_for_function("document.getElementById('manga-title').textContent.length > 0")
    assert page.text_content("#manga-title") == chosen
    page.locator("#columns .column").first.wait_for()


def test_neighbour_click_back_and_filters(served, page):
    base, index = served
    first_id = index["manga"]["id"][0]
    page.goto(f"{base}index.html?id={first_id}")
    link = page.locator("#columns .column").first.locator("a.n-title").first
    link.wait_for()
    neighbour_title = link.text_content()
    link.click()
    page.wait_for_function("t => document.getElementById('manga-title').textContent === t", arg=neighbour_title)
    page.go_back()
    page.wait_for_function("t => document.getElementById('manga-title').textContent === t", arg=index["manga"]["title"][0])
    page.locator("#columns .column").first.wait_for()
    page.select_option("#min-shared", "4")
    page.wait_for_timeout(200)
    for item in page.locator("li.neighbour").all():
        assert item.locator(".tags.small li").count() >= 4


def test_hostile_title_is_shown_as_text(served, page):
    base, index = served
    i = index["manga"]["title"].index("<img src=x onerror=alert(1)> Academy")
    page.goto(f"{base}index.html?id={index['manga']['id'][i]}")
    page.wait_for_function("document.getElementById('manga-title').textContent.length > 0")
    assert page.text_content("#manga-title") == "<img src=x onerror=alert(1)> Academy"
    assert page.locator("#manga-title img").count() == 0


def test_model_toggles_hide_columns_and_travel_in_the_url(served, page):
    base, index = served
    first, second = list(REGISTRY)[:2]
    page.goto(f"{base}index.html?id={index['manga']['id'][1]}")
    page.locator(f'.column[data-model="{second}"]').wait_for()
    page.uncheck(f'input[name=model][value="{second}"]')
    page.locator(f'.column[data-model="{second}"]').wait_for(state="detached")
    assert page.locator("#columns .column").count() == len(REGISTRY) - 1
    shown = parse_qs(urlsplit(page.url).query)["models"][0].split(",")
    assert second not in shown and first in shown
    page.reload()
    page.locator(f'.column[data-model="{first}"]').wait_for()
    assert page.locator(f'.column[data-model="{second}"]').count() == 0
    assert not page.is_checked(f'input[name=model][value="{second}"]')
