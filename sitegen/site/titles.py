"""The title search index, split so that a query loads only the part it needs.

At 110,000 manga the titles and alternative titles (about four names a manga, in a dozen scripts)
are 2–3 MB gzipped: too much to load before a reader's first search. So the names are cut into
fragments by the words they hold, and a query fetches one fragment:

* Every name is *folded* as the page folds a query (:func:`fold`, the twin of ``fold`` in
  ``static/js/site.js``): case, accents, full-width forms and apostrophes ignored, punctuation a
  space.
* A name's *keys* (:func:`keys`): for each word written with spaces between words (Latin,
  Cyrillic, ...), its first three letters, when it has three; for a word of a script written
  without spaces (Chinese, Japanese, Korean, Thai), each of its characters, because a reader may
  type any part of such a title.
* Keys are hashed (32-bit FNV-1a over code points, the same in the page) into ``buckets``
  fragments, but for the heaviest keys, which are *placed* so that no two share a fragment where
  that can be helped (the catalogue index lists them). Fragment ``b`` lists every manga that has
  a name with a key in ``b``, with those names. So the fragment of any one key of a query holds every manga whose names could
  match the whole query: the page picks the query's most telling key (its longest word), fetches
  that fragment, and ranks within it.
* Keys found in more than ``STOP_SHARE`` of the manga ("the", "her", の) would make their
  fragments huge and tell little apart: they are *stop keys*, listed in the catalogue index. A
  word whose three-letter key is stopped is keyed by four letters instead, and so on ("heroes"
  under "hero" when "her" is stopped); a stopped character of a script without spaces, and a word
  that is a stop key whole ("the"), are not indexed, and the page never picks them while the query
  has another key.
* A name of short words only ("K", "Go Go") has its first word, whole, as its key, and a query of
  short words looks there too.
* A query with no key yet (one or two letters) is answered from the *top* fragment: every name of
  the ``top`` most followed manga, which the page loads first (with the fragment of its first word,
  for the titles of short words only).

Each fragment entry is ``[index, year, follows, title, [alternative titles...]]``: what a search
result shows (``year``, ``follows`` null when unknown), with the alternative titles that hold a key
of the fragment (the title is always there). The page orders the manga of a query's fragments
by follows (most first), then index: the search's tie-break.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from ..sources.catalogue import Catalogue
from .contract import versioned

#: Letters of a query word before it has a key (a shorter word is matched as a prefix only).
KEY_LETTERS = 3
#: A key found in more than this share of the manga is a stop key (and never fewer than STOP_MIN).
STOP_SHARE = 0.03
STOP_MIN = 50
#: Manga entries a fragment holds on average (sets the number of fragments).
PER_FRAGMENT = 1500
MAX_BUCKETS = 256
#: The most followed manga whose names the page loads first (queries of one or two letters).
TOP = 300

_ASCII = re.compile(r"[\x00-\x7f]*")
_ASCII_DROP = re.compile(r"['`]")
_ASCII_SPACE = re.compile(r"[^a-z0-9]+")
_MARKS = re.compile(r"[\u0300-\u036f]")
_DROP = re.compile("['\u2019\u02bc`]")
_SPACE = re.compile(r"[\W_]+")  # in str patterns \w is every letter and number: \p{L}\p{N} and "_"
# Scripts written without spaces between words: Han, kana, Hangul syllables, Thai.
_NO_SPACE = re.compile("[\u0e00-\u0e7f\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
                       "\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f]")


def fold(text: str) -> str:
    """A name as the search compares it, with one space in front (so a word start is " " + word)."""
    if _ASCII.fullmatch(text):
        return " " + _ASCII_SPACE.sub(" ", _ASCII_DROP.sub("", text.lower())).strip()
    t = unicodedata.normalize("NFKC", _MARKS.sub("", unicodedata.normalize("NFD", text))).lower()
    return " " + _SPACE.sub(" ", _DROP.sub("", t)).strip()


def word_key(word: str, stop: AbstractSet[str] = frozenset()) -> str | None:
    """A spaced word's key: its shortest prefix of at least :data:`KEY_LETTERS` letters that is not
    a stop key; None for a shorter word or one whose every prefix is stopped ("the")."""
    for size in range(KEY_LETTERS, len(word) + 1):
        if word[:size] not in stop:
            return word[:size]
    return None


def keys(folded: str, stop: AbstractSet[str] = frozenset(), cache: dict[str, str | None] | None = None) -> set[str]:
    """The keys of a folded name under the stop keys ``stop`` (see the module docstring);
    ``cache`` remembers each spaced word's key for the same ``stop``."""
    words = folded.split()
    out: set[str] = set()
    for word in words:
        if not word.isascii() and _NO_SPACE.match(word):
            out.update(c for c in _NO_SPACE.findall(word) if c not in stop)
        elif len(word) >= KEY_LETTERS:
            key = cache.get(word, 0) if cache is not None else 0
            if key == 0:
                key = word_key(word, stop)
                if cache is not None:
                    cache[word] = key
            if key:
                out.add(key)
    if not out and words and all(len(w) < KEY_LETTERS and not _NO_SPACE.match(w) for w in words):
        out.add(words[0])  # only short words ("K", "Go Go"): its first word, whole, is its key
    return out


def _stop_keys(folded: list[list[str]], limit: int) -> tuple[set[str], list[list[set[str]]], Counter[str]]:
    """The stop keys (a key in more than ``limit`` manga), found level by level: a word whose
    three-letter key is stopped is keyed by four letters, and so on (so "heroes" stays findable
    when "her" is stopped); each name's keys under them; and how many manga hold each key.

    A level changes only the names holding a word or character that was just stopped, so only
    those are keyed again.
    """
    stop: set[str] = set()
    cache: dict[str, str | None] = {}
    name_keys = [[keys(f, stop, cache) for f in per] for per in folded]
    for _ in range(6):
        counts = Counter(k for per in name_keys for k in set().union(*per))
        new = {k for k, c in counts.items() if c > limit}
        if not new:
            return stop, name_keys, counts
        stop |= new
        cache = {}
        for per, per_keys in zip(folded, name_keys):
            for n, ks in enumerate(per_keys):
                if ks & new:
                    per_keys[n] = keys(per[n], stop, cache)
    return stop, name_keys, Counter(k for per in name_keys for k in set().union(*per))


def bucket(key: str, buckets: int) -> int:
    """FNV-1a (32-bit) of the key's code points, modulo ``buckets`` (as ``static/js/site.js``)."""
    h = 0x811C9DC5
    for ch in key:
        h = ((h ^ ord(ch)) * 0x01000193) & 0xFFFFFFFF
    return h % buckets


@dataclass(frozen=True)
class TitleIndex:
    """The split index: its layout for the catalogue index, and its fragments."""

    buckets: int
    stop: list[str]
    placed: dict[str, int]
    top: dict[str, Any]
    fragments: list[dict[str, Any]]

    def header(self) -> dict[str, Any]:
        """What the page needs to find a query's fragment (in ``catalogue.json``)."""
        return {"buckets": self.buckets, "stop": self.stop, "placed": self.placed, "key_letters": KEY_LETTERS,
                "top": len(self.top["manga"])}


def _entry(i: int, manga: Any, names: list[str]) -> list[Any]:
    return [i, manga.year, manga.follows or None, manga.title, [n for n in names if n != manga.title]]


def _names(manga: Any) -> list[str]:
    return [manga.title, *manga.alt_titles]


def title_index(catalogue: Catalogue, *, per_fragment: int | None = None, top: int | None = None) -> TitleIndex:
    """Fragments of every title and alternative title (see the module docstring); ``per_fragment``
    and ``top`` default to :data:`PER_FRAGMENT` and :data:`TOP`."""
    per_fragment, top = per_fragment or PER_FRAGMENT, top or TOP
    n = len(catalogue)
    folded = [[fold(name) for name in _names(m)] for m in catalogue.manga]
    stopped, name_keys, counts = _stop_keys(folded, max(STOP_MIN, int(STOP_SHARE * n)))
    stop = sorted(stopped)
    pairs = sum(c for k, c in counts.items() if k not in stopped)
    buckets = max(1, min(MAX_BUCKETS, math.ceil(pairs / per_fragment)))
    placed = _place(counts, stopped, buckets)
    grouped: list[list[list[Any]]] = [[] for _ in range(buckets)]
    where: dict[str, int] = dict(placed)  # a key's bucket, computed once: most keys recur in many names
    for i, (m, per_name) in enumerate(zip(catalogue.manga, name_keys)):
        hit: dict[int, list[str]] = {}
        for name, ks in zip(_names(m), per_name):
            for b in sorted({where.get(k) if k in where else where.setdefault(k, bucket(k, buckets))
                             for k in ks - stopped}):
                hit.setdefault(b, []).append(name)
        for b, names in hit.items():
            grouped[b].append(_entry(i, m, names))
    most = catalogue.follows_order[:top].tolist()
    top_entries = [_entry(i, catalogue.manga[i], _names(catalogue.manga[i])) for i in most]
    return TitleIndex(buckets, stop, placed, versioned("titles", {"manga": top_entries}),
                      [versioned("titles", {"manga": g}) for g in grouped])


def _place(counts: Counter[str], stopped: set[str], buckets: int) -> dict[str, int]:
    """Buckets for the heavy keys (each in more manga than a quarter of a fragment's average),
    chosen so that no two share one where they can help it: hashing alone put "her" and "but"
    (4,800 manga each at 110,000) into one 160 kB fragment. Each goes, most common first, to the
    bucket the light keys (placed by hash) and the heavy keys before it fill least."""
    live = {k: c for k, c in counts.items() if k not in stopped}
    average = sum(live.values()) / buckets
    heavy = sorted((k for k, c in live.items() if c > average / 4), key=lambda k: (-live[k], k))
    load = [0] * buckets
    for k, c in live.items():
        if c <= average / 4:
            load[bucket(k, buckets)] += c
    placed = {}
    for k in heavy:
        b = min(range(buckets), key=lambda j: (load[j], j))
        placed[k] = b
        load[b] += live[k]
    return placed


def fragments(index: TitleIndex) -> Iterator[tuple[int, dict[str, Any]]]:
    """(number, fragment) of every bucket."""
    yield from enumerate(index.fragments)
