"""Browser truth: the built explore page in headless Chromium (Playwright + Debian's chromium)."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import parse_qs, urlsplit

import pytest

from sitegen.models import REGISTRY
from sitegen.site.contract import browser_constants
from support.helpers import wait_until

pytestmark = pytest.mark.browser

LOADED = "document.getElementById('status').textContent.includes('manga')"
TITLED = "document.getElementById('manga-title').textContent.length > 0"


def fold(text):
    """A name as the page's search compares it (static/js/titles.js fold), near enough for a test:
    case, accents and apostrophes ignored, other punctuation a space."""
    plain = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+|_", " ", re.sub(r"['`\u2019]", "", plain.lower())).split())


@pytest.fixture(scope="module")
def index(served):
    return served.whole()


def test_search_pick_shows_one_list_then_every_model_on_demand(served, index, page):
    titles, ids = index["manga"]["title"], index["manga"]["id"]
    names = [[fold(t) for t in (title, *alts)] for title, alts in zip(titles, index["manga"]["alt"])]

    def part(title):  # part of the title, last letter missing
        return " ".join(title.split()[1:3])[:-1]

    def named(query):  # manga a name of which holds every word of the query (what the list can show)
        words = fold(query).split()
        return sum(any(all(w in name for w in words) for name in own) for own in names)

    # a part that names few manga ("of th" of "Days of the Midnight Wolf" names dozens, and the
    # list shows twelve)
    target = next(i for i, t in enumerate(titles) if len(t.split()) >= 3 and t.isascii() and "<" not in t
                  and named(part(t)) <= 3)
    query = part(titles[target])
    page.goto(served.url("explore"))
    wait_until(page, LOADED)
    page.fill("#search-input", query)
    option = page.locator("#search-results li", has_text=titles[target]).first
    option.wait_for()
    option.click()
    page.wait_for_url(f"**?id={ids[target]}")
    assert page.text_content("#manga-title") == titles[target]
    columns = page.locator("#columns .column")
    columns.first.wait_for()
    # one list, from the model the build's evaluation chose, and the page says so
    assert columns.count() == 1 and columns.first.get_attribute("data-model") == index["default"]
    label = next(m["label"] for m in index["models"] if m["name"] == index["default"])
    assert label in page.text_content("#similar-note") and "evaluation" in page.text_content("#similar-note")
    items = columns.first.locator("li.neighbour")
    assert 10 <= items.count() <= index["show"]
    assert float(items.first.locator(".dist").text_content()) >= 0
    # the others one click away: every model on by default, side by side
    page.click("#view-compare")
    on = [m["name"] for m in index["models"] if m["on"]]
    wait_until(page, "n => document.querySelectorAll('#columns .column').length === n", arg=len(on))
    assert [c.get_attribute("data-model") for c in columns.all()] == on
    assert parse_qs(urlsplit(page.url).query)["view"] == ["compare"]
    for name in on:
        assert page.locator(f'.column[data-model="{name}"] li.neighbour').count() >= 5


def test_keyboard_selection_and_url_restores_on_reload(served, index, page):
    page.goto(served.url("explore"))
    wait_until(page, LOADED)
    page.focus("#search-input")
    page.keyboard.type(index["manga"]["title"][3][:6])
    page.locator("#search-results li").first.wait_for()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    page.wait_for_url("**?id=*")
    chosen = page.text_content("#manga-title")
    page.reload()
    wait_until(page, TITLED)
    assert page.text_content("#manga-title") == chosen
    page.locator("#columns .column").first.wait_for()


def test_neighbour_click_back_and_filters(served, index, page):
    first = next(i for i, tags in enumerate(index["manga"]["tags"]) if tags)  # a manga without tags has no list
    page.goto(served.url("explore", id=index["manga"]["id"][first]))
    link = page.locator("#columns .column").first.locator("a.n-title").first
    link.wait_for()
    neighbour_title = link.text_content()
    link.click()
    wait_until(page, "t => document.getElementById('manga-title').textContent === t", arg=neighbour_title)
    page.go_back()
    wait_until(page, "t => document.getElementById('manga-title').textContent === t", arg=index["manga"]["title"][first])
    page.locator("#columns .column").first.wait_for()
    page.click("#filters-box summary")  # filters are folded under one Tab stop
    page.select_option("#min-shared", "4")
    page.wait_for_timeout(200)
    for item in page.locator("li.neighbour").all():
        assert item.locator(".tags.small li").count() >= 4


def test_rating_filter_is_the_contracts_and_hides_neighbours_by_rating(served, index, page):
    """The filter's boxes are the contract's ratings, its defaults checked; a neighbour is shown
    when the rating the catalogue gives it (an index into the contract's list) is checked."""
    contract = browser_constants()
    ratings, manga = contract["content_ratings"], index["manga"]
    rating_of = lambda j: ratings[manga["rating"][j]]  # noqa: E731
    off = [r for r in ratings if r not in contract["default_ratings"]]
    model = next(iter(REGISTRY))
    i, row = next((i, row) for i, row in enumerate(neighbour_rows(served, index, model))
                  if any(rating_of(j) in off for j in row))  # a manga with a neighbour hidden by default
    # the model's column alone, with the guards and the series filter off: only the reader's filter
    page.goto(served.url("explore", id=manga["id"][i], view="compare", models=model, guards="none", series="1"))
    column = page.locator(f'.column[data-model="{model}"]')
    column.wait_for()
    boxes = page.locator("#filters input[name=rating]")
    assert boxes.evaluate_all("bs => bs.map(b => b.value)") == ratings
    assert boxes.evaluate_all("bs => bs.filter(b => b.checked).map(b => b.value)") == contract["default_ratings"]

    def shown():
        hrefs = column.locator("a.n-title").evaluate_all("as => as.map(a => a.getAttribute('href'))")
        return [int(parse_qs(urlsplit(h).query)["m"][0]) for h in hrefs]  # links name manga by index

    show = index["show"]
    assert shown() == [j for j in row if rating_of(j) not in off][:show]
    assert page.evaluate("document.getElementById('filters-box').open")  # filters off the defaults: shown
    for rating in off:
        page.check(f'#filters input[name=rating][value="{rating}"]')
    page.uncheck(f'#filters input[name=rating][value="{ratings[0]}"]')
    wanted = [j for j in row if rating_of(j) != ratings[0]][:show]
    chosen = parse_qs(urlsplit(page.url).query)["ratings"][0].split(",")  # the filter is in the URL
    assert sorted(chosen) == sorted(r for r in ratings if r != ratings[0])
    wait_until(page, "([m, n]) => document.querySelector(`.column[data-model='${m}']`)"
                           ".querySelectorAll('li.neighbour').length === n", arg=[model, len(wanted)])
    assert shown() == wanted


def neighbour_rows(served, index, model):
    """Each manga's neighbours under ``model``, from the shards, in catalogue order."""
    for number in range(-(-len(index["manga"]["id"]) // index["shard_size"])):
        for row in served.neighbours(number)[model]:
            yield [j for j in row if j >= 0]


def test_hostile_title_is_shown_as_text(served, index, page):
    i = index["manga"]["title"].index("<img src=x onerror=alert(1)> Academy")
    page.goto(served.url("explore", id=index["manga"]["id"][i]))
    wait_until(page, TITLED)
    assert page.text_content("#manga-title") == "<img src=x onerror=alert(1)> Academy"
    assert page.locator("#manga-title img").count() == 0


def test_model_toggles_hide_columns_and_travel_in_the_url(served, index, page):
    on = [m["name"] for m in index["models"] if m["on"]]
    first, second = on[:2]
    page.goto(served.url("explore", id=index["manga"]["id"][1], view="compare"))
    page.locator(f'.column[data-model="{second}"]').wait_for()
    assert not page.evaluate("document.getElementById('filters-box').open")
    page.click("#filters-box summary")
    page.uncheck(f'input[name=model][value="{second}"]')
    page.locator(f'.column[data-model="{second}"]').wait_for(state="detached")
    assert page.locator("#columns .column").count() == len(on) - 1
    shown = parse_qs(urlsplit(page.url).query)["models"][0].split(",")
    assert second not in shown and first in shown
    page.reload()
    page.locator(f'.column[data-model="{first}"]').wait_for()
    assert page.locator(f'.column[data-model="{second}"]').count() == 0
    assert page.evaluate("document.getElementById('filters-box').open")  # a model is off: shown why
    assert not page.is_checked(f'input[name=model][value="{second}"]')
