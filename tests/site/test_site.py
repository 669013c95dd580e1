"""Site data and the writer: sanitized descriptions, bounded shards, atomic publication."""

from __future__ import annotations

from html.parser import HTMLParser

import numpy as np
import pytest

from sitegen.analysis.neighbours import Neighbours
from sitegen.errors import RenderError
from sitegen.site.data import catalogue_index, shards
from sitegen.site.descriptions import sanitize_description
from sitegen.site.render import MARKER, SiteWriter, json_text

TEMPLATES = __import__("sitegen.config", fromlist=["SiteConfig"]).SiteConfig().templates_dir


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


def test_shards_cover_every_manga_once(demo_catalogue):
    n = len(demo_catalogue)
    rng = np.random.default_rng(0)
    nb = Neighbours("m", rng.integers(0, n, size=(n, 3)).astype(np.int32), np.zeros((n, 3), np.float32))
    out = list(shards(demo_catalogue, [nb], 64))
    assert len(out) == -(-n // 64)
    assert sum(len(s["desc"]) for _, s in out) == n
    number, last = out[-1]
    assert last["start"] == number * 64 and len(last["models"]["m"]["idx"]) == n - number * 64


def test_index_columns_are_parallel(demo_catalogue):
    index = catalogue_index(demo_catalogue, [], 64, 20)
    lengths = {k: len(v) for k, v in index["manga"].items()}
    assert set(lengths.values()) == {len(demo_catalogue)}


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
