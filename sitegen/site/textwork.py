"""The site's two pieces of pure-Python text work, done in a helper process while the build
writes the rest: every description as safe HTML
(:func:`~sitegen.site.descriptions.sanitize_description`), then the title search index
(:func:`~sitegen.site.titles.title_index`).

Why a process: at 110,000 manga they take about 8 s and 14 s of one core, and by the time the
site is written the maps, which ran beside the search on the other core, are done; a thread would
wait on the interpreter lock. The helper is spawned (not forked: the build has threads of its own),
gets only what it reads (descriptions; names, years, follows), and sends each result back as it is
done: the descriptions first, which the pick shards need, so that the main process makes the
shards while the helper makes the title index, and before that writes the files that need neither
(list columns, id buckets, the models' list files). The result is the same as computing both in
the main process, which is what happens when a process cannot be started (logged).
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


#: The title index's sizes, sent from the build process: a fresh import in the helper would not
#: see a value set there (tests set them).
SIZES = ("KEY_LETTERS", "STOP_SHARE", "STOP_MIN", "PER_FRAGMENT", "MAX_BUCKETS", "TOP")


def _descriptions(descriptions: Sequence[str]) -> list[str]:
    return [sanitize_description(d) for d in descriptions]


def _titles(names: _Names, sizes: dict[str, float]) -> tuple[TitleIndex, int]:
    """The title index, and this process's peak resident bytes (:func:`_peak_bytes`): the
    helper's last piece of work, so the peak covers both."""
    for name, value in sizes.items():
        setattr(titles, name, value)
    return title_index(names), _peak_bytes()  # type: ignore[arg-type]


def _peak_bytes() -> int:
    """This process's peak resident bytes (VmHWM, Linux; 0 elsewhere). Not getrusage's ru_maxrss,
    which a spawned process inherits from the build process's size when it was started."""
    try:
        with open("/proc/self/status") as fh:
            return next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmHWM:"))
    except (OSError, StopIteration, ValueError, IndexError):
        return 0


class TextWork:
    """A catalogue's safe descriptions and title index, started in a helper process;
    :meth:`descriptions` and :meth:`titles` wait for each."""

    def __init__(self, catalogue: Catalogue) -> None:
        names = _Names([_Named(m.title, tuple(m.alt_titles), m.year, m.follows) for m in catalogue.manga],
                       np.asarray(catalogue.follows_order))
        self._descriptions_in = [m.description for m in catalogue.manga]
        self._titles_in = (names, {name: getattr(titles, name) for name in SIZES})
        self._pool: ProcessPoolExecutor | None = None
        self._futures: tuple[Future, Future] | None = None
        try:
            self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
            # one worker takes them in this order: the descriptions come back first
            self._futures = (self._pool.submit(_descriptions, self._descriptions_in),
                             self._pool.submit(_titles, *self._titles_in))
        except OSError as err:  # no processes here (a sandbox): the same work, in this process
            log.warning("the site's text work runs in the build process: no helper process (%s)", err)
            self.close()
        #: The helper's peak resident bytes, once :meth:`titles` has returned (0 when inline).
        self.helper_peak = 0

    def descriptions(self) -> list[str]:
        """Every manga's description as safe HTML, in catalogue order (waits for the helper; its
        errors are raised here)."""
        if self._futures is None:
            return _descriptions(self._descriptions_in)
        return self._futures[0].result()

    def titles(self) -> TitleIndex:
        """The title index (waits for the helper; its errors are raised here)."""
        if self._futures is None:
            return _titles(*self._titles_in)[0]
        index, self.helper_peak = self._futures[1].result()
        log.info("title index and descriptions made beside the site's other files (helper peak %.0f MiB)",
                 self.helper_peak / 2**20)
        return index

    def close(self) -> None:
        """Stop the helper (waiting for it, or dropping work not started)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> TextWork:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
