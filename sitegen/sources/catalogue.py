"""The catalogue: MangaDex manga objects in, typed records and a manga x tag matrix out.

A catalogue file is JSON Lines (optionally gzipped), one manga per line exactly as ``GET /manga``
returns it in ``data[]``, with an optional top-level ``statistics`` member
(``{follows, rating: {average, bayesian}}``). Every field is untrusted: a line that cannot be
read is skipped and counted by reason, never fatal; unknown fields are ignored.
"""

from __future__ import annotations

import gzip
import json
import logging
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..errors import CatalogueError
from .vocabulary import GROUPS, Tag

log = logging.getLogger(__name__)

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
#: MangaDex's content ratings, mildest first; the order is the one every filter shows.
CONTENT_RATINGS = ("safe", "suggestive", "erotica", "pornographic")
#: The ratings crawled and shown unless a reader or maintainer asks for more.
DEFAULT_CONTENT_RATINGS = ("safe", "suggestive", "erotica")
MAX_ALT_TITLES = 8
MAX_TEXT = 200  # longest title kept, in characters: longer ones are junk or abuse
MAX_DESCRIPTION = 4000


class BadRecord(ValueError):
    """A manga object that cannot be used; ``reason`` is a short key for the summary."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Relation:
    """A manga-manga relationship: ``kind`` is MangaDex's ``related`` (sequel, spin_off, ...)."""

    id: str
    kind: str


@dataclass(frozen=True, slots=True)
class Manga:
    """One manga as the models and the site see it."""

    id: str
    title: str
    alt_titles: tuple[str, ...] = ()
    description: str = ""
    tag_ids: tuple[str, ...] = ()
    content_rating: str = "safe"
    status: str = ""
    year: int | None = None
    original_language: str = ""
    demographic: str = ""
    languages: tuple[str, ...] = ()
    created_at: str = ""
    updated_at: str = ""
    follows: int = 0
    rating: float | None = None
    bayesian: float | None = None
    relations: tuple[Relation, ...] = ()


@dataclass(frozen=True)
class Catalogue:
    """Manga in tie-break order (most followed first, then id) and their tag matrix.

    Index order is the order in which equally distant neighbours are listed, so every
    stage can break ties by index alone.
    """

    manga: tuple[Manga, ...]
    tags: tuple[Tag, ...]
    synthetic: bool = False
    source: str = ""

    def __len__(self) -> int:
        return len(self.manga)

    @cached_property
    def tag_index(self) -> dict[str, int]:
        """Tag id -> column of :attr:`matrix`."""
        return {t.id: j for j, t in enumerate(self.tags)}

    @cached_property
    def index(self) -> dict[str, int]:
        """Manga id -> row."""
        return {m.id: i for i, m in enumerate(self.manga)}

    @cached_property
    def matrix(self) -> sp.csr_matrix:
        """Binary manga x tag matrix B, shape (n_manga, n_tags), float64."""
        rows, cols = [], []
        for i, m in enumerate(self.manga):
            for t in m.tag_ids:
                rows.append(i)
                cols.append(self.tag_index[t])
        data = np.ones(len(rows), dtype=np.float64)
        shape = (len(self.manga), len(self.tags))
        return sp.csr_matrix((data, (rows, cols)), shape=shape)

    @cached_property
    def tag_groups(self) -> np.ndarray:
        """For each manga, the first manga with exactly its tag set, shape (n_manga,), int64."""
        first: dict[tuple[str, ...], int] = {}
        return np.array([first.setdefault(m.tag_ids, i) for i, m in enumerate(self.manga)], dtype=np.int64)

    @cached_property
    def tag_lists(self) -> list[list[int]]:
        """Per manga, its tag columns in ascending order."""
        b = self.matrix
        return [b.indices[b.indptr[i] : b.indptr[i + 1]].tolist() for i in range(len(self))]


@dataclass(frozen=True)
class LoadReport:
    """What loading a catalogue file found."""

    lines: int
    loaded: int
    skipped: dict[str, int]

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())


def _text(value: Any, limit: int = MAX_TEXT) -> str:
    """A clean single-line string, or '' when ``value`` is not a usable string."""
    if not isinstance(value, str):
        return ""
    return " ".join(value.split())[:limit]


def _language_map(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {k: t for k, v in value.items() if isinstance(k, str) and (t := _text(v))}


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


def _alt_titles(title: dict[str, str], alt: list[dict[str, str]], chosen: str) -> tuple[str, ...]:
    seen, out = {chosen.casefold()}, []
    for text in [*title.values(), *(t for entry in alt for t in entry.values())]:
        if text.casefold() not in seen:
            seen.add(text.casefold())
            out.append(text)
    return tuple(out[:MAX_ALT_TITLES])


def _description(value: Any) -> str:
    """English description, else any; paragraphs kept, length capped. Sanitized at render."""
    if not isinstance(value, dict):
        return ""
    texts = {k: v.strip() for k, v in value.items() if isinstance(v, str) and v.strip()}
    text = texts.get("en") or next(iter(texts.values()), "")
    return text[:MAX_DESCRIPTION]


def _tags(value: Any, vocabulary: dict[str, Tag]) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise BadRecord("tags not a list")
    ids = []
    for tag in value:
        attrs = tag.get("attributes") if isinstance(tag, dict) else None
        tag_id = tag.get("id") if isinstance(tag, dict) else None
        names = _language_map(attrs.get("name")) if isinstance(attrs, dict) else {}
        group = attrs.get("group") if isinstance(attrs, dict) else None
        if not (isinstance(tag_id, str) and UUID_RE.match(tag_id) and names and group in GROUPS):
            raise BadRecord("malformed tag")
        name = names.get("en") or next(iter(names.values()))
        vocabulary.setdefault(tag_id, Tag(tag_id, name, group))
        ids.append(tag_id)
    return tuple(sorted(set(ids)))


def _content_rating(value: Any) -> str:
    """MangaDex's rating; a missing or unknown one counts as the strictest, so that no filter a
    reader sets can let a title of unknown rating through (MangaDex always sends one)."""
    return value if value in CONTENT_RATINGS else CONTENT_RATINGS[-1]


def _number(value: Any, kind: type) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return kind(value)


def _relations(value: Any) -> tuple[Relation, ...]:
    out = []
    for rel in value if isinstance(value, list) else ():
        if isinstance(rel, dict) and rel.get("type") == "manga":
            rid, kind = rel.get("id"), rel.get("related")
            if isinstance(rid, str) and UUID_RE.match(rid) and isinstance(kind, str):
                out.append(Relation(rid, _text(kind, 40)))
    return tuple(out)


def parse_manga(obj: Any, vocabulary: dict[str, Tag]) -> Manga:
    """Turn one MangaDex manga object into a :class:`Manga`.

    Tags seen are added to ``vocabulary`` (id -> Tag). Raises :class:`BadRecord` with a short
    reason when the object cannot be used.
    """
    if not isinstance(obj, dict):
        raise BadRecord("not an object")
    manga_id = obj.get("id")
    if not isinstance(manga_id, str) or not manga_id:
        raise BadRecord("no id")
    if not UUID_RE.match(manga_id):
        raise BadRecord("id not a UUID")
    attrs = obj.get("attributes")
    if not isinstance(attrs, dict):
        raise BadRecord("no attributes")
    title = _language_map(attrs.get("title"))
    alt_raw = attrs.get("altTitles")
    alt = [_language_map(a) for a in alt_raw] if isinstance(alt_raw, list) else []
    chosen = display_title(title, alt)
    if not chosen:
        raise BadRecord("no title")
    tag_ids = _tags(attrs.get("tags", []), vocabulary)
    stats = obj.get("statistics") if isinstance(obj.get("statistics"), dict) else {}
    rating = stats.get("rating") if isinstance(stats.get("rating"), dict) else {}
    description = _description(attrs.get("description"))
    languages = attrs.get("availableTranslatedLanguages")
    year = _number(attrs.get("year"), int)
    return Manga(
        id=manga_id,
        title=chosen,
        alt_titles=_alt_titles(title, alt, chosen),
        description=description,
        tag_ids=tag_ids,
        content_rating=_content_rating(attrs.get("contentRating")),
        status=_text(attrs.get("status"), 20),
        year=year if year and 1900 <= year <= 2200 else None,
        original_language=_text(attrs.get("originalLanguage"), 10),
        demographic=_text(attrs.get("publicationDemographic"), 20),
        languages=tuple(sorted({_text(x, 10) for x in languages if _text(x, 10)}))
        if isinstance(languages, list)
        else (),
        created_at=_text(attrs.get("createdAt"), 40),
        updated_at=_text(attrs.get("updatedAt"), 40),
        follows=max(0, _number(stats.get("follows"), int) or 0),
        rating=_number(rating.get("average"), float),
        bayesian=_number(rating.get("bayesian"), float),
        relations=_relations(obj.get("relationships")),
    )


def read_lines(path: Path) -> Iterator[str]:
    """Lines of a JSON Lines file, gunzipped when the file starts with gzip's magic bytes."""
    try:
        with open(path, "rb") as fh:
            gzipped = fh.read(2) == b"\x1f\x8b"
        opener = gzip.open if gzipped else open
        with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
            yield from fh
    except FileNotFoundError:
        raise CatalogueError(
            f"Catalogue file {path} does not exist: give an existing file to --catalogue, "
            "or build the demo with --demo"
        ) from None
    except (OSError, EOFError) as err:
        raise CatalogueError(f"Catalogue file {path} cannot be read ({err}): check the file") from None


def parse_lines(lines: Iterable[str]) -> tuple[list[Manga], dict[str, Tag], bool, LoadReport]:
    """Parse JSON lines into manga, skipping and counting bad ones; the last copy of an id wins."""
    vocabulary: dict[str, Tag] = {}
    by_id: dict[str, Manga] = {}
    skipped: Counter[str] = Counter()
    synthetic = False
    count = 0
    for count, line in enumerate(lines, 1):  # noqa: B007 - after the loop, count is the lines read
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            manga = parse_manga(obj, vocabulary)
        except json.JSONDecodeError:
            skipped["not JSON"] += 1
            continue
        except BadRecord as bad:
            skipped[bad.reason] += 1
            continue
        if manga.id in by_id:
            skipped["duplicate id"] += 1
        by_id[manga.id] = manga
        synthetic = synthetic or obj.get("synthetic") is True
    report = LoadReport(lines=count, loaded=len(by_id), skipped=dict(sorted(skipped.items())))
    return list(by_id.values()), vocabulary, synthetic, report


def build_catalogue(
    manga: Iterable[Manga], vocabulary: dict[str, Tag], *, synthetic: bool = False, source: str = ""
) -> Catalogue:
    """Order manga for tie-breaking and tags by group then name; drop tags no manga uses."""
    ordered = tuple(sorted(manga, key=lambda m: (-m.follows, m.id)))
    used = {t for m in ordered for t in m.tag_ids}
    group_rank = {g: i for i, g in enumerate(GROUPS)}
    tags = tuple(
        sorted((vocabulary[t] for t in used), key=lambda t: (group_rank[t.group], t.name, t.id))
    )
    return Catalogue(manga=ordered, tags=tags, synthetic=synthetic, source=source)


def load_catalogue(path: Path) -> tuple[Catalogue, LoadReport]:
    """Read a catalogue file into a :class:`Catalogue`.

    Raises
    ------
    CatalogueError
        When the file is missing, unreadable, or has no usable manga.
    """
    manga, vocabulary, synthetic, report = parse_lines(read_lines(path))
    for reason, n in report.skipped.items():
        log.warning("skipped %d line(s) of %s: %s", n, path, reason)
    usable = [m for m in manga if m.tag_ids]
    if len(usable) < len(manga):
        skipped = dict(report.skipped, **{"no tags": len(manga) - len(usable)})
        report = LoadReport(report.lines, len(usable), dict(sorted(skipped.items())))
    if not usable:
        raise CatalogueError(
            f"Catalogue file {path} has no usable manga ({report.lines} lines, "
            f"{report.skipped_total} skipped, none with tags): check it is MangaDex manga JSON Lines"
        )
    catalogue = build_catalogue(usable, vocabulary, synthetic=synthetic, source=str(path))
    return catalogue, report
