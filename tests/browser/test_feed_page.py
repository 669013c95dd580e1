"""Browser truth for the feed page: time order, the reader's library, re-ranking, persistence."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sitegen.site.contract import LIBRARY, browser_constants
from support.helpers import wait_until

pytestmark = pytest.mark.browser

KEY = LIBRARY["key"]


@pytest.fixture(scope="module")
def site(served):
    """The served demo site, its catalogue and its feed."""
    return served, served.whole(), served.data("feed")


# -- helpers -----------------------------------------------------------------------------------


def open_feed(page, served):
    page.goto(served.url("feed"))
    page.locator("#feed-items li.feed-item").first.wait_for()
    wait_until(page, "!document.getElementById('library-search').disabled")


def shown_ids(page):
    return page.eval_on_selector_all("#feed-items li.feed-item", "els => els.map(e => e.dataset.id)")


def shown_scores(page):
    return [float(x) for x in page.eval_on_selector_all("#feed-items .feed-score", "els => els.map(e => e.textContent)")]


def time_order(feed):
    """Ids the page shows with an empty library: the feed's order, in the contract's default ratings."""
    return [i["id"] for i in feed["items"] if i["contentRating"] in browser_constants()["default_ratings"]]


def library_pair(index):
    """Two catalogue manga with plain, searchable titles that share at least two tags."""
    m = index["manga"]
    plain = [i for i, t in enumerate(m["title"]) if t.isascii() and "<" not in t and len(m["tags"][i]) >= 3]
    for a in plain:
        for b in plain:
            if a < b and len(set(m["tags"][a]) & set(m["tags"][b])) >= 2:
                return a, b
    raise AssertionError("no pair of manga sharing two tags")


def add_by_search(page, index, i):
    page.fill("#library-search", index["manga"]["title"][i])
    option = page.locator(f'#library-results li[data-index="{i}"]')
    option.wait_for()
    option.click()
    page.locator(f'#library-list li[data-id="{index["manga"]["id"][i]}"]').wait_for()


def expected_scores(index, feed, library):
    """The page's scores, recomputed from the JSON: cosine of LSI fold-ins (see tests/test_feed.py)."""
    model = feed["model"]
    idf, projection = np.asarray(model["idf"]), np.asarray(model["projection"])

    def fold(counts):
        cols = np.array(list(counts), dtype=int)
        w = np.array(list(counts.values()), dtype=float)
        return (w / w.sum() * idf[cols]) @ projection[cols] if len(cols) else np.zeros(model["rank"])

    counts: dict[int, int] = {}
    for i in library:
        for t in index["manga"]["tags"][i]:
            counts[t] = counts.get(t, 0) + 1
    mine = fold(counts)
    out = {}
    for item in feed["items"]:
        v = fold(dict.fromkeys(item["tags"], 1))
        norm = np.linalg.norm(v) * np.linalg.norm(mine)
        out[item["id"]] = float(v @ mine / norm) if norm > 0 else 0.0
    return out


# -- tests -------------------------------------------------------------------------------------


def test_library_reranks_the_feed_survives_reload_and_removal(site, page):
    served, index, feed = site
    open_feed(page, served)
    before = shown_ids(page)
    assert before == time_order(feed)
    times = page.eval_on_selector_all("#feed-items time", "els => els.map(e => e.getAttribute('datetime'))")
    assert times == sorted(times, reverse=True)
    assert shown_scores(page) == []
    assert "Add manga you like" in page.text_content("#feed-note")

    a, b = library_pair(index)
    add_by_search(page, index, a)
    add_by_search(page, index, b)
    page.locator("#feed-items .feed-score").first.wait_for()
    after, scores = shown_ids(page), shown_scores(page)
    assert sorted(after) == sorted(before) and after != before
    assert scores == sorted(scores, reverse=True) and len(scores) == len(after)
    expected = expected_scores(index, feed, [a, b])
    assert all(abs(expected[i] - s) <= 1.1e-3 for i, s in zip(after, scores))
    library_tags = set(index["manga"]["tags"][a]) | set(index["manga"]["tags"][b])
    for pos in range(5):
        item = next(i for i in feed["items"] if i["id"] == after[pos])
        assert set(item["tags"]) & library_tags
        assert page.locator("#feed-items li.feed-item").nth(pos).locator(".tag.shared").count() >= 1
    assert "Ranked by similarity to the 2 manga" in page.text_content("#feed-note")

    page.reload()
    page.locator("#feed-items .feed-score").first.wait_for()
    assert page.locator("#library-list li").count() == 2
    assert shown_ids(page) == after

    for _ in range(2):
        page.locator("#library-list .library-remove").first.click()
    wait_until(page, "document.querySelectorAll('#library-list li').length === 0")
    assert shown_ids(page) == before and shown_scores(page) == []
    assert page.text_content("#library-status") == "Your library is empty."


def test_explore_button_and_feed_button_add_to_the_same_library(site, page):
    served, index, feed = site
    target = index["manga"]["id"][7]
    page.goto(served.url("explore", id=target))
    button = page.locator("#library-toggle")
    wait_until(page, "document.getElementById('manga-title').textContent.length > 0")
    assert button.text_content() == "Add to my library"
    button.click()
    assert button.text_content() == "Remove from my library"
    assert json.loads(page.evaluate(f"localStorage.getItem('{KEY}')"))["ids"] == [target]

    open_feed(page, served)
    page.locator(f'#library-list li[data-id="{target}"]').wait_for()
    page.locator("#feed-items .feed-score").first.wait_for()
    add = page.locator("#feed-items .library-add").first
    added = add.locator("xpath=ancestor::li[contains(@class, 'feed-item')]").get_attribute("data-id")
    add.click()
    page.locator(f'#library-list li[data-id="{added}"]').wait_for()
    assert page.locator("#library-list li").count() == 2

    page.goto(served.url("explore", id=target))
    wait_until(page, "document.getElementById('library-toggle').textContent === 'Remove from my library'")
    button.click()
    assert button.text_content() == "Add to my library"
    assert json.loads(page.evaluate(f"localStorage.getItem('{KEY}')"))["ids"] == [added]


def test_corrupt_or_hostile_storage_is_ignored(site, page):
    served, index, feed = site
    open_feed(page, served)
    page.evaluate(f"localStorage.setItem('{KEY}', '{{not json')")
    page.reload()
    page.locator("#feed-items li.feed-item").first.wait_for()
    assert page.locator("#library-list li").count() == 0
    assert shown_ids(page) == time_order(feed)

    good = index["manga"]["id"][3]
    stored = {"version": LIBRARY["version"], "ids": ["<img src=x onerror=alert(1)>", 42, good, good, "../etc"]}
    page.evaluate("([k, v]) => localStorage.setItem(k, v)", [KEY, json.dumps(stored)])
    page.reload()
    page.locator(f'#library-list li[data-id="{good}"]').wait_for()
    assert page.locator("#library-list li").count() == 1
    assert page.locator("img").count() == 0
    page.evaluate("([k, v]) => localStorage.setItem(k, v)", [KEY, json.dumps(["not", "versioned"])])
    page.reload()
    page.locator("#feed-items li.feed-item").first.wait_for()
    assert page.locator("#library-list li").count() == 0
