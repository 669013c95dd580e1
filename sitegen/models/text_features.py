"""Words of a manga a reader can see: its titles in every script and its description, as plain text.

MangaDex descriptions carry Markdown, leftover BBCode from the old site (``[b]``, ``[url=...]``,
``[spoiler]``, ``[*]``), bare addresses and HTML entities. For a bag of words none of that is
text: markup and addresses are dropped, entities decoded once, so that "Kaguya&#039;s" and
"Kaguya's" are one word and no manga looks like another because both link to Twitter.

Tokens are lower-cased words of two or more letters or digits. Scripts written without spaces
(Chinese, Japanese kana and kanji, Korean hangul runs) become overlapping character pairs instead,
so that "進撃の巨人" and "進撃の巨人 Before the Fall" share words although neither has a space.
"""

from __future__ import annotations

import html
import re

#: BBCode tags, with or without a value: ``[b]``, ``[/url]``, ``[url=https://...]``, ``[*]``.
BBCODE = re.compile(r"\[/?(?:[a-z]+|\*)(?:=[^\]\n]{0,300})?\]", re.IGNORECASE)
#: Web addresses, bare or in Markdown links (the link text is kept, the address is not).
URL = re.compile(r"(?:https?://|www\.)[^\s<>()\[\]]+", re.IGNORECASE)
#: Markdown punctuation and HTML tags that carry no words.
MARKUP = re.compile(r"<[^>\n]{0,200}>|[*_~`#>|]+")
#: A run of characters from scripts written without spaces.
UNSPACED = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
TOKEN = re.compile(rf"[{UNSPACED}]+|[^\W\d_{UNSPACED}][^\W_{UNSPACED}]+|\d{{2,}}")
UNSPACED_RUN = re.compile(rf"[{UNSPACED}]")


def plain_text(text: str) -> str:
    """``text`` without BBCode, Markdown, HTML tags and addresses, entities decoded once."""
    text = BBCODE.sub(" ", text)
    text = URL.sub(" ", text)
    text = html.unescape(text)
    return MARKUP.sub(" ", text)


def tokens(text: str) -> list[str]:
    """Lower-cased words of ``text``; runs of unspaced scripts as overlapping character pairs."""
    lowered = text.lower()
    words = TOKEN.findall(lowered)
    if not UNSPACED_RUN.search(lowered):  # most text: the words as they are, found in one C call
        return words
    out: list[str] = []
    for word in words:
        if UNSPACED_RUN.match(word):
            out.extend([word] if len(word) == 1 else [word[i : i + 2] for i in range(len(word) - 1)])
        else:
            out.append(word)
    return out


def title_tokens(title: str, alt_titles: tuple[str, ...]) -> list[str]:
    """Every title's words once each: a manga with six alt titles is not six times as "titled"."""
    seen: dict[str, None] = {}
    for text in (title, *alt_titles):
        seen.update(dict.fromkeys(tokens(text)))
    return list(seen)


def description_tokens(description: str) -> list[str]:
    """Words of a description after :func:`plain_text`."""
    return tokens(plain_text(description))
