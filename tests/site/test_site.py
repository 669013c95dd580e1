"""Site data and the writer: sanitized descriptions, bounded shards, atomic publication, the output
check before a build, stale staging left by stopped builds, and the extra files."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from html.parser import HTMLParser

import numpy as np
import pytest

import sitegen.build as build_module
from sitegen.analysis.neighbours import Neighbours
from sitegen.config import BuildConfig, SiteConfig, replace
from sitegen.errors import RenderError
from sitegen.site.data import Layout, catalogue_index, columns, id_bucket, id_buckets, neighbour_shards, shards, unpack_list
from sitegen.site.descriptions import sanitize_description
from sitegen.site.packed import compress, pack, scales, unpack
from sitegen.site.render import MARKER, SiteWriter, check_output, finite_json, json_text

TEMPLATES = SiteConfig().templates_dir


class Markup(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attrs, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += attrs

    def handle_data(self, data):
        self.text.append(data)


HOSTILE = [
    "Hello <script>alert(1)</script> world",
    "[click](javascript:alert(1))",
    '<img src=x onerror="alert(1)">',
    '<a href="https://x.org" onclick="evil()">x</a>',
    '[x](https://a.org" onmouseover="evil())',
    "**<b>nested</b>** *<i>",
]


@pytest.mark.parametrize("raw", HOSTILE)
def test_hostile_descriptions_become_text(raw):
    markup = Markup()
    markup.feed(sanitize_description(raw))
    assert set(markup.tags) <= {"p", "br", "strong", "em", "a", "hr"}
    assert {name for name, _ in markup.attrs} <= {"href", "rel"}
    assert all(value.startswith("https://") for name, value in markup.attrs if name == "href")
    assert "script" not in markup.tags and "img" not in markup.tags


def test_light_markdown_is_kept():
    html = sanitize_description("**bold** and *it* [site](https://mangadex.org)\nnext line\n---\n\nlast & co")
    assert html == (
        '<p><strong>bold</strong> and <em>it</em> <a href="https://mangadex.org" rel="nofollow noopener noreferrer">'
        "site</a><br>next line</p><hr><p>last &amp; co</p>"
    )


def test_json_text_refuses_nan():
    with pytest.raises(ValueError):
        json_text({"x": float("nan")})


def test_finite_json_writes_the_same_bytes_as_json_text(demo_catalogue):
    """The pick shards go through orjson: the same bytes as the standard library's, for every
    shard of the demo and for text that needs escaping in JSON."""
    n = len(demo_catalogue)
    nb = Neighbours("m", np.random.default_rng(1).integers(0, n, size=(n, 5)).astype(np.int32),
                    np.linspace(0, 1, n * 5, dtype=np.float32).reshape(n, 5))
    out = list(shards(demo_catalogue, 32, [nb], nb, scales([nb.distances])[0]))
    tricky = {"t": ['quote " back \\ slash', "tab\t nl\n nul\x00 \x1f del\x7f", "</script><!--", "進撃の巨人 \u2028 😀"],
              "n": [0, -1, 2**53, 7.45, 0.1, 9.99, 10.0, 123456.789, None, True, False], "e": {}, "l": []}
    for data in [shard for _, shard in out] + [tricky]:
        assert finite_json(data) == json_text(data).encode("utf-8")
    # a float under 1e-4 is written another way, the same number
    assert json.loads(finite_json([1e-05, 3.2e-7])) == [1e-05, 3.2e-7]


def test_shards_cover_every_manga_once(demo_catalogue):
    n = len(demo_catalogue)
    rng = np.random.default_rng(0)
    nb = Neighbours("m", rng.integers(0, n, size=(n, 3)).astype(np.int32), np.zeros((n, 3), np.float32))
    out = list(shards(demo_catalogue, 64))
    assert len(out) == -(-n // 64)
    assert sum(len(s["desc"]) for _, s in out) == n
    assert [m for _, s in out for m in s["id"]] == [m.id for m in demo_catalogue.manga]
    number, last = out[-1]
    assert last["start"] == number * 64
    packed = list(neighbour_shards([nb], n, 128, scales([nb.distances])))
    assert [(p[0], p[1]) for p in packed] == [("m", f) for f in range(-(-n // 128))]
    start, (idx,), _ = unpack(packed[-1][2], scales([nb.distances]))
    assert start == (len(packed) - 1) * 128 and np.array_equal(idx, nb.indices[start:])
    # stored gzipped (hosts send .bin as it is; the writer compresses), the same bytes every time
    stored = compress(packed[-1][2])
    assert stored[:2] == b"\x1f\x8b" and np.array_equal(unpack(stored, scales([nb.distances]))[1][0], idx)
    assert packed == list(neighbour_shards([nb], n, 128, scales([nb.distances])))
    with pytest.raises(RenderError, match="not valid gzip"):
        unpack(stored[:-8] + b"broken!!", scales([nb.distances]))


def test_pick_shards_carry_the_default_models_list(demo_catalogue):
    n = len(demo_catalogue)
    idx = np.tile(np.array([[3, 1, -1]], dtype=np.int32), (n, 1))
    dist = np.tile(np.array([[0.0, 0.5, np.inf]], dtype=np.float32), (n, 1))
    nb = Neighbours("m", idx, dist)
    (scale,) = scales([dist])
    _, first = next(iter(shards(demo_catalogue, 64, [nb], nb, scale)))
    assert unpack_list(first["list"][0], first["dist"][0]) == ([3, 1], [0, 254])  # no empty places, scale's bytes
    assert [p[0] for p in neighbour_shards([nb], n, 512, [scale], skip="m")] == []  # in the pick shards already
    assert len(first["list"]) == len(first["dist"]) == len(first["id"]) == 64


def test_pick_shards_lists_are_packed_in_blocks_a_shard_never_straddles(demo_catalogue, monkeypatch):
    import sitegen.site.data as data

    n = len(demo_catalogue)
    rng = np.random.default_rng(2)
    idx = rng.integers(-1, n, size=(n, 6)).astype(np.int32)
    dist = np.sort(rng.random((n, 6)).astype(np.float32), axis=1)
    idx = np.sort(idx, axis=1)[:, ::-1].copy()  # the empty places (-1) last
    dist[idx < 0] = np.inf
    nb = Neighbours("m", idx, dist)
    (scale,) = scales([dist])
    whole = [s for _, s in shards(demo_catalogue, 7, [nb], nb, scale)]
    monkeypatch.setattr(data, "LIST_BLOCK", 10)  # blocks of 7 manga: 7 does not divide 10
    blocked = [s for _, s in shards(demo_catalogue, 7, [nb], nb, scale)]
    assert blocked == whole
    lists = [unpack_list(a, b) for s in whole for a, b in zip(s["list"], s["dist"])]
    assert len(lists) == n
    assert all(got == [j for j in row if j >= 0] for (got, _), row in zip(lists, idx.tolist()))


def test_packed_shards_round_trip_lists_and_gaps():
    idx = np.array([[5, 2, -1], [0, 16_000_000, 7]], dtype=np.int64)
    dist = np.array([[0.1, 0.25, np.inf], [0.0, 0.5, 2.0]], dtype=np.float32)
    other = np.array([[1, 1, 1], [2, 2, 2]])
    model_scales = scales([dist, np.zeros((2, 3))])
    data = pack(40, [idx, other], [dist, np.zeros((2, 3))], model_scales)
    assert len(data) == 20 + 2 * 6 * 4  # header, then 4 bytes per listed neighbour and model
    start, (got_idx, got_other), (got_dist, zeros) = unpack(data, model_scales)
    assert start == 40 and np.array_equal(got_idx, idx) and np.array_equal(got_other, other)
    assert np.isnan(got_dist[0, 2]) and np.allclose(zeros, 0)
    step = model_scales[0].step
    assert np.allclose(got_dist[~np.isnan(got_dist)], dist[np.isfinite(dist)], atol=step / 2 + 1e-9)


@pytest.mark.parametrize("damage", [lambda b: b[:10], lambda b: b"XXXX" + b[4:], lambda b: b[:4] + b"\x09" + b[5:],
                                    lambda b: b + b"\x00"])
def test_unpack_refuses_what_is_not_a_shard(damage):
    idx, dist = np.zeros((1, 2), dtype=np.int64), np.zeros((1, 2))
    with pytest.raises(RenderError, match="Neighbour shard"):
        unpack(damage(pack(0, [idx], [dist], scales([dist]))), scales([dist]))


def test_pack_refuses_indices_past_three_bytes():
    idx, dist = np.array([[2**24 - 1]]), np.zeros((1, 1))
    with pytest.raises(RenderError, match="indices below"):
        pack(0, [idx], [dist], scales([dist]))


def test_list_columns_are_parallel_and_hold_no_ids(demo_catalogue):
    cols = columns(demo_catalogue)
    assert {k: len(v) for k, v in cols.items() if k != "version"} == dict.fromkeys(
        ["title", "year", "tags", "rating", "lang", "status", "demo"], len(demo_catalogue))
    assert not any(m.id in json_text(cols) for m in demo_catalogue.manga[:20])
    index = catalogue_index(demo_catalogue, [], Layout(64, 512, 16), 20, [])
    assert index["n"] == len(demo_catalogue) and "manga" not in index
    facets = index["facets"]
    for name, attr in (("lang", "original_language"), ("status", "status"), ("demo", "demographic")):
        decoded = [facets[name][c] if c >= 0 else "" for c in cols[name]]
        assert decoded == [getattr(m, attr) for m in demo_catalogue.manga]


def test_id_buckets_find_every_manga(demo_catalogue):
    found = {}
    for number, bucket in id_buckets(demo_catalogue, 16):
        assert all(id_bucket(i, 16) == number for i in bucket["ids"])
        found.update(zip(bucket["ids"], bucket["index"]))
    assert found == {m.id: i for i, m in enumerate(demo_catalogue.manga)}


def test_failed_build_leaves_previous_site(tmp_path):
    out = tmp_path / "site"
    with SiteWriter(out, TEMPLATES) as w:
        w.write_text("index.html", "old")
        w.commit({})
    with pytest.raises(RuntimeError), SiteWriter(out, TEMPLATES) as w:
        w.write_text("index.html", "half-new")
        raise RuntimeError("boom")
    assert (out / "index.html").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # no staging left behind


def test_files_made_on_the_writers_thread_are_all_in_before_the_swap_and_their_errors_reach_it(tmp_path):
    out = tmp_path / "site"
    with SiteWriter(out, TEMPLATES) as w:
        for i in range(150):  # more than wait at once
            w.write_made(f"d/{i}.gz", gzip.compress, str(i).encode() * 50)
        w.commit({})
    assert w.files == 151 and len(list((out / "d").iterdir())) == 150
    assert gzip.decompress((out / "d" / "7.gz").read_bytes()) == b"7" * 50

    def full(_: bytes) -> bytes:
        raise OSError(28, "No space left on device")

    with pytest.raises(RenderError, match="No space left"), SiteWriter(out, TEMPLATES) as w:
        w.write_made("x.gz", full, b"x")
        w.commit({})
    assert len(list((out / "d").iterdir())) == 150  # the previous site stands


def test_writer_replaces_its_own_site_but_not_a_stranger(tmp_path):
    out = tmp_path / "site"
    with SiteWriter(out, TEMPLATES) as w:
        w.write_text("a.html", "1")
        w.commit({})
    with SiteWriter(out, TEMPLATES) as w:
        w.write_text("b.html", "2")
        w.commit({})
    assert sorted(p.name for p in out.iterdir()) == ["b.html", MARKER]
    stranger = tmp_path / "docs"
    stranger.mkdir()
    (stranger / "precious.txt").write_text("keep")
    with pytest.raises(RenderError, match="not made by sitegen"), SiteWriter(stranger, TEMPLATES):
        pass
    assert (stranger / "precious.txt").read_text() == "keep"


# -- staging left by killed builds, the output path, extra files -----------------------------------

def dead_pid() -> int:
    """The id of a process that has exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def published(out, files=None):
    """A site made by sitegen at ``out``, holding ``files`` ({name: text})."""
    with SiteWriter(out, TEMPLATES) as w:
        for name, text in (files or {"index.html": "old"}).items():
            w.write_text(name, text)
        w.commit({})
    return out


def test_staging_of_stopped_builds_is_removed_and_only_that(tmp_path):
    out = published(tmp_path / "site")
    dead, alive = dead_pid(), os.getppid()
    stale = [tmp_path / f".site.building-{dead}", tmp_path / f".site.old-{dead}", tmp_path / ".site.building-0"]
    kept = [tmp_path / f".site.building-{alive}", tmp_path / f".other.building-{dead}", tmp_path / f".site.built-{dead}"]
    for d in stale + kept:
        (d / "sub").mkdir(parents=True)
        (d / "sub" / "f").write_text("x")
    published(out, {"index.html": "new"})
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["site", *(d.name for d in kept)])
    assert (out / "index.html").read_text() == "new"


def test_a_build_stopped_mid_swap_gets_the_previous_site_back(tmp_path):
    out = published(tmp_path / "site")
    aside = tmp_path / f".site.old-{dead_pid()}"
    os.replace(out, aside)  # what a build killed between its two renames leaves
    half = tmp_path / f".site.building-{dead_pid()}"
    half.mkdir()
    with SiteWriter(out, TEMPLATES):
        assert (out / "index.html").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def file_at(tmp_path):
    (tmp_path / "site").write_text("a file")
    return tmp_path / "site"


def stranger_at(tmp_path):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "precious.txt").write_text("keep")
    return tmp_path / "site"


def under_a_file(tmp_path):
    (tmp_path / "blocker").write_text("a file where a folder goes")
    return tmp_path / "blocker" / "deeper" / "site"


UNWRITABLE = [(file_at, "is a file, not a directory"), (stranger_at, "was not made by sitegen"),
              (under_a_file, "blocker is a file; choose another --out")]


@pytest.mark.parametrize("make, message", UNWRITABLE)
def test_output_paths_that_cannot_be_written_are_clear_errors(tmp_path, make, message):
    out = make(tmp_path)
    with pytest.raises(RenderError, match=message) as caught:
        check_output(out)
    assert str(out.resolve()) in str(caught.value) and "\n" not in str(caught.value)
    with pytest.raises(RenderError, match=message), SiteWriter(out, TEMPLATES):
        pass
    if make is stranger_at:
        assert (out / "precious.txt").read_text() == "keep"


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_an_unwritable_parent_is_a_clear_error(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        with pytest.raises(RenderError, match="no write permission in .*locked"):
            check_output(locked / "site")
    finally:
        locked.chmod(0o755)


def test_check_output_accepts_new_empty_and_own_directories(tmp_path):
    assert check_output(tmp_path / "new" / "deeper" / "site") == (tmp_path / "new/deeper/site").resolve()
    (tmp_path / "empty").mkdir()
    check_output(tmp_path / "empty")
    check_output(published(tmp_path / "own"))


def test_an_os_error_while_writing_is_one_line_and_keeps_the_old_site(tmp_path):
    out = published(tmp_path / "site")
    with pytest.raises(RenderError, match="Writing the site to .* failed"), SiteWriter(out, TEMPLATES) as w:
        w.write_text("index.html", "new")
        raise OSError(28, "No space left on device")
    assert (out / "index.html").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def extra_folder(path, files):
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    return path


def test_extra_files_are_copied_as_they_are_but_their_readme(tmp_path):
    extra = extra_folder(tmp_path / "extra", {"CNAME": "manga.example.org\n", "robots.txt": "User-agent: *\n",
                                              ".well-known/security.txt": "Contact: x", "README.md": "about"})
    out = tmp_path / "site"
    with SiteWriter(out, TEMPLATES, extra_dir=extra) as w:
        w.write_text("index.html", "page")
        w.commit({})
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        ".well-known/security.txt", "CNAME", "index.html", "robots.txt", MARKER]
    assert (out / "CNAME").read_text() == "manga.example.org\n"
    assert w.files == 5


def test_a_missing_extra_folder_copies_nothing(tmp_path):
    assert SiteWriter(tmp_path / "c", TEMPLATES).extra_dir is None
    with SiteWriter(tmp_path / "d", TEMPLATES, extra_dir=tmp_path / "missing") as w:  # nothing to copy
        w.commit({})
    assert [p.name for p in (tmp_path / "d").iterdir()] == [MARKER]


@pytest.mark.parametrize("name", ["index.html", MARKER, "static", "index.html/inside", "data/catalogue.json"])
def test_an_extra_file_may_not_replace_one_of_the_build(tmp_path, name):
    out = published(tmp_path / "site")
    extra = extra_folder(tmp_path / "extra", {name: "mine"})
    with pytest.raises(RenderError, match=f"would replace {name} of the built site") as caught, \
            SiteWriter(out, TEMPLATES, extra_dir=extra) as w:
        w.write_text("index.html", "new")
        w.write_text("static/site.css", "css")
        w.write_text("data/catalogue.json", "{}")
        w.commit({})
    assert str(extra) in str(caught.value)
    assert (out / "index.html").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["extra", "site"]


# -- the build checks its output before any work, and publishes the extra files --------------------

def tiny(tmp_path, **changes):
    return replace(BuildConfig(seed=1), **{"catalogue.demo_size": 60, "models.names": ("lsi",),
                                           "projection.method": "pca", "site.out": tmp_path / "_site", **changes})


@pytest.mark.parametrize("make, message", UNWRITABLE)
def test_build_checks_the_output_before_loading_anything(tmp_path, monkeypatch, make, message):
    def no_work(_config):
        raise AssertionError("the catalogue was loaded before --out was checked")

    monkeypatch.setattr(build_module, "load_source", no_work)
    with pytest.raises(RenderError, match=message):
        build_module.build(tiny(tmp_path, **{"site.out": make(tmp_path)}))


def test_build_publishes_extra_files_and_keeps_them_across_builds(tmp_path):
    extra = extra_folder(tmp_path / "extra", {"CNAME": "manga.example.org\n", "robots.txt": "User-agent: *\n",
                                              "README.md": "explains the folder"})
    config = tiny(tmp_path, **{"site.extra_dir": extra})
    build_module.build(config)
    stale = tmp_path / f"._site.building-{dead_pid()}"
    stale.mkdir()
    report = build_module.build(config)
    out = config.site.out
    assert (out / "CNAME").read_text() == "manga.example.org\n" and (out / "robots.txt").is_file()
    assert not (out / "README.md").exists() and (out / "index.html").is_file()
    assert report.files == sum(1 for p in out.rglob("*") if p.is_file())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_site", "extra"]


def test_build_refuses_an_extra_file_that_replaces_a_page(tmp_path):
    config = tiny(tmp_path)
    build_module.build(config)
    before = (config.site.out / "index.html").read_bytes()
    extra = extra_folder(tmp_path / "extra", {"index.html": "<p>mine</p>"})
    with pytest.raises(RenderError, match="would replace index.html"):
        build_module.build(replace(config, **{"site.extra_dir": extra}))
    assert (config.site.out / "index.html").read_bytes() == before
    with pytest.raises(RenderError, match="is a file: point site.extra_dir"):
        build_module.build(replace(config, **{"site.extra_dir": extra / "index.html"}))


def test_the_project_extra_folder_explains_itself_and_adds_nothing_by_default():
    default = SiteConfig().extra_dir
    assert default.name == "extra" and (default / "README.md").is_file()
    assert "CNAME" in (default / "README.md").read_text(encoding="utf-8")


def test_more_by_shows_a_persons_first_other_titles_and_counts_them_all():
    from types import SimpleNamespace

    from sitegen.site.data import MORE_BY, _by
    from sitegen.sources.records import Person

    prolific, once = Person("p", "Prolific", "author"), Person("q", "Once", "artist")
    works = {"p": [7, 3, *range(20, 40), 5], "q": [3]}  # most followed first
    catalogue = SimpleNamespace(manga={i: SimpleNamespace(people=(prolific, once) if i == 3 else (prolific,))
                                       for i in works["p"]})
    for i in works["p"]:
        others = [j for j in works["p"] if j != i]
        assert _by(catalogue, works, i)[0] == ["Prolific", "author", others[:MORE_BY], len(others)]
    assert _by(catalogue, works, 3)[1] == ["Once", "artist", [], 0]
