"""Size budgets: a site over GitHub Pages' limits is refused before it replaces the previous one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import sitegen.site.budget as budget
from sitegen.build import build
from sitegen.cli import config_from_args, main, parser
from sitegen.config import BuildConfig, SiteConfig, replace
from sitegen.errors import RenderError
from sitegen.site.budget import GITHUB_PAGES, Limits, SiteSize, check, checker, human, measure, problems
from sitegen.site.render import MARKER, SiteWriter

TEMPLATES = SiteConfig().templates_dir


def write(root: Path, files: dict[str, int]) -> Path:
    for relative, size in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * size)
    return root


def test_measure_counts_every_file_and_names_the_largest(tmp_path):
    site = write(tmp_path / "s", {"index.html": 10, "data/b.json": 300, "data/a.json": 300, ".nojekyll": 0, "z/y/x.js": 5})
    assert measure(site) == SiteSize(files=5, bytes=615, largest="data/a.json", largest_bytes=300)  # ties: path order
    assert measure(write(tmp_path / "empty", {})) == SiteSize(0, 0, "", 0)


def test_symlinks_are_not_followed(tmp_path):
    outside = write(tmp_path / "outside", {"big.bin": 1000})
    site = write(tmp_path / "s", {"index.html": 10})
    os.symlink(outside, site / "linked", target_is_directory=True)
    assert measure(site).bytes < 1000


def test_github_pages_limits():
    assert GITHUB_PAGES.site_bytes == 1_000_000_000 and GITHUB_PAGES.file_bytes == 100_000_000


@pytest.mark.parametrize("n, text", [(0, "0 bytes"), (999, "999 bytes"), (1500, "1.5 kB"), (5_500_000, "5.5 MB"),
                                     (100_000_000, "100.0 MB"), (1_000_000_000, "1.00 GB"), (1_234_000_000, "1.23 GB")])
def test_human_sizes(n, text):
    assert human(n) == text


def test_a_site_within_its_limits_passes(tmp_path):
    site = write(tmp_path / "s", {"index.html": 50, "data/a.json": 50})
    assert problems(measure(site), Limits(site_bytes=100, file_bytes=50)) == []
    assert check(site, limits=Limits(site_bytes=100, file_bytes=50)).bytes == 100


def test_over_either_limit_is_one_line_naming_it_and_the_way_out(tmp_path):
    site = write(tmp_path / "s", {"index.html": 40, "data/big.json": 80})
    with pytest.raises(RenderError) as file_over:
        check(site, limits=Limits(site_bytes=1000, file_bytes=50))
    message = str(file_over.value)
    assert "\n" not in message and "data/big.json is 80 bytes" in message and "50 bytes per file" in message
    assert "--no-pages-limits" in message and "previous site is untouched" in message and "per site" not in message
    with pytest.raises(RenderError, match=r"the site is 120 bytes in 2 files, over the GitHub Pages limit of 100 bytes"):
        check(site, limits=Limits(site_bytes=100, file_bytes=1000))
    with pytest.raises(RenderError, match="per file.*; the site is .* per site"):
        check(site, limits=Limits(site_bytes=100, file_bytes=50))


def test_not_enforced_is_logged_only(tmp_path, caplog):
    site = write(tmp_path / "s", {"index.html": 400})
    caplog.set_level("INFO", logger="sitegen.site.budget")
    assert check(site, enforce=False, limits=Limits(site_bytes=100, file_bytes=50)).bytes == 400
    assert "published anyway" in caplog.text


def test_writer_over_the_limits_keeps_the_previous_site(tmp_path):
    out = tmp_path / "site"
    with SiteWriter(out, TEMPLATES, check=checker(True, Limits(site_bytes=1000, file_bytes=100))) as w:
        w.write_text("index.html", "old")
        w.commit({})
    with pytest.raises(RenderError, match="big.json"), \
            SiteWriter(out, TEMPLATES, check=checker(True, Limits(site_bytes=1000, file_bytes=100))) as w:
        w.write_text("index.html", "new")
        w.write_bytes("data/big.json", b"x" * 101)
        w.commit({})
    assert (out / "index.html").read_text() == "old" and not (out / "data").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # no staging left behind


def test_the_check_sees_the_extra_files_and_the_marker(tmp_path):
    extra = write(tmp_path / "extra", {"CNAME": 20, "big.bin": 500})
    seen = []
    with SiteWriter(tmp_path / "site", TEMPLATES, extra_dir=extra, check=lambda d: seen.append(measure(d))) as w:
        w.write_text("index.html", "page")
        w.commit({})
    assert seen[0].largest == "big.bin" and seen[0].files == w.files == 4 and seen[0].bytes == w.bytes


def test_limits_are_on_by_default_and_off_by_flag():
    assert SiteConfig().pages_limits is True
    assert config_from_args(parser().parse_args([])).site.pages_limits is True
    assert config_from_args(parser().parse_args(["--no-pages-limits"])).site.pages_limits is False


@pytest.mark.slow
def test_build_over_the_limits_stops_and_keeps_the_previous_site(tmp_path, monkeypatch, capsys):
    out = tmp_path / "site"
    config = replace(BuildConfig(), **{"catalogue.source": "demo", "catalogue.demo_size": 60, "models.names": ("lsi",),
                                       "projection.method": "pca", "projection.size": 60, "site.out": out})
    report = build(config)
    assert report.files > 10 and f"{report.files} files ({report.bytes / 1e6:.1f} MB)" in report.summary()
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    monkeypatch.setattr(budget, "GITHUB_PAGES", Limits(site_bytes=10**9, file_bytes=1000))
    args = ["--demo", "--size", "61", "--models", "lsi", "--projection", "pca", "--projection-size", "60", "--out", str(out)]
    assert main(args) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: Not published: ") and "per file" in err[-1] and "--no-pages-limits" in err[-1]
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
    assert main([*args, "--no-pages-limits"]) == 0
    assert "61 synthetic demo manga" in capsys.readouterr().out and (out / MARKER).is_file()
