"""Shared fixtures: a small synthetic catalogue, made once per session."""

from __future__ import annotations

import pytest

from sitegen import synthetic
from sitegen.catalogue import Catalogue, build_catalogue, parse_lines


@pytest.fixture(scope="session")
def demo_records():
    return synthetic.generate(600, seed=7)


@pytest.fixture(scope="session")
def demo_catalogue(demo_records) -> Catalogue:
    manga, vocabulary, flag, _ = parse_lines(synthetic.lines(demo_records))
    return build_catalogue(manga, vocabulary, synthetic=flag)
