"""Markdown pages: figures from the build go in as text, never as markup."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from sitegen.site.pages import plain_text, read_pages, sanitize_page
from support.helpers import PageParts

HOSTILE_TAGS = [
    "zz {onmouseover=alert(1) tabindex=1 autofocus=1 onfocus=alert(2)}",
    "[x](javascript:alert(1))",
    '![i](https://tracker.example/p.gif" onerror="alert(3))',
    "a | b",
    "</td></tr></table><script>alert(4)</script>",
    "<img src=x onerror=alert(5)>",
    "R\u202eTL override",
    "**bold** _it_ `code` # head",
]

PAGE = """Title: Tags
Order: 30

# Tags

| tag | manga |
|---|---:|
{% for t in tags %}| {{ t }} | {{ "{:,}".format(1234) }} |
{% endfor %}

The first is {{ tags[0] }}.
"""


@pytest.fixture
def page(tmp_path):
    (tmp_path / "tags.md").write_text(PAGE, encoding="utf-8")
    [page] = read_pages(tmp_path, {"tags": HOSTILE_TAGS})
    return page


class Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.seen = []

    def handle_starttag(self, tag, attrs):
        self.seen.append((tag, dict(attrs)))


def test_hostile_names_stay_text_in_tables_and_prose(page):
    html = page.html
    elements = Elements()
    elements.feed(html)
    assert {tag for tag, _ in elements.seen} <= {"h1", "p", "table", "thead", "tbody", "tr", "th", "td"}
    assert {name for _, attrs in elements.seen for name in attrs} <= {"id", "align"}
    assert "\u202e" not in html
    parts = PageParts()
    parts.feed(html)
    assert parts.scripts == [] and parts.links == []
    # every name is one cell of its own row: a pipe does not split it, markup does not end it
    assert html.count("<tr>") == len(HOSTILE_TAGS) + 1
    assert html.count("<td>") == len(HOSTILE_TAGS)
    text = "".join(parts.text)
    assert "a | b" in text and "**bold** _it_ `code` # head" in text and "{onmouseover=alert(1)" in text
    assert "1,234" in text  # figures read as written


def test_plain_text_escapes_markdown_and_drops_format_characters():
    assert plain_text("a|b") == "a\\|b"
    assert plain_text("[x](y)") == "\\[x\\]\\(y\\)"
    assert plain_text("R\u202eT\u200bL\x00") == "RTL"
    assert plain_text(None) is None and plain_text(3) == "3"


def test_sanitizer_is_a_second_line_of_defence():
    html = sanitize_page('<p onclick="x()">a<script>alert(1)</script><img src=x><a href="javascript:y">l</a>'
                         '<a href="data/x.json">ok</a></p>')
    assert "onclick" not in html and "<script" not in html and "<img" not in html
    assert "javascript:" not in html and 'href="data/x.json"' in html
