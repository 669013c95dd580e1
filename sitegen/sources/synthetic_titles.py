"""Alternative titles for the demo, as many and in as many scripts as MangaDex's.

On MangaDex a popular manga has a dozen or more alternative titles (the most followed have 20 to
40): Japanese in kana and kanji, its romanization, English, Russian and Ukrainian in Cyrillic,
Chinese, Korean, Vietnamese, Thai, Arabic and the Latin-script languages of its translations; an
obscure one has one or two. Measured on the real list responses in ``../shared/mangadex/responses``
(155 manga): mean about 5 a manga, 27 characters each, languages in the proportions of
:data:`SCRIPTS`. The demo follows that, so that the title search is sized and tested on what the
real catalogue holds (:mod:`sitegen.site.titles`).
"""

from __future__ import annotations

import numpy as np

from . import synthetic_words as words

#: Language of an alternative title and its weight, from the real responses.
SCRIPTS = {"ja": 165, "en": 142, "ja-ro": 84, "ru": 39, "zh": 38, "vi": 32, "ko": 27, "fr": 23, "pt-br": 20,
           "es": 26, "id": 16, "zh-hk": 14, "th": 12, "pl": 10, "ar": 10, "tr": 9, "uk": 9}
MAX_ALT = 40
_CYRILLIC = dict(zip("abcdefghijklmnopqrstuvwxyz", "абкдефгхийклмнопкрстувввйз"))
_ACCENTS = dict(zip("aeiouy", "áéíóúý"))


def _latin_variant(rng: np.random.Generator, title: str) -> str:
    """The English title with some vowels accented and the words shuffled a little (a translation)."""
    chars = [_ACCENTS.get(c, c) if rng.random() < 0.25 else c for c in title]
    parts = "".join(chars).split()
    if len(parts) > 2 and rng.random() < 0.5:
        parts = parts[1:] + parts[:1]
    return " ".join(parts)


def _script(rng: np.random.Generator, first: int, last: int, lo: int, hi: int, words_: int = 1) -> str:
    return " ".join("".join(chr(int(c)) for c in rng.integers(first, last + 1, int(rng.integers(lo, hi))))
                    for _ in range(words_))


def _alt(rng: np.random.Generator, language: str, title: str, kana: str) -> str:
    hanzi = words.HANZI
    if language == "ja":
        return kana + "の" + "".join(hanzi[int(j)] for j in rng.integers(0, len(hanzi), int(rng.integers(1, 4))))
    if language == "ja-ro":
        syllables = [words.SYLLABLES[int(j)] for j in rng.integers(0, len(words.SYLLABLES), 6)]
        return (" ".join(["".join(syllables[:3]).capitalize(), "no", "".join(syllables[3:]).capitalize()]))
    if language in ("zh", "zh-hk"):
        return "".join(hanzi[int(j)] for j in rng.integers(0, len(hanzi), int(rng.integers(2, 8))))
    if language == "ko":
        return _script(rng, 0xAC00, 0xD7A3, 2, 5, int(rng.integers(1, 4)))
    if language == "th":
        return _script(rng, 0x0E01, 0x0E2E, 4, 12)
    if language == "ar":
        return _script(rng, 0x0627, 0x064A, 3, 7, int(rng.integers(2, 4)))
    if language in ("ru", "uk"):
        return "".join(_CYRILLIC.get(c, c) for c in title.lower()).capitalize()
    if language == "en":
        return title.split(" ", 1)[-1].title() + ": " + kana  # a subtitle form
    return _latin_variant(rng, title)


def add_alt_titles(rng: np.random.Generator, records: list[dict], popularity: np.ndarray) -> None:
    """Append alternative titles to each record: more the more followed, up to :data:`MAX_ALT`.

    The count is Poisson with mean ``exp(0.3 + 0.8 z)`` (``z``: the record's popularity, standard
    normal): about 2.5 a manga on average, 20 or more for the few most followed. Titles already
    there are kept first; a duplicate is not added.
    """
    languages = list(SCRIPTS)
    p = np.array(list(SCRIPTS.values()), dtype=float)
    p /= p.sum()
    counts = np.minimum(rng.poisson(np.exp(0.3 + 0.8 * popularity)), MAX_ALT)
    for record, count in zip(records, counts):
        attrs = record["attributes"]
        title = next(iter(attrs["title"].values()))
        kana = next((v for alt in attrs["altTitles"] for k, v in alt.items() if k == "ja"), None)
        kana = (kana or "").split("の")[0] or "".join(words.KATAKANA[s] for s in words.SYLLABLES[:2])
        have = {v for alt in attrs["altTitles"] for v in alt.values()} | {title}
        for language in rng.choice(languages, size=int(count), p=p):
            name = _alt(rng, str(language), title, kana)
            if name not in have:
                have.add(name)
                attrs["altTitles"].append({str(language): name})
