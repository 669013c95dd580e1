"""The split title index: folding, keys, buckets, and that every name is where a query looks."""

from __future__ import annotations

import pytest

from sitegen.site import titles
from sitegen.site.titles import bucket, fold, keys, title_index
from sitegen.sources.catalogue import Catalogue, Manga, Tag


@pytest.mark.parametrize("text, folded", [
    ("One Piece!", " one piece"),
    ("Jojo's  Bizarre—Adventure", " jojos bizarre adventure"),
    ("ＫＩＬＬＥＲ\u3000ＡＰＥ", " killer ape"),
    ("Pokémon Adventures", " pokemon adventures"),
    ("Ёлки-палки", " елки палки"),
    ("進撃の巨人", " 進撃の巨人"),
    ("", " "),
])
def test_fold(text, folded):
    assert fold(text) == folded


def test_keys_are_word_starts_and_characters_of_scripts_without_spaces():
    assert keys(" one piece") == {"one", "pie"}
    assert keys(" a to zed") == {"zed"}  # a word of fewer than three letters is no key
    assert keys(" go go") == {"go"}  # unless the name has no other: then its first word is
    assert keys(" 進撃の巨人 attack") == {"進", "撃", "の", "巨", "人", "att"}
    assert keys(" ทดสอบ") == {"ท", "ด", "ส", "อ", "บ"}


def test_bucket_is_fnv1a_of_code_points():
    # FNV-1a 32-bit of "a" is 0xe40c292c (the published test vector)
    assert bucket("a", 2**32) == 0xE40C292C
    assert all(0 <= bucket(k, 7) < 7 for k in ("one", "の", "\U00020000"))


def _catalogue(names: list[list[str]], follows: list[int] | None = None) -> Catalogue:
    manga = tuple(Manga(id=f"00000000-0000-4000-8000-{i:012d}", title=n[0], alt_titles=tuple(n[1:]),
                        follows=(follows or [0] * len(names))[i], year=2000 + i) for i, n in enumerate(names))
    return Catalogue(manga=manga, tags=(Tag("t", "Tag", "genre"),))


def test_every_name_is_in_the_fragment_of_each_of_its_keys(monkeypatch):
    monkeypatch.setattr(titles, "STOP_MIN", 3)  # small enough that "the" becomes a stop key
    names = [["The One Piece"], ["The Two Swords", "双剣"], ["Piece of Cake", "ケーキ"], ["The Third"],
             ["The Fourth", "Четвёртый"], ["The Fifth Piece"], ["Go"]]
    cat = _catalogue(names)
    index = title_index(cat, per_fragment=2, top=2)
    assert index.stop == ["the"] and index.buckets > 1
    for i, per in enumerate(names):
        for name in per:
            for key in keys(fold(name)) - {"the"}:
                at = index.placed.get(key, bucket(key, index.buckets))
                entry = next((e for e in index.fragments[at]["manga"] if e[0] == i), None)
                assert entry is not None and name in [entry[3], *entry[4]], (name, key)
    everywhere = [e for f in index.fragments for e in f["manga"]]
    assert not any(keys(fold(n)) == {"the"} for e in everywhere for n in e[4])
    go = index.placed.get("go", bucket("go", index.buckets))
    assert [e[0] for e in index.fragments[go]["manga"]].count(6) == 1  # "Go": its own key
    assert [e[0] for e in index.top["manga"]] == [0, 1]  # the most followed (catalogue order)
    assert index.top["manga"][1] == [1, 2001, None, "The Two Swords", ["双剣"]]
    assert all([e[0] for e in f["manga"]] == sorted(e[0] for e in f["manga"]) for f in index.fragments)
    assert index.header() == {"buckets": index.buckets, "stop": ["the"], "placed": index.placed, "key_letters": 3,
                              "top": 2}


def test_heavy_keys_get_fragments_of_their_own():
    # two keys in many manga, many light ones: the heavy two never share a fragment
    names = [["Butler " + str(i)] for i in range(40)] + [["Heroes " + str(i)] for i in range(40)]
    names += [[f"{chr(97 + i % 26)}{chr(97 + i // 26)}x word{i}"] for i in range(200)]
    index = title_index(_catalogue(names), per_fragment=60)
    assert {"but", "her"} <= index.placed.keys() and index.placed["but"] != index.placed["her"]


def test_a_word_under_a_stop_key_is_keyed_by_a_longer_prefix(monkeypatch):
    monkeypatch.setattr(titles, "STOP_MIN", 3)
    names = [["Her Story"], ["Her Song"], ["Hero Academy"], ["Heroes Rise"], ["Heron Lake"], ["Herb Garden"]]
    index = title_index(_catalogue(names), per_fragment=2, top=1)
    assert "her" in index.stop and "hero" not in index.stop
    assert titles.word_key("heroes", set(index.stop)) == "hero" and titles.word_key("her", set(index.stop)) is None
    hero = index.placed.get("hero", bucket("hero", index.buckets))
    assert {e[0] for e in index.fragments[hero]["manga"]} >= {2, 3}  # both found by "hero..."
