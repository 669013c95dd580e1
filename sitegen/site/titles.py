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
  fragments. Fragment ``b`` lists every manga that has a name with a key hashed to ``b``, with
  those names. So the fragment of any one key of a query holds every manga whose names could
  match the whole query: the page picks the query's most telling key (its longest word), fetches
  that fragment, and ranks within it.
* Keys found in more than ``STOP_SHARE`` of the manga ("the", の) would make their fragments
  huge and tell nothing apart: they are *stop keys*, listed in the catalogue index, not indexed,
  and never chosen by the page while the query has another key.
* A name of short words only ("K", "Go Go") has its first word, whole, as its key, and a query of
  short words looks there too.
* A query with no key yet (one or two letters) is answered from the *top* fragment: every name of
  the ``top`` most followed manga, which the page loads first (with the fragment of its first word,
  for the titles of short words only).

Each fragment entry is ``[index, year, follows, title, [names...]]``: what a search result shows
(``year``, ``follows`` null when unknown). The catalogue index orders manga by follows, so a
fragment in index order is in follows order, the search's tie-break.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
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


def keys(folded: str) -> set[str]:
    """The keys of a folded name (see the module docstring)."""
    if folded.isascii():  # most names: no script without spaces, so no per-word test
        out = {word[:KEY_LETTERS] for word in folded.split() if len(word) >= KEY_LETTERS}
        return out or ({folded.split()[0]} if folded.strip() else set())
    out = set()
    for word in folded.split():
        if _NO_SPACE.match(word):
            out.update(_NO_SPACE.findall(word))
        elif len(word) >= KEY_LETTERS:
            out.add(word[:KEY_LETTERS])
    if not out and folded.strip():  # only short words ("K", "Go Go"): its first word, whole, is its key
        out.add(folded.split()[0])
    return out


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
    top: dict[str, Any]
    fragments: list[dict[str, Any]]

    def header(self) -> dict[str, Any]:
        """What the page needs to find a query's fragment (in ``catalogue.json``)."""
        return {"buckets": self.buckets, "stop": self.stop, "key_letters": KEY_LETTERS, "top": len(self.top["manga"])}


def _entry(i: int, manga: Any, names: list[str]) -> list[Any]:
    return [i, manga.year, manga.follows or None, manga.title, names]


def _names(manga: Any) -> list[str]:
    return [manga.title, *manga.alt_titles]


def title_index(catalogue: Catalogue, *, per_fragment: int | None = None, top: int | None = None) -> TitleIndex:
    """Fragments of every title and alternative title (see the module docstring); ``per_fragment``
    and ``top`` default to :data:`PER_FRAGMENT` and :data:`TOP`."""
    per_fragment, top = per_fragment or PER_FRAGMENT, top or TOP
    n = len(catalogue)
    name_keys = [[keys(fold(name)) for name in _names(m)] for m in catalogue.manga]
    counts = Counter(k for per_manga in name_keys for k in set().union(*per_manga))
    limit = max(STOP_MIN, int(STOP_SHARE * n))
    stop = sorted(k for k, c in counts.items() if c > limit)
    stopped = set(stop)
    pairs = sum(c for k, c in counts.items() if k not in stopped)
    buckets = max(1, min(MAX_BUCKETS, math.ceil(pairs / per_fragment)))
    grouped: list[list[list[Any]]] = [[] for _ in range(buckets)]
    hashed: dict[str, int] = {}  # a key's bucket, computed once: most keys recur in many names
    for i, (m, per_name) in enumerate(zip(catalogue.manga, name_keys)):
        hit: dict[int, list[str]] = {}
        for name, ks in zip(_names(m), per_name):
            for b in sorted({hashed.get(k) if k in hashed else hashed.setdefault(k, bucket(k, buckets))
                             for k in ks - stopped}):
                hit.setdefault(b, []).append(name)
        for b, names in hit.items():
            grouped[b].append(_entry(i, m, names))
    top_entries = [_entry(i, m, _names(m)) for i, m in enumerate(catalogue.manga[:top])]
    return TitleIndex(buckets, stop, versioned("titles", {"manga": top_entries}),
                      [versioned("titles", {"manga": g}) for g in grouped])


def fragments(index: TitleIndex) -> Iterator[tuple[int, dict[str, Any]]]:
    """(number, fragment) of every bucket."""
    yield from enumerate(index.fragments)
