"""The site's text work in a helper process: the same title index and descriptions as in the build's own."""

from __future__ import annotations

import logging
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest

from sitegen.site import textwork
from sitegen.site.descriptions import sanitize_description
from sitegen.site.textwork import TextWork
from sitegen.site.titles import title_index


def both(work):
    descriptions = work.descriptions()
    return SimpleNamespace(titles=work.titles(), descriptions=descriptions)


def expected(catalogue):
    return title_index(catalogue), [sanitize_description(m.description) for m in catalogue.manga]


def test_the_helper_makes_what_the_build_would(demo_catalogue):
    with TextWork(demo_catalogue) as work:
        parts = both(work)
        # it ran in a process of its own, which reports its own memory, not the build's
        assert 0 < work.helper_peak < 1024 * 2**20
    titles, descriptions = expected(demo_catalogue)
    assert parts.titles == titles
    assert parts.descriptions == descriptions
    assert any("<p>" in d for d in parts.descriptions)


def test_descriptions_come_back_on_their_own_before_the_title_index(demo_catalogue):
    # the build makes the pick shards from the descriptions while the helper makes the title index
    with TextWork(demo_catalogue) as work:
        descriptions = work.descriptions()
        assert work.helper_peak == 0  # reported with the title index, the helper's last piece
        index = work.titles()
        assert work.helper_peak > 0
    assert (index, descriptions) == expected(demo_catalogue)


def test_the_helper_sizes_the_index_as_the_build_process_does(demo_catalogue, monkeypatch):
    # a fresh import in the helper would not see sizes set here (tests set them)
    from sitegen.site import titles

    monkeypatch.setattr(titles, "PER_FRAGMENT", 10)
    monkeypatch.setattr(titles, "TOP", 5)
    monkeypatch.setattr(titles, "STOP_MIN", 3)
    with TextWork(demo_catalogue) as work:
        parts = both(work)
    assert len(parts.titles.top["manga"]) == 5 and parts.titles.stop
    assert parts.titles == title_index(demo_catalogue)  # the patched sizes, in this process


def test_without_a_helper_process_the_work_is_done_here(demo_catalogue, monkeypatch, caplog):
    def refuse(*args, **kwargs):
        raise OSError("no processes in this sandbox")

    monkeypatch.setattr(textwork, "ProcessPoolExecutor", refuse)
    with caplog.at_level(logging.WARNING), TextWork(demo_catalogue) as work:
        parts = both(work)
        assert work.helper_peak == 0
    assert "no helper process" in caplog.text
    assert (parts.titles, parts.descriptions) == expected(demo_catalogue)


def test_an_error_in_the_helper_reaches_the_build(demo_catalogue):
    # a description that is not text fails in the helper; the build sees the error
    manga = [replace(demo_catalogue.manga[0], description=12345)]
    broken = SimpleNamespace(manga=manga, follows_order=np.arange(1))
    with TextWork(broken) as work, pytest.raises(TypeError):
        both(work)
