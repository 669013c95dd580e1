"""The site's two pieces of pure-Python text work, done in a helper process while the build
writes the rest: the title search index (:func:`~sitegen.site.titles.title_index`) and every
description as safe HTML (:func:`~sitegen.site.descriptions.sanitize_description`).

Why a process: at 110,000 manga they take about 14 s and 8 s of one core, and by the time the
site is written the maps, which ran beside the search on the other core, are done; a thread would
wait on the interpreter lock. The helper is spawned (not forked: the build has threads of its own),
gets only what it reads (names, years, follows; descriptions), and sends the results back; the
main process meanwhile writes the files that need neither (list columns, id buckets, the models'
list files). The result is the same as computing both in the main process, which is what happens
when a process cannot be started (logged).
"""

from __future__ import annotations

import logging
import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from . import titles
from .descriptions import sanitize_description
from .titles import TitleIndex, title_index

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..sources.catalogue import Catalogue

log = logging.getLogger(__name__)


class _Named(NamedTuple):
    """What the title index reads of a manga."""

    title: str
    alt_titles: tuple[str, ...]
    year: int | None
    follows: int


@dataclass(frozen=True)
class _Names:
    """What the title index reads of a catalogue (a few MB to send instead of the catalogue)."""

    manga: list[_Named]
    follows_order: np.ndarray

    def __len__(self) -> int:
        return len(self.manga)


@dataclass(frozen=True)
class TextParts:
    """The title index and each manga's description as safe HTML, in catalogue order."""

    titles: TitleIndex
    descriptions: list[str]


#: The title index's sizes, sent from the build process: a fresh import in the helper would not
#: see a value set there (tests set them).
SIZES = ("KEY_LETTERS", "STOP_SHARE", "STOP_MIN", "PER_FRAGMENT", "MAX_BUCKETS", "TOP")


def _work(names: _Names, descriptions: Sequence[str], sizes: dict[str, float]) -> tuple[TextParts, int]:
    """Both pieces, and this process's peak resident bytes (:func:`_peak_bytes`)."""
    for name, value in sizes.items():
        setattr(titles, name, value)
    parts = TextParts(title_index(names), [sanitize_description(d) for d in descriptions])  # type: ignore[arg-type]
    return parts, _peak_bytes()


def _peak_bytes() -> int:
    """This process's peak resident bytes (VmHWM, Linux; 0 elsewhere). Not getrusage's ru_maxrss,
    which a spawned process inherits from the build process's size when it was started."""
    try:
        with open("/proc/self/status") as fh:
            return next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmHWM:"))
    except (OSError, StopIteration, ValueError, IndexError):
        return 0


class TextWork:
    """:class:`TextParts` of a catalogue, started in a helper process; :meth:`result` waits for them."""

    def __init__(self, catalogue: Catalogue) -> None:
        names = _Names([_Named(m.title, tuple(m.alt_titles), m.year, m.follows) for m in catalogue.manga],
                       np.asarray(catalogue.follows_order))
        descriptions = [m.description for m in catalogue.manga]
        self._pool: ProcessPoolExecutor | None = None
        self._future: Future | None = None
        self._args = (names, descriptions, {name: getattr(titles, name) for name in SIZES})
        try:
            self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
            self._future = self._pool.submit(_work, *self._args)
        except OSError as err:  # no processes here (a sandbox): the same work, in this process
            log.warning("the site's text work runs in the build process: no helper process (%s)", err)
            self.close()
        #: The helper's peak resident bytes, once :meth:`result` has returned (0 when inline).
        self.helper_peak = 0

    def result(self) -> TextParts:
        """The parts (waits for the helper; its errors are raised here)."""
        if self._future is None:
            parts, _ = _work(*self._args)
            return parts
        parts, self.helper_peak = self._future.result()
        log.info("title index and descriptions made beside the site's other files (helper peak %.0f MiB)",
                 self.helper_peak / 2**20)
        return parts

    def close(self) -> None:
        """Stop the helper (waiting for it, or dropping work not started)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> TextWork:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
