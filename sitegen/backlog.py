"""Independent jobs done on a thread of their own while the build goes on, and by whoever waits.

The maps are the build's one-core work (a seeded UMAP runs on one core, its optimiser without the
interpreter lock: :mod:`sitegen.analysis.umap_layout`). Each model's map can start once its
neighbour lists are found, so the build hands them here as it goes and carries on with the
neighbours, the evaluation and the site. A caller that needs a result runs the jobs not started
yet itself rather than wait idle, so near the end both cores lay out maps. Every job depends on
its own inputs only, so results do not depend on which thread ran them or when.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from types import TracebackType
from typing import Any

log = logging.getLogger(__name__)


class Backlog:
    """Jobs by key, done in the order given by one background thread and by :meth:`result`'s callers.

    Use as a context manager: leaving it stops the thread after its current job (jobs not started
    are dropped, as when the build fails).
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.busy_seconds = 0.0
        self._todo: deque[str] = deque()
        self._jobs: dict[str, tuple[Callable[..., Any], tuple[Any, ...]]] = {}
        self._done: dict[str, threading.Event] = {}
        self._results: dict[str, Any] = {}
        self._errors: dict[str, BaseException] = {}
        self._lock = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        self._thread.start()

    def add(self, key: str, job: Callable[..., Any], *args: Any) -> None:
        """Queue ``job(*args)`` under ``key`` (unique)."""
        with self._lock:
            if key in self._done:
                raise ValueError(f"job {key!r} is already in the backlog")
            self._jobs[key] = (job, args)
            self._done[key] = threading.Event()
            self._todo.append(key)
            self._lock.notify()

    def __contains__(self, key: str) -> bool:
        return key in self._done

    def result(self, key: str, *, helping: bool = True) -> Any:
        """``key``'s result (its exception raised), running it here if no thread has taken it yet,
        and, while it waits (``helping``), other jobs not started."""
        while not self._done[key].is_set():
            taken = self._take(key) or (self._take() if helping else None)
            if taken is None:
                self._done[key].wait()
            else:
                self._run(taken)
        if key in self._errors:
            raise self._errors[key]
        return self._results[key]

    def _take(self, key: str | None = None) -> str | None:
        with self._lock:
            if key is not None:
                if key not in self._todo:
                    return None
                self._todo.remove(key)
                return key
            return self._todo.popleft() if self._todo else None

    def _run(self, key: str) -> None:
        job, args = self._jobs.pop(key)
        start = time.perf_counter()
        try:
            self._results[key] = job(*args)
        except BaseException as err:  # handed to whoever asks for the result
            self._errors[key] = err
        finally:
            with self._lock:
                self.busy_seconds += time.perf_counter() - start
            self._done[key].set()

    def _work(self) -> None:
        while True:
            with self._lock:
                while not self._todo and not self._closed:
                    self._lock.wait()
                if self._closed:
                    return
                key = self._todo.popleft()
            self._run(key)

    def __enter__(self) -> Backlog:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        with self._lock:
            self._closed = True
            self._todo.clear()
            self._lock.notify_all()
        self._thread.join()
