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


@pytest.mark.slow
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


@pytest.mark.slow
def test_catalogue_with_bad_lines_builds_and_reports_skips(tmp_path):
    sys.path.insert(0, str(ROOT / "tests"))
    from support.helpers import manga_object

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


@pytest.mark.slow
def test_no_network_and_no_snapshot_is_one_line_naming_demo(tmp_path):
    # Nothing listens on this port: the API is unreachable, as MangaDex is from these machines.
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = run("--api-url", f"http://127.0.0.1:{port}", "--data-dir", str(tmp_path / "data"),
                 "--out", str(tmp_path / "s"))
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "--demo" in errors[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "s").exists()


@pytest.mark.slow
def test_real_path_fetches_then_builds_then_goes_on_offline(tmp_path):
    sys.path.insert(0, str(ROOT / "tests"))
    from support.fakedex import FakeDex, make_catalogue

    data, out = tmp_path / "data", tmp_path / "s"
    with FakeDex(make_catalogue(250, seed=3)) as dex:
        fetched = run("--api-url", dex.url, "--rate", "200", "--data-dir", str(data), "--fetch-only")
        assert fetched.returncode == 0, fetched.stderr
        assert (data / "catalogue.jsonl.gz").is_file() and not out.exists()
        built = run("--api-url", dex.url, "--rate", "200", "--data-dir", str(data), "--out", str(out),
                    "--models", "lsi")
        assert built.returncode == 0, built.stderr
        assert "manga loaded" in built.stdout and "synthetic" not in built.stdout
    index = json.loads((out / "data" / "catalogue.json").read_text(encoding="utf-8"))
    assert index["synthetic"] is False and index["n"] > 200
    # The server is gone now: the build warns and goes on from the snapshot.
    again = run("--api-url", dex.url, "--data-dir", str(data), "--out", str(out), "--models", "lsi")
    assert again.returncode == 0, again.stderr
    assert "snapshot" in again.stderr.lower()


def test_fetch_only_does_not_mix_with_demo(tmp_path, capsys):
    assert main(["--demo", "--fetch-only", "--out", str(tmp_path / "s")]) == 2
    assert "fetch.fetch_only" in capsys.readouterr().err


def test_model_settings_come_from_the_models_declarations(tmp_path, capsys):
    from sitegen.cli import parser
    from sitegen.models import REGISTRY

    text = parser().format_help()
    for name, cls in REGISTRY.items():
        for key in cls.params:
            assert f"--{name}.{key}" in text
    assert "singular vectors kept by the truncated SVD" in text  # LSI's own help, written once
    code = main(["--demo", "--size", "50", "--lsi.rank", "0", "--lsi_popularity.weights", "0.1,abc",
                 "--out", str(tmp_path / "s")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert "Config value 'models.lsi_popularity.weights': expected a number, got 'abc'" in err[0]
    code = main(["--demo", "--size", "50", "--lsi.rank", "0", "--out", str(tmp_path / "s")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and err == ["error: Config value 'models.lsi.rank': expected >= 1, got 0"]
