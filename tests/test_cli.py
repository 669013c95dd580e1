"""The command line: exit codes and one-line messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sitegen.cli import main

ROOT = Path(__file__).resolve().parents[1]


def run(*args, cwd=None):
    return subprocess.run([sys.executable, str(ROOT / "build.py"), *args], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


def test_demo_build_prints_one_summary_line(tmp_path):
    result = run("--demo", "--size", "120", "--out", str(tmp_path / "s"), "--models", "lsi")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Built ") and "120 synthetic demo manga" in lines[0]
    assert (tmp_path / "s" / "index.html").is_file()


def test_missing_catalogue_is_one_line_with_the_fix(tmp_path, capsys):
    code = main(["--catalogue", str(tmp_path / "missing.jsonl"), "--out", str(tmp_path / "s")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert err[-1].startswith("error: ") and "--demo" in err[-1]
    assert not any("Traceback" in line for line in err)


def test_bad_values_name_their_fields(tmp_path, capsys):
    code = main(["--demo", "--size", "3", "-k", "0", "--models", "lsi,nope", "--out", str(tmp_path / "s")])
    err = capsys.readouterr().err
    assert code == 2
    assert "Config value 'catalogue.demo_size'" in err and "Config value 'neighbours.k'" in err
    assert "'models.names': unknown 'nope'" in err
    assert len(err.strip().splitlines()) == 1


def test_verbose_shows_the_traceback(tmp_path):
    result = run("-v", "--catalogue", str(tmp_path / "missing.jsonl"), "--out", str(tmp_path / "s"))
    assert result.returncode == 1
    assert "Traceback" in result.stderr and "error: " in result.stderr


def test_catalogue_with_bad_lines_builds_and_reports_skips(tmp_path):
    sys.path.insert(0, str(ROOT / "tests"))
    from helpers import manga_object

    lines = [json.dumps(manga_object(f"Title {i}", ("Romance", "Comedy", "Drama")[: 1 + i % 3], follows=i)) for i in range(30)]
    lines += ["not json", json.dumps({"id": "x"})]
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    result = run("--catalogue", str(path), "--out", str(tmp_path / "s"), "--models", "lsi")
    assert result.returncode == 0, result.stderr
    assert "30 manga loaded, 2 skipped (1 id not a UUID, 1 not JSON)" in result.stdout


def test_stranger_output_directory_is_refused(tmp_path, capsys):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "keep.txt").write_text("mine")
    code = main(["--demo", "--size", "50", "--models", "lsi", "--out", str(tmp_path / "docs")])
    assert code == 1
    assert "not made by sitegen" in capsys.readouterr().err
    assert (tmp_path / "docs" / "keep.txt").read_text() == "mine"
