"""An ordered map over spawned worker processes, a bounded number of items in flight.

Reading a catalogue is pure Python (JSON and every field checked), about 20 s of one core at
110,000 manga and three minutes at 1,000,000, while the other core idles: the catalogue's lines
go to workers a batch at a time (:func:`sitegen.sources.catalogue.parse_lines`), and the results
come back in the order the batches went, so what is built from them does not depend on which
worker parsed what. Workers are spawned, not forked, as the build has threads of its own.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: Items in flight per worker: enough that no worker waits, few enough to bound memory.
AHEAD = 2


def available_cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def ordered_map(work: Callable[[T], R], items: Iterable[T], workers: int) -> Iterator[R]:
    """``work(item)`` for every item, in the items' order, on ``workers`` spawned processes.

    With one worker, or a single item, everything runs here (a process costs a second to start).
    ``work`` must be a module-level function; an exception it raises is raised here.
    """
    it = iter(items)
    first = next(it, None)
    if first is None:
        return
    second = next(it, None)
    if workers <= 1 or second is None:
        yield work(first)
        if second is not None:
            yield work(second)
            yield from map(work, it)
        return
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        pending: deque[Future[R]] = deque([pool.submit(work, first), pool.submit(work, second)])
        for item in it:
            pending.append(pool.submit(work, item))
            if len(pending) >= AHEAD * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
