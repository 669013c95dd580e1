"""End to end: build a small demo site and check its HTML and JSON by parsing them."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest

from sitegen.build import build
from sitegen.config import BuildConfig, replace
from sitegen.models import REGISTRY
from sitegen.site import contract
from sitegen.site.data import unpack_list
from sitegen.site.maps import unpack_map
from sitegen.site.packed import Scale, unpack
from sitegen.site.render import read_data
from support.helpers import page_parts as parse

SIZE = 500  # the session's built site (conftest.built_site)


@pytest.fixture(scope="module")
def site(built_site):
    return built_site


def test_report_and_summary(site):
    out, report, _ = site
    assert report.manga == SIZE and report.synthetic
    assert set(report.models) == set(REGISTRY)
    line = report.summary()
    assert f"{SIZE} synthetic demo manga loaded" in line and ", 0 skipped" in line and "\n" not in line
    assert report.tagless > 0 and f"({report.tagless} without tags: placed by their descriptions)" in line
    assert report.files == sum(1 for p in out.rglob("*") if p.is_file())


def test_explore_page_uses_local_assets_and_shows_the_notice(site):
    out, _, _ = site
    page = parse(out / "index.html")
    assert {"search-input", "search-results", "columns", "synthetic-notice"} <= page.ids
    assert all(src and not src.startswith(("http:", "https:", "//")) for src in page.scripts)  # none inline
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
    n = index["n"]
    assert n == SIZE and index["synthetic"] is True
    assert [m["name"] for m in index["models"]] == list(REGISTRY)
    model_scales = [Scale(m["lo"], m["step"]) for m in index["models"]]
    lists = {}  # model -> (indices, distances) of every manga, from the per-model files
    for m, scale in zip(index["models"], model_scales):
        files = sorted((out / "data/neighbours" / m["name"]).glob("*.bin"))
        if m["name"] == index["default"]:  # its lists are in the pick shards (checked below)
            assert files == []
            continue
        assert len(files) == -(-n // index["compare_size"])
        parts = [unpack(path.read_bytes(), [scale]) for path in files]
        assert [start for start, _, _ in parts] == [f * index["compare_size"] for f in range(len(files))]
        lists[m["name"]] = (np.vstack([idx for _, (idx,), _ in parts]), np.vstack([d for _, _, (d,) in parts]))
    default = index["models"][[m["name"] for m in index["models"]].index(index["default"])]
    shard_files = sorted((out / "data/shards").glob("*.json.gz"))
    assert len(shard_files) == -(-n // 32)
    seen = 0
    for path in shard_files:
        shard = read_data(path)
        assert shard["start"] == seen
        rows = len(shard["desc"])
        packed = [unpack_list(li, di) for li, di in zip(shard["list"], shard["dist"], strict=True)]
        for offset, (listed, dist) in enumerate(packed):
            assert seen + offset not in listed and all(0 <= j < n for j in listed)
            shown = [default["lo"] + b * default["step"] for b in dist]
            assert shown == sorted(shown) and len(listed) <= index["k"]
        for idx_all, dist_all in lists.values():
            assert idx_all.shape == (n, config.neighbours.k + config.neighbours.spare) == (n, index["k"])
            for offset in range(rows):
                idx, dist = idx_all[seen + offset], dist_all[seen + offset]
                assert seen + offset not in idx
                listed = idx[idx >= 0]
                assert all(0 <= j < n for j in listed) and (idx[: len(listed)] == listed).all()  # gaps last
                assert list(dist[: len(listed)]) == sorted(dist[: len(listed)])
        assert not any("<script" in d for d in shard["desc"])
        for offset, (rel, same) in enumerate(zip(shard["rel"], shard["same"], strict=True)):
            listed = {int(j) for idx_all, _ in lists.values() for j in idx_all[seen + offset]} | set(packed[offset][0])
            assert set(same) <= listed and seen + offset not in same
            assert all(0 <= j < n and j != seen + offset and isinstance(label, str) for j, label in rel)
        for offset, people in enumerate(shard["by"]):
            assert people  # every demo manga has an author
            for name, role, others, total in people:
                assert name and role in ("author", "artist", "artist, author") and len(others) <= total
                assert all(0 <= j < n and j != seen + offset for j in others)
        seen += rows
    assert seen == n
    assert index["show"] == config.neighbours.k


def test_the_title_fragments_and_id_buckets_cover_the_catalogue(site):
    out, _, _ = site
    index = json.loads((out / "data/catalogue.json").read_text(encoding="utf-8"))
    found = {}
    for path in sorted((out / "data/ids").glob("*.json")):
        bucket = json.loads(path.read_text(encoding="utf-8"))
        found.update(zip(bucket["ids"], bucket["index"]))
    shards = [read_data(path) for path in sorted((out / "data/shards").glob("*.json.gz"))]
    ids = [i for shard in shards for i in shard["id"]]
    follows = [f or 0 for shard in shards for f in shard["follows"]]
    assert found == {m: i for i, m in enumerate(ids)}
    layout = index["titles"]
    fragments = sorted((out / "data/titles").glob("[0-9]*.json"))
    assert len(fragments) == layout["buckets"]
    named = {e[0] for path in fragments for e in json.loads(path.read_text(encoding="utf-8"))["manga"]}
    top = json.loads((out / "data/titles/top.json").read_text(encoding="utf-8"))["manga"]
    # the most followed, most first (the site numbers manga by likeness, not by follows)
    most = sorted(range(index["n"]), key=lambda i: (-follows[i], ids[i]))[: layout["top"]]
    assert [e[0] for e in top] == most
    assert named | {e[0] for e in top} == set(range(index["n"]))  # every manga can be found


def test_the_evaluation_picks_the_default_list_and_the_models_on(site):
    out, _, _ = site
    index = json.loads((out / "data/catalogue.json").read_text(encoding="utf-8"))
    evaluation = json.loads((out / "data/evaluation.json").read_text(encoding="utf-8"))
    selection = evaluation["selection"]
    assert index["default"] == selection["default"] in {m["name"] for m in index["models"] if m["on"]}
    for m in index["models"]:
        scores = evaluation["models"][m["name"]]
        hub = scores["coverage"]["value"] < 0.5 or scores["gini"]["value"] > 0.8
        assert m["on"] is (m["name"] not in selection["off"]) and (not hub or not m["on"])
        assert (m["note"] is None) is m["on"]
    # the description-aware model finds the demo's sequels (they retell their premise): it leads
    assert selection["default"] == "tags_text"
    assert "What Explore shows first" in (out / "comparison.html").read_text(encoding="utf-8")


def test_hostile_titles_stay_data(site):
    out, _, _ = site
    cols = json.loads((out / "data/columns.json").read_text(encoding="utf-8"))
    assert "<img src=x onerror=alert(1)> Academy" in cols["title"]
    assert "onerror" not in (out / "index.html").read_text(encoding="utf-8")


def test_every_data_file_is_what_the_contract_says(site):
    out, _, _ = site
    written = {p.relative_to(out).as_posix() for p in (out / "data").rglob("*.json")}
    expected = set()
    for kind, spec in contract.FILES.items():
        if not spec.path.endswith(".json"):
            continue  # binary files carry their version in their header: their own tests read them
        names = [spec.name(n) for n in range(len(written))] if "{n}" in spec.path else [spec.name()]
        for name in (x for x in names if x in written or "{n}" not in spec.path):
            contract.check(kind, json.loads((out / name).read_text(encoding="utf-8")))  # raises when not
            expected.add(name)
    assert written == expected  # nothing written that the contract does not name


def test_every_page_carries_the_contract_and_no_inline_script(site):
    out, _, _ = site
    for path in sorted(out.glob("*.html")):
        page = parse(path)
        assert json.loads(page.data_blocks["site-contract"]) == contract.browser_constants(), path.name
        assert None not in page.scripts, f"{path.name} has an inline script"


@pytest.mark.slow
def test_same_seed_same_bytes(site, tmp_path):
    out, _, config = site
    build(replace(config, **{"site.out": tmp_path / "again"}))

    def files(root):
        return {p.relative_to(root): p.read_bytes() for p in root.rglob("*") if p.is_file()}

    first, second = files(out), files(tmp_path / "again")
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []


def test_build_writes_the_maps_and_their_page(site):
    site = site[0]
    data = json.loads((site / "data/projections.json").read_text(encoding="utf-8"))
    index = json.loads((site / "data/catalogue.json").read_text(encoding="utf-8"))
    n = index["n"]
    assert data["manga"] == n and data["methods"] == ["umap", "pca"]  # every manga is mapped
    assert [m["name"] for m in data["models"]] == [m["name"] for m in index["models"]] == list(REGISTRY)
    numbers = sorted(e["file"] for m in data["models"] for e in m["maps"].values())
    # a PCA map each, and a UMAP map for LSI (the test config's) and the default model (whose map
    # the site numbers its manga by)
    assert numbers == list(range(len(REGISTRY) + len({"lsi", index["default"]})))
    assert {m["name"] for m in data["models"] if "umap" in m["maps"]} == {"lsi", index["default"]}
    # a small map gets the larger number of epochs (sitegen.analysis.projections.AUTO_EPOCHS)
    assert {m["maps"]["umap"]["epochs"] for m in data["models"] if "umap" in m["maps"]} == {100}
    assert not any("epochs" in m["maps"]["pca"] for m in data["models"])
    for number in numbers:
        xy = unpack_map((site / contract.FILES["map"].name(number)).read_bytes())
        assert xy.shape == (n, 2) and np.abs(xy).max() <= 1
    manga = gzip.decompress((site / contract.FILES["map_manga"].name()).read_bytes())
    assert manga[:4] == b"MRMT" and manga[4] == contract.FILES["map_manga"].version
    assert any(m["maps"]["pca"]["labels"] for m in data["models"])
    page = parse(site / "plots.html")
    assert "static/vendor/plotly/plotly-maps-strict.min.js" in page.scripts and "static/js/plots.js" in page.scripts
    assert all((site / src).is_file() for src in page.scripts)
    assert (site / "static/vendor/plotly/LICENSE").is_file()
    files = [p.file for p in contract.PAGES]
    assert files.index("plots.html") == files.index("index.html") + 1 and "plots.html" in page.links


@pytest.mark.slow
def test_past_exact_max_the_lists_are_searched_partitioned_and_say_their_recall(tmp_path):
    config = replace(BuildConfig(seed=3), **{
        "catalogue.demo_size": 1500, "site.out": tmp_path / "site", "neighbours.exact_max": 1000,
        "neighbours.sparse_exact_max": 1000, "neighbours.sample": 300, "models.names": ("lsi", "adjacency_cosine"),
        "projection.method": "pca", "projection.size": 200})
    build(config)
    models = {m["name"]: m for m in json.loads((tmp_path / "site/data/models.json").read_text("utf-8"))["models"]}
    for m in models.values():
        assert m["search"] in ("partitioned", "exact")
        # exact when the partition cannot serve; else near the wanted 0.99 (a sample of 300 wavers)
        assert m["search"] == "exact" or 0.98 <= m["recall"] <= 1
    assert models["lsi"]["search"] == "partitioned"
    text = "".join(parse(tmp_path / "site/comparison.html").text)
    assert f"partitioned search, recall {models['lsi']['recall']:.3f} against exact lists" in text


def test_a_model_with_another_models_distance_shares_its_lists_and_maps(tmp_path, caplog):
    # the popularity blend at weight 0 is LSI: searched and laid out once
    config = replace(BuildConfig(seed=4), **{
        "catalogue.demo_size": 300, "site.out": tmp_path / "_site", "models.names": ("lsi", "lsi_popularity"),
        "models.lsi_popularity.weight": 0.0})
    with caplog.at_level("INFO"):
        report = build(config)
    assert "lsi_popularity: its distance is lsi's" in caplog.text
    assert "neighbours lsi_popularity" not in report.stages
    assert "map lsi:" in caplog.text and "map lsi_popularity:" not in caplog.text  # no layout of its own
    site = tmp_path / "_site"
    data = json.loads((site / "data/projections.json").read_text(encoding="utf-8"))
    maps = {m["name"]: m["maps"] for m in data["models"]}
    for method in ("pca", "umap"):
        lsi, blend = (unpack_map((site / contract.FILES["map"].name(maps[name][method]["file"])).read_bytes())
                      for name in ("lsi", "lsi_popularity"))
        assert np.array_equal(lsi, blend)
    index = json.loads((site / "data/catalogue.json").read_text(encoding="utf-8"))
    assert [m["name"] for m in index["models"]] == ["lsi", "lsi_popularity"]


def test_a_twin_model_wanting_a_umap_map_its_twin_has_not_gets_its_own(tmp_path, caplog):
    config = replace(BuildConfig(seed=4), **{
        "catalogue.demo_size": 300, "site.out": tmp_path / "_site", "models.names": ("lsi", "lsi_popularity"),
        "models.lsi_popularity.weight": 0.0, "projection.umap_models": ("lsi_popularity",)})
    with caplog.at_level("INFO"):
        build(config)
    assert "map lsi_popularity: umap" in caplog.text  # laid out for itself: LSI's job has no UMAP map
    data = json.loads((tmp_path / "_site/data/projections.json").read_text(encoding="utf-8"))
    assert {m["name"]: set(m["maps"]) for m in data["models"]}["lsi_popularity"] == {"pca", "umap"}
