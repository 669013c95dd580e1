"""The coded columns a reader narrows lists by: original language, publication status, demographic.

Each column stores a small code per manga (its position in the column's values, most common
first; -1 unknown) instead of the text, and the values travel once, in the catalogue index. The
explore page offers them as choices, with readable names for the languages.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from ..sources.catalogue import Catalogue

#: English names of the original languages MangaDex uses most (others are shown by code).
LANGUAGE_NAMES = {
    "ja": "Japanese", "ko": "Korean", "zh": "Chinese", "zh-hk": "Chinese (Hong Kong)", "en": "English",
    "id": "Indonesian", "vi": "Vietnamese", "th": "Thai", "fr": "French", "es": "Spanish",
    "es-la": "Spanish (Latin America)", "pt-br": "Portuguese (Brazil)", "pt": "Portuguese", "ru": "Russian",
    "uk": "Ukrainian", "de": "German", "it": "Italian", "pl": "Polish", "tr": "Turkish", "ar": "Arabic",
    "ms": "Malay", "tl": "Filipino", "ja-ro": "Japanese (romanized)", "ko-ro": "Korean (romanized)",
    "zh-ro": "Chinese (romanized)",
}


def _vocabulary(values: Sequence[str]) -> list[str]:
    """The distinct non-empty values, most common first (ties by name): a column's codes."""
    counts = Counter(v for v in values if v)
    return sorted(counts, key=lambda v: (-counts[v], v))


@dataclass(frozen=True)
class Facets:
    """Each coded column's values: code ``c`` of a manga in column ``lang`` is ``lang[c]``."""

    lang: list[str]
    status: list[str]
    demo: list[str]

    @classmethod
    def of(cls, catalogue: Catalogue) -> Facets:
        manga = catalogue.manga
        return cls(_vocabulary([m.original_language for m in manga]), _vocabulary([m.status for m in manga]),
                   _vocabulary([m.demographic for m in manga]))

    def codes(self, name: str) -> dict[str, int]:
        """Column ``name``'s code of each value (a value not in it is unknown: -1)."""
        return {v: c for c, v in enumerate(getattr(self, name))}

    def to_json(self) -> dict[str, list[str]]:
        return {"lang": self.lang, "status": self.status, "demo": self.demo}

    def choices(self) -> dict[str, list[tuple[str, str]]]:
        """``(value, label)`` per column, for the page's selects."""
        return {"lang": [(v, LANGUAGE_NAMES.get(v, v)) for v in self.lang],
                "status": [(v, v.capitalize()) for v in self.status],
                "demo": [(v, v.capitalize()) for v in self.demo]}
