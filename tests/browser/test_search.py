"""The title search ranks as a reader expects, on real titles, in Explore and Feed.

A small inline catalogue of real MangaDex titles (and alternative titles in several scripts), with
the follows arranged so that catalogue order (most followed first) is the *wrong* answer: the
doujinshi and sequels are followed more than the titles a reader means, so only the ranking
(exact title, title start, word starts, inside a title, typos) puts the right one first.
"""

from __future__ import annotations

import json
from unittest.mock import patch

import pytest

from sitegen.build import build
from sitegen.config import BuildConfig, replace
from sitegen.site import titles
from support.helpers import manga_object, require_browser, serve, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TAGS = [("Action", "Adventure", "Comedy"), ("Romance", "Drama", "School Life"), ("Horror", "Action", "Demons"),
        ("Slice of Life", "Comedy"), ("Fantasy", "Isekai", "Magic"), ("Sci-Fi", "Mecha", "Military")]

# title, alternative titles, follows (more follows: earlier in the catalogue)
TITLES = [
    ("One Piece - Hito Nami (Doujinshi)", [], 9000),
    ("One Piece dj - Nami Paradise", [], 8900),
    ("ONE PIECE Party", ["ワンピース パーティー"], 8800),
    ("Chainsaw Man 2", [], 8700),
    ("Chainsaw Man - Buddy Stories", [], 8600),
    ("Yotsuba & Co. (Doujinshi)", [], 8500),
    ("Pieces of a Broken One", [], 8400),
    ("One Piece", ["ワンピース", "원피스", "Ван-Пис", "Vua Hải Tặc"], 5000),
    ("Chainsaw Man", ["チェンソーマン", "Человек-бензопила"], 4900),
    ("Yotsuba to!", ["よつばと!", "Yotsubato!", "Ёцуба!"], 4800),
    ("Pokémon Adventures", ["Pocket Monsters SPECIAL", "ポケットモンスタースペシャル"], 4700),
    ("Shingeki no Kyojin", ["Attack on Titan", "進撃の巨人", "L'Attaque des Titans"], 4600),
    ("Sousou no Frieren", ["Frieren: Beyond Journey's End", "葬送のフリーレン", "장송의 프리렌"], 4500),
    ("Kimetsu no Yaiba", ["Demon Slayer", "鬼滅の刃"], 4400),
    ("JoJo's Bizarre Adventure", ["ジョジョの奇妙な冒険"], 4300),
    ("K", [], 30),  # titles of short words only, outside the top fragment
    ("Go Go", [], 20),
]
FILLER = 40  # plain titles so that the models have a catalogue to learn from


def search_catalogue() -> list[dict]:
    out = []
    for n, (title, alts, follows) in enumerate(TITLES):
        out.append(manga_object(title, TAGS[n % len(TAGS)], follows=follows, year=1990 + n,
                                altTitles=[{"ja" if not a.isascii() else "en": a} for a in alts]))
    for n in range(FILLER):  # no statistics, no year: unknowns the pages must leave out
        out.append(manga_object(f"Filler Story {n}", TAGS[n % len(TAGS)]))
    return out


@pytest.fixture(scope="module")
def search_site(tmp_path_factory):
    require_browser()
    root = tmp_path_factory.mktemp("search")
    path = root / "catalogue.jsonl"
    path.write_text("\n".join(json.dumps(m) for m in search_catalogue()), encoding="utf-8")
    out = root / "_site"
    # a top fragment of 5 manga and fragments of about 10 entries: as at 110,000 manga, most titles
    # are found only through the fragment of the query's key
    with patch.object(titles, "TOP", 5), patch.object(titles, "PER_FRAGMENT", 10):
        build(replace(BuildConfig(seed=1), **{
            "catalogue.source": "file", "catalogue.path": path, "site.out": out, "models.names": ("lsi",),
            "projection.method": "pca", "projection.size": 55, "feed.size": 55}))
    assert json.loads((out / "data/catalogue.json").read_text("utf-8"))["titles"]["buckets"] > 5
    with serve(out) as base:
        yield base


def results(page, selector="#search-results"):
    """The titles shown, in order, each with its matched alternative title when there is one."""
    return page.eval_on_selector_all(selector + " li", """lis => lis.map(li => {
        const alt = li.querySelector('.r-alt');
        return li.querySelector('.r-title').textContent + (alt ? ' | ' + alt.textContent : '');
    })""")


def search(page, text, selector="#search-input"):
    page.fill(selector, "")
    page.fill(selector, text)
    # the results of this text, not the last search's still on screen (the page searches a frame later)
    wait_until(page, "([s, t]) => { const l = document.querySelector(s); "
               "return l.dataset.for === t && !l.hidden && l.children.length > 0; }",
               arg=[selector.replace("-input", "-results").replace("-search", "-results"), text])


@pytest.fixture
def explore(page, search_site):
    page.goto(search_site + "index.html")
    wait_until(page, "document.getElementById('status').textContent.includes('Type to search')")
    return page


@pytest.mark.parametrize("query, first", [
    ("One Piece", "One Piece"),
    ("one piece", "One Piece"),
    ("Chainsaw Man", "Chainsaw Man"),
    ("chainsaw", "Chainsaw Man 2"),  # a title start for both: the more followed first
    ("Yotsuba to", "Yotsuba to!"),
    ("pokemon", "Pokémon Adventures"),  # accents ignored
    ("jojos", "JoJo's Bizarre Adventure"),  # apostrophes ignored
    ("k", "K"),  # found through the fragment of its only word
    ("go go", "Go Go"),
])
def test_the_title_a_reader_means_comes_first(explore, query, first):
    search(explore, query)
    assert results(explore)[0] == first


def test_tiers_exact_then_start_then_words_then_typos(explore):
    search(explore, "One Piece")
    shown = results(explore)
    assert shown[:4] == ["One Piece", "One Piece - Hito Nami (Doujinshi)", "One Piece dj - Nami Paradise",
                         "ONE PIECE Party"]
    search(explore, "piece one")  # every word starts a title word, in any order
    assert results(explore)[:2] == ["One Piece - Hito Nami (Doujinshi)", "One Piece dj - Nami Paradise"]
    search(explore, "chainsw man")  # a typo: only fuzzy matching finds these, most followed first
    assert results(explore) == ["Chainsaw Man 2", "Chainsaw Man - Buddy Stories", "Chainsaw Man"]


@pytest.mark.parametrize("query, shown", [
    ("ワンピース", "One Piece | ワンピース"),
    ("원피스", "One Piece | 원피스"),
    ("ван пис", "One Piece | Ван-Пис"),
    ("vua hai tac", "One Piece | Vua Hải Tặc"),
    ("Attack on Titan", "Shingeki no Kyojin | Attack on Titan"),
    ("進撃", "Shingeki no Kyojin | 進撃の巨人"),
    ("フリーレン", "Sousou no Frieren | 葬送のフリーレン"),
    ("Demon Slayer", "Kimetsu no Yaiba | Demon Slayer"),
    ("ёцуба", "Yotsuba to! | Ёцуба!"),
])
def test_every_alternative_title_is_found_and_shown(explore, query, shown):
    search(explore, query)
    assert results(explore)[0] == shown


def test_enter_picks_the_first_result_even_when_typed_fast(explore):
    explore.focus("#search-input")
    explore.keyboard.type("Chainsaw Man")
    explore.keyboard.press("Enter")  # no wait: the search runs on Enter if a frame has not yet
    wait_until(explore, "document.getElementById('manga-title').textContent.length > 0")
    assert explore.text_content("#manga-title") == "Chainsaw Man"


def test_feed_enter_adds_the_title_typed(page, search_site):
    page.goto(search_site + "feed.html")
    wait_until(page, "!document.getElementById('library-search').disabled")
    page.focus("#library-search")
    page.keyboard.type("Yotsuba to")
    page.keyboard.press("Enter")
    wait_until(page, "document.querySelectorAll('#library-list li').length === 1")
    assert page.text_content("#library-list li a") == "Yotsuba to!"


# -- unknown values (issue 10, item 8) -----------------------------------------------------------


def test_unknown_follows_rating_and_year_are_left_out(explore):
    search(explore, "Filler Story 7")
    assert explore.locator("#search-results li").first.locator(".r-meta").count() == 0
    explore.keyboard.press("Enter")
    wait_until(explore, "document.getElementById('manga-meta').textContent.length > 0")
    meta = explore.text_content("#manga-meta")
    assert "follow" not in meta and "rated" not in meta and "0" not in meta and "null" not in meta
    search(explore, "One Piece")
    assert explore.locator("#search-results li").first.locator(".r-meta").text_content() == "1997 · 5,000 follows"
    explore.keyboard.press("Enter")
    wait_until(explore, "document.getElementById('manga-meta').textContent.includes('follows')")
    assert explore.text_content("#manga-meta").startswith("1997 · ")


def test_feed_search_leaves_unknown_follows_out(page, search_site):
    page.goto(search_site + "feed.html")
    wait_until(page, "!document.getElementById('library-search').disabled")
    search(page, "Filler Story 3", "#library-search")
    assert page.locator("#library-results li").first.locator(".r-meta").count() == 0
    assert page.locator("#library-results").text_content().count("follow") == 0


# -- the split index (sitegen/site/titles.py) --------------------------------------------------------


def test_the_page_folds_and_hashes_as_the_build(explore):
    names = [t for title, alts, _ in TITLES for t in [title, *alts]] + ["Ｆｕｌｌ　Ｗｉｄｔｈ", "a_b-c", "ทดสอบ ไทย"]
    assert explore.evaluate("ns => ns.map(Titles.fold)", names) == [titles.fold(n) for n in names]
    ks = sorted({k for n in names for k in titles.keys(titles.fold(n))})
    assert explore.evaluate("ks => ks.map(k => Titles.bucketOf(k, 97))", ks) == [titles.bucket(k, 97) for k in ks]


def test_a_query_fetches_the_fragment_of_its_key_only(explore, search_site):
    fetched = []
    explore.on("request", lambda r: fetched.append(r.url) if "/data/titles/" in r.url else None)
    search(explore, "Frieren")
    numbered = [u for u in fetched if not u.endswith("/top.json")]
    assert len(numbered) == 1  # one fragment; the top one was loaded with the page
    key_bucket = explore.evaluate("() => Site.catalogue().then(c => Titles.fragmentOf('fri', c.titles))")
    assert numbered[0].endswith(f"/data/titles/{key_bucket:03d}.json")
    assert results(explore)[0] == "Sousou no Frieren | Frieren: Beyond Journey's End"
