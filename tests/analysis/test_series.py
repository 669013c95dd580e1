"""A manga's own series and its related titles, from MangaDex relations."""

from __future__ import annotations

import numpy as np

from sitegen.analysis.series import direct_relations, relation_label, same_series, same_series_block, series_ids
from sitegen.sources.catalogue import Manga, Relation, build_catalogue
from sitegen.sources.vocabulary import VOCABULARY

TAG = VOCABULARY[0]


def mid(i):
    return f"00000000-0000-4000-8000-{i:012d}"


def catalogue(links):
    """Manga 0..5 (most followed first); ``links``: (i, j, kind) recorded on i's side only."""
    rel = {i: [] for i in range(6)}
    for i, j, kind in links:
        rel[i].append(Relation(mid(j), kind))
    manga = [Manga(mid(i), f"T{i}", tag_ids=(TAG.id,), follows=100 - i, relations=tuple(rel[i])) for i in range(6)]
    manga.append(Manga(mid(99), "Outside link", tag_ids=(TAG.id,), relations=(Relation(mid(1234), "sequel"),)))
    return build_catalogue(manga, {TAG.id: TAG})


def test_series_is_transitive_and_either_side():
    cat = catalogue([(0, 1, "sequel"), (2, 1, "colored"), (4, 5, "doujinshi")])
    s = series_ids(cat)
    assert s[0] == s[1] == s[2] and s[4] == s[5]
    assert len({s[0], s[3], s[4], s[6]}) == 4  # a link to a manga outside the catalogue joins nothing


def test_direct_relations_keep_the_label_and_the_other_side():
    cat = catalogue([(0, 1, "sequel"), (1, 0, "prequel"), (2, 1, "spin_off")])
    rel = direct_relations(cat)
    assert rel[0] == [(1, "Sequel")]
    assert rel[1] == [(0, "Prequel"), (2, "Related")]  # 2 -> 1 recorded on 2's side only
    assert rel[2] == [(1, "Spin-off")]
    assert relation_label("side_story") == "Side story" and relation_label("colored") == "Colour edition"


def test_same_series_only_among_listed_neighbours():
    series = np.array([0, 0, 0, 1, 1])
    assert same_series(series, 0, [np.array([1, 3, -1]), np.array([4, 2, 0])]) == [1, 2]
    assert same_series(series, 3, []) == []


def test_same_series_of_a_block_is_that_of_each_manga():
    rng = np.random.default_rng(5)
    series = rng.integers(0, 6, size=60)
    start = 20
    listed = [rng.integers(-1, 60, size=(15, 7)) for _ in range(3)]
    listed[0][2, 0] = start + 2  # the manga itself is never its own series-mate
    block = same_series_block(series, start, listed)
    assert block == [same_series(series, start + r, [x[r] for x in listed]) for r in range(15)]
    assert any(block) and not all(block)
