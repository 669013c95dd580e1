"""The backlog of background jobs: every job done once, results by key, errors handed over."""

from __future__ import annotations

import threading
import time

import pytest

from sitegen.backlog import Backlog


def test_every_job_runs_once_and_results_come_by_key():
    ran = []
    with Backlog("test") as jobs:
        for i in range(6):
            jobs.add(f"job {i}", lambda i=i: ran.append(i) or i * i)
        assert [jobs.result(f"job {i}") for i in range(6)] == [0, 1, 4, 9, 16, 25]
    assert sorted(ran) == list(range(6)) and jobs.busy_seconds >= 0


def test_a_waiting_caller_runs_jobs_not_started_yet():
    gate = threading.Event()
    threads = {}
    with Backlog("test") as jobs:
        jobs.add("slow", gate.wait)  # holds the backlog's own thread
        while "slow" in jobs._todo:  # until the thread has taken it
            time.sleep(0.01)
        jobs.add("mine", lambda: threads.setdefault("mine", threading.current_thread().name))
        assert jobs.result("mine") == threading.current_thread().name  # run by the caller, not queued behind
        gate.set()
        assert jobs.result("slow") is True


def test_an_error_is_raised_to_whoever_asks_and_a_key_is_unique():
    with Backlog("test") as jobs:
        jobs.add("bad", lambda: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            jobs.result("bad")
        with pytest.raises(ValueError, match="already"):
            jobs.add("bad", lambda: 0)


def test_leaving_drops_what_was_not_started():
    ran = []
    with Backlog("test") as jobs:
        def until_left() -> None:  # the thread's job ends only once the backlog is being left
            while not jobs._closed:
                time.sleep(0.01)

        jobs.add("first", until_left)
        for i in range(3):
            jobs.add(f"later {i}", ran.append, i)
        while "first" in jobs._todo:
            time.sleep(0.01)
    assert ran == []
