"""Explore's lists as a reader meets them: related titles apart, the own series and guarded titles
left out by default (and back on demand), "More by", and manga without tags."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from support.helpers import wait_until

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def index(served):
    return served.whole()


def picks(served, index):
    """(manga, its shard's entry, its lists by model) for every manga, in catalogue order."""
    for number in range(-(-len(index["manga"]["id"]) // index["shard_size"])):
        shard, lists = served.data("shard", number), served.neighbours(number)
        for r in range(len(shard["desc"])):
            entry = {key: shard[key][r] for key in ("rel", "same", "by")}
            yield shard["start"] + r, entry, {name: [j for j in rows[r] if j >= 0] for name, rows in lists.items()}


def open_filters(page):
    """Unfold "Filters and models" (a URL that sets a filter opens it already)."""
    if not page.evaluate("document.getElementById('filters-box').open"):
        page.click("#filters-box summary")


def shown(page, model, ids):
    """The ids of the manga a column lists (its links name them by catalogue index)."""
    hrefs = page.locator(f'.column[data-model="{model}"] a.n-title').evaluate_all(
        "as => as.map(a => a.getAttribute('href'))")
    return [ids[int(parse_qs(urlsplit(h).query)["m"][0])] for h in hrefs]


def test_related_titles_are_listed_apart_with_mangadex_labels(served, index, page):
    ids, titles = index["manga"]["id"], index["manga"]["title"]
    i, entry, _ = next(p for p in picks(served, index) if len(p[1]["rel"]) >= 2)
    page.goto(served.url("explore", id=ids[i]))
    page.locator("#related li").first.wait_for()
    items = page.locator("#related li").all_text_contents()
    assert items == [f"{label}: {titles[j]}" for j, label in entry["rel"]]
    j = entry["rel"][0][0]
    page.locator("#related a").first.click()
    wait_until(page, "t => document.getElementById('manga-title').textContent === t", arg=titles[j])


def test_its_own_series_is_left_out_until_asked(served, index, page):
    ids, default, rating = index["manga"]["id"], index["default"], index["manga"]["rating"]
    # a pick whose list holds its own series and nothing the default content ratings leave out
    i, entry, lists = next(p for p in picks(served, index)
                           if set(p[1]["same"]) & set(p[2][default][: index["show"]])
                           and all(rating[j] <= 2 for j in p[2][default][: index["show"]]))
    page.goto(served.url("explore", id=ids[i], guards="none"))
    page.locator(f'.column[data-model="{default}"] li.neighbour').first.wait_for()
    listed = shown(page, default, ids)
    assert not {ids[j] for j in entry["same"]} & set(listed)
    assert "of its own series" in page.text_content(f'.column[data-model="{default}"] .left-note')
    open_filters(page)
    page.check("#show-series")
    wait_until(page, "u => location.search.includes('series=1')", arg=None)
    assert shown(page, default, ids) == [ids[j] for j in lists[default][: index["show"]]]


def test_guards_hold_back_what_the_pick_does_not_carry(served, index, page):
    ids, rating = index["manga"]["id"], index["manga"]["rating"]
    default = index["default"]
    # a pick whose list holds a title above its rating that the default rating filter shows, so
    # that switching the guard off has something to bring back
    i, _, lists = next(p for p in picks(served, index)
                       if any(rating[p[0]] < rating[j] <= 2 for j in p[2][default][:10]))
    above = [ids[j] for j in lists[default] if rating[j] > rating[i]]
    page.goto(served.url("explore", id=ids[i], series="1"))
    page.locator(f'.column[data-model="{default}"] li.neighbour').first.wait_for()
    assert not set(above) & set(shown(page, default, ids))  # nothing above its content rating, by default
    open_filters(page)
    page.uncheck('input[name=guard][value="rating"]')
    wait_until(page, "() => location.search.includes('guards=')")
    visible = set(shown(page, default, ids))
    # back on demand, unless the reader's own rating filter hides them (pornographic is off by default)
    allowed = {ids[j] for j in lists[default][: index["show"]] if index["manga"]["rating"][j] <= 2}
    assert set(above) & allowed and set(above) & allowed <= visible


def test_more_by_its_author(served, index, page):
    ids, titles = index["manga"]["id"], index["manga"]["title"]
    i, entry, _ = next(p for p in picks(served, index) if any(others for _, _, others, _ in p[1]["by"]))
    page.goto(served.url("explore", id=ids[i]))
    page.locator("#more-by h2").first.wait_for()
    name, role, others, _ = next(b for b in entry["by"] if b[2])
    assert f"{name} ({role})" in page.text_content("#manga-people")
    box = page.locator(".more-by-box", has_text="More by " + name).first
    assert box.locator("a").all_text_contents() == [titles[j] for j in others]


def test_a_manga_without_tags_gets_a_list_from_its_description_only(served, index, page):
    ids = index["manga"]["id"]
    i = next(i for i, tags in enumerate(index["manga"]["tags"]) if not tags)
    page.goto(served.url("explore", id=ids[i], view="compare"))
    default = index["default"]
    page.locator(f'.column[data-model="{default}"] li.neighbour').first.wait_for()
    tag_model = next(m["name"] for m in index["models"] if m["on"] and m["name"] != default)
    assert "has no tags" in page.text_content(f'.column[data-model="{tag_model}"]')


# -- narrowing the lists: language, status, demographic, years, my library (issue 10, item 1) -----


def test_facet_and_year_filters_narrow_every_list_and_travel_in_the_url(served, index, page):
    m, facets, default = index["manga"], index["facets"], index["default"]
    i, _, lists = next(p for p in picks(served, index) if len({m["lang"][j] for j in p[2][default]}) > 1)
    lang = facets["lang"][m["lang"][lists[default][0]]]  # the first neighbour's language
    page.goto(served.url("explore", id=m["id"][i], guards="none", series="1", lang=lang))
    page.locator(f'.column[data-model="{default}"] li.neighbour').first.wait_for()
    assert page.evaluate("document.getElementById('filters-box').open")
    assert page.input_value("#f-lang") == lang
    wanted = [m["id"][j] for j in lists[default] if facets["lang"][m["lang"][j]] == lang
              and m["rating"][j] <= 2][: index["show"]]
    assert shown(page, default, m["id"]) == wanted
    assert "by your filters" in page.text_content(f'.column[data-model="{default}"] .left-note')
    # a year range as well: both filters hold, and both are in the address
    years = sorted(m["year"][j] for j in lists[default] if m["year"][j])
    low, high = years[len(years) // 4], years[3 * len(years) // 4]
    page.fill("#f-from", str(low))
    page.fill("#f-to", str(high))
    page.dispatch_event("#f-to", "change")
    wait_until(page, "([a, b]) => location.search.includes('from=' + a) && location.search.includes('to=' + b)",
               arg=[low, high])
    for j in (m["id"].index(x) for x in shown(page, default, m["id"])):
        assert facets["lang"][m["lang"][j]] == lang and low <= m["year"][j] <= high
    page.select_option("#f-lang", "")
    page.select_option("#f-status", facets["status"][0])
    wait_until(page, "s => location.search.includes('status=' + s) && !location.search.includes('lang=')",
               arg=facets["status"][0])
    for j in (m["id"].index(x) for x in shown(page, default, m["id"])):
        assert m["status"][j] == 0 and low <= m["year"][j] <= high


def test_my_library_can_be_left_out_of_the_lists(served, index, page):
    m, default = index["manga"], index["default"]
    i, _, lists = next(p for p in picks(served, index) if len(p[2][default]) > index["show"])
    page.goto(served.url("explore", id=m["id"][i], guards="none", series="1", ratings="safe,suggestive,erotica,pornographic"))
    page.locator(f'.column[data-model="{default}"] li.neighbour').first.wait_for()
    first, second = shown(page, default, m["id"])[:2]
    page.evaluate("ids => ids.forEach((id) => Library.add(id))", [first, second])
    open_filters(page)
    page.check("#f-lib")
    wait_until(page, "() => location.search.includes('lib=hide')")
    wait_until(page, "ids => !Array.from(document.querySelectorAll('a.n-title')).some("
                     "a => ids.includes(a.textContent))", arg=[m["title"][m["id"].index(x)] for x in (first, second)])
    listed = shown(page, default, m["id"])
    assert first not in listed and second not in listed and len(listed) == index["show"]
    assert "2 by your filters" in page.text_content(f'.column[data-model="{default}"] .left-note')
