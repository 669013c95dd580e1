"""The catalogue: MangaDex manga objects in, typed records and a manga x tag matrix out.

A catalogue file is JSON Lines (optionally gzipped), one manga per line exactly as ``GET /manga``
returns it in ``data[]``, with an optional top-level ``statistics`` member
(``{follows, rating: {average, bayesian}}``). Each line is one record (:mod:`.records`): a line
that cannot be read is skipped and counted by reason, never fatal. A large file is parsed by
several processes, each its own batches of lines, and merged as one pass would have read it
(:func:`parse_file`).

Whether a catalogue is synthetic is up to whoever builds it (:func:`build_catalogue`), never a line.
"""

from __future__ import annotations

import gzip
import logging
import multiprocessing
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..errors import CatalogueError
from .records import (  # noqa: F401 - the records are the catalogue's: imported from here too
    CONTENT_RATINGS,
    DEFAULT_CONTENT_RATINGS,
    MAX_FOLLOWS,
    UUID_RE,
    BadRecord,
    Manga,
    Person,
    Relation,
    decode_line,
    manga_from_row,
    manga_row,
    parse_manga,
)
from .vocabulary import GROUPS, Tag

log = logging.getLogger(__name__)

#: Lines a part of a parallel parse takes at a time: the parts take turns, a batch each, so each
#: sees the whole file's mix of records and none finishes long before the others.
BATCH = 1024
#: Catalogue files of at least this many bytes (on disk) are parsed by several processes; a
#: process costs about half a second to start.
PARALLEL_BYTES = 4_000_000


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
    def follows_order(self) -> np.ndarray:
        """The manga in tie-break order (:func:`tie_break`: most followed first, then id), shape
        (n,), int64: ``arange(n)`` in a loaded catalogue; what "most followed first" lists in one
        the site renumbered (:mod:`sitegen.site.numbering`)."""
        return np.array(sorted(range(len(self.manga)), key=lambda i: tie_break(self.manga[i])), dtype=np.int64)

    @cached_property
    def follows_rank(self) -> np.ndarray:
        """Every manga's place in :attr:`follows_order`, shape (n,), int64."""
        rank = np.empty(len(self.manga), dtype=np.int64)
        rank[self.follows_order] = np.arange(len(self.manga))
        return rank

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
    def tagless(self) -> np.ndarray:
        """Indices of the manga without tags, ascending, int64."""
        return np.flatnonzero(np.diff(self.matrix.indptr) == 0)

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
    tagless: int = 0  # loaded manga without tags

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())


def read_lines(path: Path) -> Iterator[str]:
    """Lines of a JSON Lines file, gunzipped when the file starts with gzip's magic bytes.

    A UTF-8 byte order mark at the start is dropped; bytes that are not UTF-8 become U+FFFD.
    """
    try:
        with open(path, "rb") as fh:
            gzipped = fh.read(2) == b"\x1f\x8b"
        opener = gzip.open if gzipped else open
        with opener(path, "rt", encoding="utf-8-sig", errors="replace") as fh:
            yield from fh
    except FileNotFoundError:
        raise CatalogueError(
            f"Catalogue file {path} does not exist: give an existing file to --catalogue, "
            "or build the demo with --demo"
        ) from None
    except (OSError, EOFError) as err:
        raise CatalogueError(f"Catalogue file {path} cannot be read ({err}): check the file") from None


@dataclass
class _Part:
    """One part's lines parsed, each record and tag with its line, so that parts merge into what
    one pass over all the lines finds (:func:`_merge`)."""

    manga: dict[str, tuple[int, int, Manga]] = field(default_factory=dict)  # id -> (first line, last line, last copy)
    tags: dict[str, tuple[int, int, Tag]] = field(default_factory=dict)  # id -> (line first accepted, order, tag)
    records: int = 0  # lines read as manga, copies included
    skipped: Counter[str] = field(default_factory=Counter)
    lines: int = 0


def _parse_part(lines: Iterable[str], part: int = 0, parts: int = 1, batch: int = BATCH) -> _Part:
    """The manga of the lines in this part's batches (batch ``b`` is part ``b % parts``'s)."""
    out = _Part()
    vocabulary: dict[str, Tag] = {}
    for count, line in enumerate(lines, 1):
        out.lines = count
        if (count - 1) // batch % parts != part or not line.strip():
            continue
        known = len(vocabulary)
        try:
            manga: Manga | None = parse_manga(decode_line(line), vocabulary)
        except BadRecord as bad:
            out.skipped[bad.reason] += 1
            manga = None
        if len(vocabulary) > known:  # new tags, perhaps of a record skipped later on
            out.tags.update((t, (count, known + j, vocabulary[t])) for j, t in enumerate(list(vocabulary)[known:]))
        if manga is not None:
            out.records += 1
            first = out.manga.get(manga.id, (count,))[0]
            out.manga[manga.id] = (first, count, manga)
    return out


def _merge(parts: list[_Part]) -> tuple[list[Manga], dict[str, Tag], LoadReport]:
    """The parts as one pass over the lines: the last copy of an id wins, a tag is named as where
    it was first accepted, manga and tags in the order first seen."""
    manga: dict[str, tuple[int, int, Manga]] = {}
    tags: dict[str, tuple[int, int, Tag]] = {}
    for part in parts:
        for key, (first, last, record) in part.manga.items():
            had = manga.get(key)
            manga[key] = (first, last, record) if had is None else (
                min(had[0], first), max(had[1], last), record if last > had[1] else had[2])
        for key, (line, order, tag) in part.tags.items():
            if key not in tags or line < tags[key][0]:
                tags[key] = (line, order, tag)
    skipped = sum((part.skipped for part in parts), Counter())
    if (copies := sum(part.records for part in parts) - len(manga)):
        skipped["duplicate id"] += copies
    report = LoadReport(lines=max((part.lines for part in parts), default=0), loaded=len(manga),
                        skipped=dict(sorted(skipped.items())))
    ordered = sorted(manga.values(), key=lambda entry: entry[0])
    # a line is one part's: its new tags are in that part's order
    vocabulary = {key: tags[key][2] for key in sorted(tags, key=lambda key: tags[key][:2])}
    return [record for _, _, record in ordered], vocabulary, report


def parse_lines(lines: Iterable[str]) -> tuple[list[Manga], dict[str, Tag], LoadReport]:
    """Parse JSON lines into manga, skipping and counting bad ones; the last copy of an id wins.

    Returns
    -------
    tuple
        ``(manga, vocabulary, report)``. Whether a catalogue is synthetic is decided by whoever
        makes it (:func:`build_catalogue`), never by its lines.
        Every non-blank line is either loaded or counted in ``report.skipped`` (a replaced
        duplicate counts as "duplicate id"), so ``loaded + skipped_total`` is the non-blank lines.
    """
    return _merge([_parse_part(lines)])


def _parse_file_part(path: Path, part: int, parts: int, batch: int) -> _Part:
    """:func:`_parse_part` of a file's lines."""
    return _parse_part(read_lines(path), part, parts, batch)


def _parse_file_rows(path: Path, part: int, parts: int, batch: int) -> tuple[Any, ...]:
    """:func:`_parse_file_part` in a parsing process, its manga as rows (:func:`manga_row`)."""
    out = _parse_file_part(path, part, parts, batch)
    return ({key: (first, last, manga_row(m)) for key, (first, last, m) in out.manga.items()},
            out.tags, out.records, out.skipped, out.lines)


def _from_rows(answer: tuple[Any, ...]) -> _Part:
    """The inverse of :func:`_parse_file_rows`'s packing, in the build process."""
    manga, tags, records, skipped, lines = answer
    return _Part({key: (first, last, manga_from_row(row)) for key, (first, last, row) in manga.items()},
                 tags, records, skipped, lines)


def parse_file(path: Path, workers: int = 1, batch: int = BATCH,
               min_bytes: int = PARALLEL_BYTES) -> tuple[list[Manga], dict[str, Tag], LoadReport]:
    """:func:`parse_lines` of a file's lines, by ``workers`` processes when the file has at least
    ``min_bytes``: parsing is Python, one core's work (about 20 s at 110,000 manga), and each
    process reads the file and parses its own batches.

    The result is the same whatever the workers, with one exception for hostile input: a line
    nested within a few levels of Python's recursion limit (hundreds deep) can be read by a
    process whose stack is shallower and refused by one whose stack is deeper.

    Parameters
    ----------
    path : Path
    workers : int
        Processes parsing, this one included (the build gives one a core).
    batch : int
        Lines a process takes at a time.
    min_bytes : int
        Smaller files are parsed here alone: a process costs about half a second to start.

    Returns
    -------
    tuple
        ``(manga, vocabulary, report)``, as :func:`parse_lines`.

    Raises
    ------
    CatalogueError
        When the file is missing or unreadable (:func:`read_lines`).
    """
    try:
        size = path.stat().st_size
    except OSError:
        size = 0  # read_lines names the problem
    if workers <= 1 or size < min_bytes:
        return _merge([_parse_part(read_lines(path), batch=batch)])
    try:  # spawned, not forked: the build has threads of its own
        pool = ProcessPoolExecutor(workers - 1, mp_context=multiprocessing.get_context("spawn"))
        others = [pool.submit(_parse_file_rows, path, k, workers, batch) for k in range(1, workers)]
    except OSError as err:  # no processes here (a sandbox): the same work, in this process
        log.warning("the catalogue is parsed in the build process alone: no helper process (%s)", err)
        return _merge([_parse_part(read_lines(path), batch=batch)])
    with pool:
        parts = [_parse_file_part(path, 0, workers, batch)]
        for k, future in enumerate(others, 1):
            try:
                parts.append(_from_rows(future.result()))
            except BrokenProcessPool as err:  # a helper that died (out of memory, killed) is not the file's fault
                log.warning("a catalogue parsing process stopped (%s): its part is parsed here instead", err)
                parts.append(_parse_file_part(path, k, workers, batch))
        return _merge(parts)


def tie_break(manga: Manga) -> tuple[int, str]:
    """The catalogue's order: most followed first, then id."""
    return -manga.follows, manga.id


def build_catalogue(
    manga: Iterable[Manga], vocabulary: dict[str, Tag], *, synthetic: bool = False, source: str = ""
) -> Catalogue:
    """Order manga for tie-breaking and tags by group then name; drop tags no manga uses."""
    ordered = tuple(sorted(manga, key=tie_break))
    used = {t for m in ordered for t in m.tag_ids}
    group_rank = {g: i for i, g in enumerate(GROUPS)}
    tags = tuple(
        sorted((vocabulary[t] for t in used), key=lambda t: (group_rank[t.group], t.name, t.id))
    )
    return Catalogue(manga=ordered, tags=tags, synthetic=synthetic, source=source)


def load_catalogue(path: Path, workers: int = 1) -> tuple[Catalogue, LoadReport]:
    """Read a catalogue file into a :class:`Catalogue`, parsed by ``workers`` processes
    (:func:`parse_file`).

    Raises
    ------
    CatalogueError
        When the file is missing, unreadable, or has no usable manga.
    """
    manga, vocabulary, report = parse_file(path, workers)
    for reason, n in report.skipped.items():
        log.warning("skipped %d line(s) of %s: %s", n, path, reason)
    tagless = sum(not m.tag_ids for m in manga)
    if tagless:
        # kept: they can be found by title, and the description-aware model places them
        log.info("%d manga of %s have no tags: only their titles and descriptions place them", tagless, path)
    if tagless == len(manga):
        raise CatalogueError(
            f"Catalogue file {path} has no usable manga ({report.lines} lines, "
            f"{report.skipped_total} skipped, none with tags): check it is MangaDex manga JSON Lines"
        )
    report = LoadReport(report.lines, report.loaded, report.skipped, tagless)
    catalogue = build_catalogue(manga, vocabulary, source=str(path))
    return catalogue, report
