"""Descriptions: light Markdown as safe HTML, links built last."""

from __future__ import annotations

from sitegen.site.descriptions import sanitize_description


def test_emphasis_cannot_enter_a_link_address():
    html = sanitize_description("[**x](http://x.example/**y)z**")
    assert 'href="http://x.example/**y"' in html and "<strong>" not in html


def test_emphasis_around_and_inside_links():
    html = sanitize_description("**bold [link *it*](https://a.example/a*b*c) tail** and *i*")
    assert 'href="https://a.example/a*b*c"' in html
    assert "<strong>bold <a" in html and "<em>it</em></a>" in html and "<em>i</em>" in html


def test_the_placeholder_character_cannot_be_smuggled_in():
    assert sanitize_description("a\x00b \x000\x00 [l](https://x.example)").count("<a ") == 1
