"""End to end: build a small demo site and check its HTML and JSON by parsing them."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from sitegen.build import build
from sitegen.config import BuildConfig, replace
from sitegen.models import REGISTRY

SIZE = 400


class Collect(HTMLParser):
    """Gathers scripts, links, ids and visible text of a page."""

    def __init__(self):
        super().__init__()
        self.scripts, self.links, self.ids, self.text = [], [], set(), []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            self.scripts.append(a.get("src"))
        if tag == "a":
            self.links.append(a.get("href"))
        if "id" in a:
            self.ids.add(a["id"])

    def handle_data(self, data):
        self.text.append(data)


def parse(path: Path) -> Collect:
    page = Collect()
    page.feed(path.read_text(encoding="utf-8"))
    return page


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("e2e") / "_site"
    config = replace(BuildConfig(seed=5), **{"catalogue.demo_size": SIZE, "site.out": out, "site.shard_size": 32})
    report = build(config)
    return out, report, config


def test_report_and_summary(site):
    out, report, _ = site
    assert report.manga == SIZE and report.synthetic
    assert set(report.models) == set(REGISTRY)
    line = report.summary()
    assert f"{SIZE} synthetic demo manga loaded, 0 skipped" in line and "\n" not in line
    assert report.files == sum(1 for p in out.rglob("*") if p.is_file())


def test_explore_page_uses_local_assets_and_shows_the_notice(site):
    out, _, _ = site
    page = parse(out / "index.html")
    assert {"search-input", "search-results", "columns", "synthetic-notice"} <= page.ids
    assert all(src and not src.startswith(("http:", "https:", "//")) for src in page.scripts)
    for src in page.scripts:
        assert (out / src).is_file()
    assert "Synthetic demo data." in "".join(page.text)
    assert (out / "static/vendor/ufuzzy/LICENSE").is_file()


def test_markdown_pages_are_rendered_and_linked(site):
    out, _, _ = site
    page = parse(out / "methods.html")
    assert "methods.html" in page.links and "index.html" in page.links
    assert "How the recommendations are made" in "".join(page.text)


def test_catalogue_index_and_shards_agree(site):
    out, _, config = site
    index = json.loads((out / "data/catalogue.json").read_text(encoding="utf-8"))
    n = len(index["manga"]["id"])
    assert n == SIZE and index["synthetic"] is True
    assert [m["name"] for m in index["models"]] == list(REGISTRY)
    shard_files = sorted((out / "data/shards").glob("*.json"))
    assert len(shard_files) == -(-n // 32)
    seen = 0
    for path in shard_files:
        shard = json.loads(path.read_text(encoding="utf-8"))
        assert shard["start"] == seen
        rows = len(shard["desc"])
        for name, block in shard["models"].items():
            assert len(block["idx"]) == rows
            for offset, (idx, dist) in enumerate(zip(block["idx"], block["dist"])):
                assert len(idx) == config.neighbours.k
                assert seen + offset not in idx
                assert all(0 <= j < n for j in idx)
                assert dist == sorted(dist)
        assert not any("<script" in d for d in shard["desc"])
        seen += rows
    assert seen == n


def test_hostile_titles_stay_data(site):
    out, _, _ = site
    index = json.loads((out / "data/catalogue.json").read_text(encoding="utf-8"))
    assert "<img src=x onerror=alert(1)> Academy" in index["manga"]["title"]
    assert "onerror" not in (out / "index.html").read_text(encoding="utf-8")


def test_same_seed_same_bytes(site, tmp_path):
    out, _, config = site
    build(replace(config, **{"site.out": tmp_path / "again"}))

    def files(root):
        return {p.relative_to(root): p.read_bytes() for p in root.rglob("*") if p.is_file()}

    first, second = files(out), files(tmp_path / "again")
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []
