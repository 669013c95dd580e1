"""Durability of the MangaDex refresh: killed, interrupted and cut-off runs resume without loss
or duplicates, and nothing is ever half-written."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from sitegen.errors import FetchError
from sitegen.sources.mangadex import refresh
from sitegen.sources.mangadex.refresh import _Run
from sitegen.sources.mangadex.snapshot import JOURNAL, Journal, locked, write_atomic
from support.fakedex import (
    FakeDex,
    Fault,
    crawl_requests,
    expected_ids,
    fetch_config,
    make_catalogue,
    merge_run,
    snapshot_lines,
)
from support.helpers import ROOT

CHILD = """
import sys
from pathlib import Path
from sitegen.config import FetchConfig
from sitegen.sources.mangadex import refresh
refresh(FetchConfig(api_url=sys.argv[1], data_dir=Path(sys.argv[2]), rate=1000.0, timeout=30.0,
                    max_retries=0, backoff_cap=0.05, result_window=int(sys.argv[3])), progress=False)
"""


def _assert_exactly(path: Path, want: set[str]) -> None:
    ids = [line["id"] for line in snapshot_lines(path)]
    assert len(ids) == len(set(ids)), "duplicates in the snapshot"
    assert set(ids) == want, f"missing {len(want - set(ids))}, extra {len(set(ids) - want)}"


def _queries(hits) -> set[tuple]:
    return {tuple(h.query) for h in hits}


@pytest.mark.slow
@pytest.mark.timeout(90)
def test_killed_crawl_resumes_where_it_stopped(tmp_path):
    """SIGKILL while a page is in flight; the next run fetches only what was not checkpointed."""
    manga = make_catalogue(3_000, seed=41, porn=0.0)
    merge_run(manga, 950, 150)  # a crowded window boundary inside the part done after resuming
    with FakeDex(manga, window=1_000) as dex:
        dex.hold("/manga", 16)
        child = subprocess.Popen([sys.executable, "-c", CHILD, dex.url, str(tmp_path), "1000"],
                                 cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            assert dex.held.wait(60), child.communicate(timeout=5)[1].decode()[-2000:]
        finally:
            child.kill()
            child.wait(10)
            dex.release.set()
        assert not (tmp_path / "catalogue.jsonl.gz").exists()
        assert sum("page" in entry for entry in Journal(tmp_path / JOURNAL).read()) == 15
        done = crawl_requests(dex.requests())[:15]
        before = len(dex.requests())
        report = refresh(fetch_config(dex, tmp_path), progress=False)
        resumed_walk = crawl_requests(dex.requests()[before:])
        fresh = refresh(fetch_config(dex, tmp_path / "fresh"), progress=False)
        uninterrupted = crawl_requests(dex.requests()[before:])[len(resumed_walk):]
    assert report.resumed and not (tmp_path / JOURNAL).exists()
    _assert_exactly(report.snapshot, expected_ids(manga))
    assert not _queries(done) & _queries(resumed_walk), "a checkpointed page was fetched again"
    assert len(resumed_walk) == len(uninterrupted) - 15
    assert report.snapshot.read_bytes() == fresh.snapshot.read_bytes()


@pytest.mark.timeout(60)
def test_ctrl_c_then_torn_checkpoint_resumes(tmp_path, monkeypatch):
    """Ctrl-C after the 7th page, then a torn line as a kill mid-write would leave."""
    manga = make_catalogue(1_500, seed=42, porn=0.0)
    original, pages = _Run._on_page, []

    def interrupting(self, *args):
        original(self, *args)
        pages.append(1)
        if len(pages) == 7:
            raise KeyboardInterrupt

    with FakeDex(manga, window=500) as dex:
        config = fetch_config(dex, tmp_path)
        monkeypatch.setattr(_Run, "_on_page", interrupting)
        with pytest.raises(KeyboardInterrupt):
            refresh(config, progress=False)
        monkeypatch.undo()
        with open(tmp_path / JOURNAL, "ab") as fh:
            fh.write(b'{"page":{"field":"createdAt","since":nu')
        done = crawl_requests(dex.requests())
        before = len(dex.requests())
        report = refresh(config, progress=False)
        again = crawl_requests(dex.requests()[before:])
    assert len(done) == 7 and report.resumed and report.new == len(expected_ids(manga))
    assert not _queries(done) & _queries(again)
    _assert_exactly(report.snapshot, expected_ids(manga))


@pytest.mark.timeout(60)
def test_lost_network_midway_fails_clearly_then_resumes(tmp_path):
    manga = make_catalogue(1_200, seed=43, porn=0.0)
    with FakeDex(manga) as dex:
        dex.hold("/manga", 5)

        def cut_network():
            if dex.held.wait(20):
                dex.faults.append(Fault("drop", times=1_000))
            dex.release.set()

        threading.Thread(target=cut_network, daemon=True).start()
        with pytest.raises(FetchError, match="--demo"):
            refresh(fetch_config(dex, tmp_path, max_retries=2), progress=False)
        dex.faults.clear()
        before = len(dex.requests())
        report = refresh(fetch_config(dex, tmp_path), progress=False)
        again = crawl_requests(dex.requests()[before:])
    assert report.resumed and len(again) <= 12 - 5 + 1
    _assert_exactly(report.snapshot, expected_ids(manga))


@pytest.mark.timeout(60)
def test_failed_refresh_keeps_the_previous_snapshot(tmp_path):
    manga = make_catalogue(600, seed=44, porn=0.0)
    with FakeDex(manga) as dex:
        config = fetch_config(dex, tmp_path, max_retries=1)
        first = refresh(config, progress=False)
        before = first.snapshot.read_bytes()
        touched = [m.id for m in manga[:10] if not m.broken]
        dex.touch(touched, max(m.updated for m in manga) + 60)
        dex.faults.append(Fault("500", path="/statistics/manga", times=100))
        stale = refresh(config, progress=False)
        assert stale.stale and first.snapshot.read_bytes() == before
        assert not list(tmp_path.glob(".*.tmp")) and (tmp_path / JOURNAL).exists()
        dex.faults.clear()
        report = refresh(config, progress=False)
    assert report.resumed and report.updated == len(touched) and report.new == 0
    _assert_exactly(report.snapshot, expected_ids(manga))


@pytest.mark.timeout(60)
def test_checkpoint_of_other_ratings_is_not_resumed(tmp_path, monkeypatch):
    manga = make_catalogue(800, seed=45, porn=0.2)
    monkeypatch.setattr(_Run, "statistics", lambda self, old: (_ for _ in ()).throw(KeyboardInterrupt))
    with FakeDex(manga) as dex:
        with pytest.raises(KeyboardInterrupt):
            refresh(fetch_config(dex, tmp_path), progress=False)
        monkeypatch.undo()
        ratings = ("safe", "suggestive", "erotica", "pornographic")
        report = refresh(fetch_config(dex, tmp_path, content_ratings=ratings), progress=False)
    assert not report.resumed
    _assert_exactly(report.snapshot, expected_ids(manga, ratings))


@pytest.mark.timeout(30)
def test_second_refresh_on_the_same_directory_is_refused(tmp_path):
    with FakeDex(make_catalogue(10, seed=46)) as dex, locked(tmp_path):
        with pytest.raises(FetchError, match="Another refresh"):
            refresh(fetch_config(dex, tmp_path), progress=False)
        assert not dex.requests()


def test_atomic_write_is_all_or_nothing(tmp_path):
    target = tmp_path / "file.json"
    write_atomic(target, [b"old"])

    def chunks():
        yield b"new, half"
        raise OSError("disk full")

    with pytest.raises(OSError):
        write_atomic(target, chunks(), gz=True)
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["file.json"]


def test_journal_cuts_a_torn_tail(tmp_path):
    journal = Journal(tmp_path / "j.jsonl")
    journal.start({"version": 1})
    journal.append({"page": 1})
    journal.close()
    with open(journal.path, "ab") as fh:
        fh.write(b'{"page": 2')
    assert journal.read() == [{"header": {"version": 1}}, {"page": 1}]
    journal.resume()
    journal.append({"page": 2})
    journal.close()
    assert journal.read()[-1] == {"page": 2} and len(journal.read()) == 3


def test_unusable_data_directory_is_one_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with FakeDex([]) as dex, pytest.raises(FetchError, match="--data-dir"):
        refresh(fetch_config(dex, blocker / "data"), progress=False)
