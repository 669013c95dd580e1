"""benchmarks/reader.py measures a served site in Chromium: every figure it promises is printed."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "reader.py"


def test_reader_prints_first_results_keystrokes_and_picks(served):
    spec = importlib.util.spec_from_file_location("reader", SCRIPT)
    reader = importlib.util.module_from_spec(spec)
    sys.modules["reader"] = reader  # its dataclass looks its module up
    spec.loader.exec_module(reader)
    lines = reader.measure(served.root, "ano", 3, 10.0, 40.0)
    first = next(line for line in lines if line.startswith("first results for 'ano'"))
    kb = float(re.search(r": ([\d,.]+) KB transferred", first)[1].replace(",", ""))
    index = sum(p.stat().st_size for p in (served.root / "data" / "titles").glob("*.json")) / 1000
    assert 0 < kb < index  # one fragment, gzipped as GitHub Pages sends it: less than the whole index
    assert "data/titles/" in first and "data/columns.json" not in first
    assert any(line.startswith("keystrokes (") for line in lines)
    assert "list columns: not fetched by the search and the picks" in lines
    picks = [line for line in lines if line.startswith("pick #")]
    assert len(picks) == 3 and all("data/shards/" in p and "columns" not in p for p in picks)
    followed = [line for line in lines if line.startswith("  its first recommendation '")]
    assert len(followed) == 3 and all("columns" not in f for f in followed)
