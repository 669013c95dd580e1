"""Cleaning the untrusted fields of a MangaDex manga object: text, language maps, numbers, titles.

Every helper takes any JSON value and returns a clean value of one type or an empty one: none of
them raises, whatever the value, so that one odd field can never stop a catalogue from loading.
Which fields a manga must have, and the reasons it is skipped without them, are
:mod:`.catalogue`'s.
"""

from __future__ import annotations

import html
import math
import unicodedata
from typing import Any

MAX_TEXT = 200  # longest title kept, in characters: longer ones are junk or abuse
MAX_DESCRIPTION = 4000
MAX_ALT_TITLES = 50  # the most followed manga on MangaDex have 40 or more; every one is searchable

#: Control (Cc), format (Cf: zero-width characters, bidi overrides and isolates, the BOM) and lone
#: surrogates (Cs): invisible in a title, able to reorder the text around them, or (surrogates)
#: impossible to write as UTF-8 at all.
DROPPED = frozenset({"Cc", "Cf", "Cs"})
#: The bidi embeddings, overrides and isolates (all Cf), which make the text after them read in
#: another order than it is written. A description drops these but keeps other format characters:
#: the zero-width joiner of emoji sequences and the zero-width non-joiner of Persian belong to it.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def clean_text(value: Any, limit: int = MAX_TEXT) -> str:
    """A clean single-line string, or '' when ``value`` is not a string or holds nothing visible.

    Whitespace of any kind (tabs, line breaks, no-break spaces) becomes one space; control and
    format characters (zero-width spaces and joiners, the BOM, bidi controls) and lone surrogates
    are dropped; the result is stripped and cut to ``limit`` characters.
    """
    if not isinstance(value, str):
        return ""
    if not value.isprintable():  # printable text (CPython's rule) has none of them: most titles skip this
        value = "".join(" " if ch.isspace() else "" if unicodedata.category(ch) in DROPPED else ch for ch in value)
    return " ".join(value.split())[:limit].rstrip()


def clean_paragraphs(value: Any, limit: int = MAX_DESCRIPTION) -> str:
    """A multi-line string with its line breaks kept, or '' when ``value`` is not a usable string.

    Line endings become ``\\n`` and other control whitespace (tabs, form feeds) a space; other
    control characters, lone surrogates and bidi controls are dropped.
    """
    if not isinstance(value, str):
        return ""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    if not value.isprintable():  # every description with a line break: one pass in C, not a call a character
        value = value.translate(_PARAGRAPH_TABLE)
    return value.strip()[:limit]


#: What :func:`clean_paragraphs` does to a character (None: drops it): control characters (Unicode
#: category Cc) become a space when they are whitespace, else go, but the line break; lone
#: surrogates (Cs) and bidi controls go. Everything else stays.
_PARAGRAPH_TABLE: dict[int, str | None] = {
    **{cp: (" " if chr(cp).isspace() else None) for cp in (*range(0x20), *range(0x7F, 0xA0)) if cp != 0x0A},
    **{cp: None for cp in range(0xD800, 0xE000)},
    **{ord(ch): None for ch in BIDI_CONTROLS},
}


def plain_name(value: Any, limit: int = MAX_TEXT) -> str:
    """:func:`clean_text` of a title or a name whose HTML entities are decoded once first.

    MangaDex's older titles carry entities ("Charlotte&rsquo;s Letter"); the site escapes text
    itself, so an entity left in would show as typed. Decoding comes before cleaning, so that an
    entity cannot bring back a character the cleaning drops ("&#x202e;").
    """
    if isinstance(value, str) and "&" in value:
        value = html.unescape(value)
    return clean_text(value, limit)


def language_map(value: Any, limit: int = MAX_TEXT, *, names: bool = False) -> dict[str, str]:
    """``{language: text}`` of a localized string, keeping only entries with visible text; with
    ``names``, entities decoded once (:func:`plain_name`)."""
    if not isinstance(value, dict):
        return {}
    clean = plain_name if names else clean_text
    return {k: t for k, v in value.items() if isinstance(k, str) and (t := clean(v, limit))}


def localized_paragraphs(value: Any, limit: int = MAX_DESCRIPTION) -> str:
    """English text of a localized multi-line string, else the first language's; '' when none."""
    if not isinstance(value, dict):
        return ""
    texts = {k: t for k, v in value.items() if (t := clean_paragraphs(v, limit))}
    return texts.get("en") or next(iter(texts.values()), "")


def number(value: Any, kind: type, low: float, high: float) -> Any:
    """``value`` as ``kind`` (int or float) when it is a JSON number within [low, high], else None.

    Booleans, strings, NaN and infinities are not numbers here. The range is checked before the
    conversion, since an integer of thousands of digits does not fit a float.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if not low <= value <= high:
        return None
    return kind(value)


def display_title(title: dict[str, str], alt: list[dict[str, str]]) -> str:
    """English, then romanized Japanese, then any language, then alt titles (English first)."""
    for lang in ("en", "ja-ro"):
        if title.get(lang):
            return title[lang]
    if title:
        return next(iter(title.values()))
    for want_en in (True, False):
        for entry in alt:
            for lang, text in entry.items():
                if (lang == "en") == want_en:
                    return text
    return ""


def other_titles(title: dict[str, str], alt: list[dict[str, str]], chosen: str) -> tuple[str, ...]:
    """The titles besides ``chosen``, each once (ignoring case), title languages first, at most
    :data:`MAX_ALT_TITLES`."""
    seen, out = {chosen.casefold()}, []
    for text in [*title.values(), *(t for entry in alt for t in entry.values())]:
        if text.casefold() not in seen:
            seen.add(text.casefold())
            out.append(text)
    return tuple(out[:MAX_ALT_TITLES])
