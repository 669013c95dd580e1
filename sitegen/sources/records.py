"""One MangaDex manga object in, one typed :class:`Manga` record out (or :class:`BadRecord`).

Every field is untrusted: a record that cannot be used (not JSON, nested too deep, a number Python
will not parse, a required field missing or of the wrong type) raises :class:`BadRecord` with a
short reason, and nothing else leaves :func:`parse_manga`; an optional field of the wrong type is
left out; unknown fields are ignored. Text is cleaned by :mod:`.fields`. The catalogue
(:mod:`.catalogue`) reads files of such records.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, fields
from typing import Any

from .fields import clean_text, display_title, language_map, localized_paragraphs, number, other_titles, plain_name
from .vocabulary import GROUPS, Tag

log = logging.getLogger(__name__)

#: A MangaDex id. Match it with ``fullmatch``: ``$`` also matches before a final newline, and the
#: pattern cannot use ``\Z`` because the browser reads it too (:mod:`sitegen.site.contract`).
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
#: MangaDex's content ratings, mildest first; the order is the one every filter shows.
CONTENT_RATINGS = ("safe", "suggestive", "erotica", "pornographic")
#: The ratings crawled and shown unless a reader or maintainer asks for more.
DEFAULT_CONTENT_RATINGS = ("safe", "suggestive", "erotica")
#: Most follows believed: MangaDex has a few million readers, so more is junk that would put the
#: manga first in every tie-break.
MAX_FOLLOWS = 10**9


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
class Person:
    """An author or artist as MangaDex names them; ``role`` is "author", "artist" or "author, artist"."""

    id: str
    name: str
    role: str


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
    people: tuple[Person, ...] = ()


#: The fields of :class:`Manga` that hold plain values (its relations and people are records).
_PLAIN = tuple(f.name for f in fields(Manga) if f.name not in ("relations", "people"))


def manga_row(manga: Manga) -> tuple[Any, ...]:
    """``manga`` as plain values and tuples, which pickle and load several times faster than the
    records (2.4 s against 4.7 s to pickle and load 55,000 manga, measured): for a parsing process's answer."""
    return (tuple(getattr(manga, name) for name in _PLAIN), tuple((r.id, r.kind) for r in manga.relations),
            tuple((p.id, p.name, p.role) for p in manga.people))


def manga_from_row(row: tuple[Any, ...]) -> Manga:
    """The inverse of :func:`manga_row`."""
    plain, relations, people = row
    return Manga(**dict(zip(_PLAIN, plain)), relations=tuple(Relation(*r) for r in relations),
                 people=tuple(Person(*p) for p in people))


#: Each tag id's raw ``name`` member as last accepted: every manga repeats its tags in full, and a
#: tag already in the vocabulary with the same raw name and group needs no second reading
#: (``language_map`` and the id's pattern, 7 tags a manga: a fifth of parsing a catalogue).
_ACCEPTED_NAMES: dict[str, Any] = {}
_UNSEEN = object()


def _tags(value: Any, vocabulary: dict[str, Tag]) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise BadRecord("tags not a list")
    ids = []
    for tag in value:
        attrs = tag.get("attributes") if isinstance(tag, dict) else None
        tag_id = tag.get("id") if isinstance(tag, dict) else None
        known = vocabulary.get(tag_id) if isinstance(tag_id, str) and isinstance(attrs, dict) else None
        if (known is None or attrs.get("group") != known.group  # type: ignore[union-attr]
                or _ACCEPTED_NAMES.get(tag_id, _UNSEEN) != attrs.get("name")):  # type: ignore[union-attr]
            _read_tag(tag_id, attrs, vocabulary)
        ids.append(tag_id)
    return tuple(sorted(set(ids)))


def _read_tag(tag_id: Any, attrs: Any, vocabulary: dict[str, Tag]) -> None:
    """Check one tag of a record and add it to ``vocabulary`` if new, or :class:`BadRecord`."""
    names = language_map(attrs.get("name")) if isinstance(attrs, dict) else {}
    group = attrs.get("group") if isinstance(attrs, dict) else None
    if not (isinstance(tag_id, str) and UUID_RE.fullmatch(tag_id) and names and isinstance(group, str) and group in GROUPS):
        raise BadRecord("malformed tag")
    name = names.get("en") or next(iter(names.values()))
    vocabulary.setdefault(tag_id, Tag(tag_id, name, group))
    _ACCEPTED_NAMES[tag_id] = attrs.get("name")  # type: ignore[union-attr]


def _content_rating(value: Any) -> str:
    """MangaDex's rating; a missing or unknown one counts as the strictest, so that no filter a
    reader sets can let a title of unknown rating through (MangaDex always sends one)."""
    return value if value in CONTENT_RATINGS else CONTENT_RATINGS[-1]


def _relations(value: Any) -> tuple[Relation, ...]:
    out = []
    for rel in value if isinstance(value, list) else ():
        if isinstance(rel, dict) and rel.get("type") == "manga":
            rid, kind = rel.get("id"), rel.get("related")
            if isinstance(rid, str) and UUID_RE.fullmatch(rid) and (kind := clean_text(kind, 40)):
                out.append(Relation(rid, kind))
    return tuple(out)


def _people(value: Any) -> tuple[Person, ...]:
    """Authors and artists sent with the manga (``includes[]=author&includes[]=artist``), in the
    record's order; one person in both roles is one entry. Without the includes there is no name,
    and nobody is kept."""
    roles: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for rel in value if isinstance(value, list) else ():
        if not isinstance(rel, dict) or rel.get("type") not in ("author", "artist"):
            continue
        pid, attrs = rel.get("id"), rel.get("attributes")
        name = plain_name(attrs.get("name"), 120) if isinstance(attrs, dict) else ""
        if isinstance(pid, str) and UUID_RE.fullmatch(pid) and name:
            names.setdefault(pid, name)
            if rel["type"] not in roles.setdefault(pid, []):
                roles[pid].append(rel["type"])
    return tuple(Person(pid, names[pid], ", ".join(sorted(r))) for pid, r in roles.items())


def _identity(obj: Any) -> tuple[str, dict[str, Any]]:
    """The manga's id and its ``attributes``, or :class:`BadRecord`."""
    if not isinstance(obj, dict):
        raise BadRecord("not an object")
    manga_id = obj.get("id")
    if not isinstance(manga_id, str) or not manga_id:
        raise BadRecord("no id")
    if not UUID_RE.fullmatch(manga_id):
        raise BadRecord("id not a UUID")
    attrs = obj.get("attributes")
    if not isinstance(attrs, dict):
        raise BadRecord("no attributes")
    return manga_id, attrs


def _titles(attrs: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    """The display title and the other titles; a title with no visible character is none."""
    title = language_map(attrs.get("title"), names=True)
    alt_raw = attrs.get("altTitles")
    alt = [language_map(a, names=True) for a in alt_raw] if isinstance(alt_raw, list) else []
    chosen = display_title(title, alt)
    if not chosen:
        raise BadRecord("no title")
    return chosen, other_titles(title, alt, chosen)


def _statistics(value: Any) -> tuple[int, float | None, float | None]:
    """Follows, average rating and Bayesian rating; a value of the wrong type or out of range is
    unknown (0 follows, no rating) rather than a reason to drop the manga."""
    stats = value if isinstance(value, dict) else {}
    rating = stats.get("rating") if isinstance(stats.get("rating"), dict) else {}
    return (
        number(stats.get("follows"), int, 0, MAX_FOLLOWS) or 0,
        number(rating.get("average"), float, 0, 10),
        number(rating.get("bayesian"), float, 0, 10),
    )


def _languages(value: Any) -> tuple[str, ...]:
    codes = (clean_text(x, 10) for x in value) if isinstance(value, list) else ()
    return tuple(sorted({code for code in codes if code}))


def _parse_manga(obj: Any, vocabulary: dict[str, Tag]) -> Manga:
    manga_id, attrs = _identity(obj)
    title, alt_titles = _titles(attrs)
    tag_ids = _tags(attrs.get("tags", []), vocabulary)
    follows, rating, bayesian = _statistics(obj.get("statistics"))
    return Manga(
        id=manga_id,
        title=title,
        alt_titles=alt_titles,
        description=localized_paragraphs(attrs.get("description")),
        tag_ids=tag_ids,
        content_rating=_content_rating(attrs.get("contentRating")),
        status=clean_text(attrs.get("status"), 20),
        year=number(attrs.get("year"), int, 1900, 2200),
        original_language=clean_text(attrs.get("originalLanguage"), 10),
        demographic=clean_text(attrs.get("publicationDemographic"), 20),
        languages=_languages(attrs.get("availableTranslatedLanguages")),
        created_at=clean_text(attrs.get("createdAt"), 40),
        updated_at=clean_text(attrs.get("updatedAt"), 40),
        follows=follows,
        rating=rating,
        bayesian=bayesian,
        relations=_relations(obj.get("relationships")),
        people=_people(obj.get("relationships")),
    )


def parse_manga(obj: Any, vocabulary: dict[str, Tag]) -> Manga:
    """Turn one MangaDex manga object into a :class:`Manga`.

    Tags seen are added to ``vocabulary`` (id -> Tag).

    Raises
    ------
    BadRecord
        With a short reason when the object cannot be used, and for nothing else: whatever the
        object holds, no other exception leaves this function.
    """
    try:
        return _parse_manga(obj, vocabulary)
    except BadRecord:
        raise
    except (TypeError, ValueError, LookupError, AttributeError, ArithmeticError, RecursionError) as err:
        # Every field is checked above and the fuzz test finds no way here; this is the last line
        # of the promise that one record cannot stop a build, crawl or feed, if a case was missed.
        log.debug("unexpected value in manga object: %r", err, exc_info=True)
        raise BadRecord("unreadable record") from err


def decode_line(line: str) -> Any:
    """One line's JSON value.

    Raises
    ------
    BadRecord
        "not JSON"; "nested too deep" (deeper than Python's recursion limit lets the parser go);
        "number too long" (an integer longer than Python converts, 4,300 digits by default).
    """
    try:
        # A byte order mark may start any line: files concatenated after being saved by an editor.
        return json.loads(line.lstrip("\ufeff"))
    except json.JSONDecodeError:
        raise BadRecord("not JSON") from None
    except RecursionError:
        raise BadRecord("nested too deep") from None
    except ValueError:  # json raises a plain ValueError only for sys.get_int_max_str_digits()
        raise BadRecord("number too long") from None
