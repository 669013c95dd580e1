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


# -- MangaDex's leftover BBCode and entities (issue 10, item 5) ----------------------------------

NOFOLLOW = 'rel="nofollow noopener noreferrer"'


def test_entities_are_decoded_exactly_once():
    html = sanitize_description("&quot;Paradise Kiss.&quot; &eacute;t&eacute; &amp;quot;kept&amp;quot; Tom &amp; Jerry")
    assert '"Paradise Kiss."' in html and "été" in html
    assert "&amp;quot;kept&amp;quot;" in html  # shows as &quot;kept&quot;: written once as an entity
    assert "Tom &amp; Jerry" in html


def test_bbcode_emphasis():
    html = sanitize_description("[b]Bold[/b] [I]it[/I] [u]under[/u] [s]gone[/s]")
    assert html == "<p><strong>Bold</strong> <em>it</em> <u>under</u> <s>gone</s></p>"


def test_bbcode_links_http_only():
    html = sanitize_description("[url=https://twitter.com/a_b]Twitter[/url] [url]http://x.example/p?a=1&b=2[/url]")
    assert f'<a href="https://twitter.com/a_b" {NOFOLLOW}>Twitter</a>' in html
    assert f'<a href="http://x.example/p?a=1&amp;b=2" {NOFOLLOW}>http://x.example/p?a=1&amp;b=2</a>' in html
    for hostile in ("[url=javascript:alert(1)]click[/url]", "[url=data:text/html,x]click[/url]",
                    "[url]javascript:alert(1)[/url]", "[url=//evil.example]click[/url]"):
        out = sanitize_description(hostile)
        assert "<a" not in out and "[url" not in out and "javascript" not in out.replace("javascript:alert(1)", "")


def attributes(html: str) -> list[tuple[str, str, str | None]]:
    """Every (tag, attribute, value) of the HTML, as a browser's parser would read them."""
    from html.parser import HTMLParser

    found = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.extend((tag, k, v) for k, v in attrs)

    Parser().feed(html)
    return found


def test_attribute_injection_through_a_link_stays_in_the_address():
    out = sanitize_description('[url=https://x.example/" onmouseover="alert(1)]t[/url] '
                               '[l](https://y.example/"onclick="alert(2)) [url=https://z.example/\'onfocus=\'x]u[/url]')
    assert {(tag, name) for tag, name, _ in attributes(out)} <= {("a", "href"), ("a", "rel")}
    assert "<a" not in out  # a quote ends no address: none of these is a link


def test_spoilers_fold_across_paragraphs_and_nest():
    html = sanitize_description("Before [spoiler]the twist\n\nmore of it[/spoiler] after")
    assert html == ("<p>Before</p><details><summary>Spoiler</summary><p>the twist</p><p>more of it</p>"
                    "</details><p>after</p>")
    nested = sanitize_description("[spoiler]a [spoiler]b[/spoiler] c[/spoiler]")
    assert nested.count("<details>") == 2 and nested.count("</details>") == 2


def test_list_items_and_rules():
    html = sanitize_description("Links:\r\n[*][url=https://a.example]A[/url]\r\n[*]B [*]C\n[hr]- dash item\n- another")
    assert html == (f'<p>Links:</p><ul><li><a href="https://a.example" {NOFOLLOW}>A</a></li><li>B</li>'
                    "<li>C</li></ul><hr><ul><li>dash item</li><li>another</li></ul>")


def test_unclosed_and_stray_tags_are_removed_not_shown():
    html = sanitize_description("[b]never closed [i]fine[/i] [/u] [spoiler]open [url=https://a.example]x")
    assert html == "<p>never closed <em>fine</em>  open x</p>"


def test_images_are_never_fetched():
    html = sanitize_description("[url=https://e.example/][img]https://i.imgur.com/p.png[/img][/url] "
                                "[img]https://t.example/p.gif[/img] ![p](https://t.example/q.gif)")
    assert "imgur" not in html and "t.example/p.gif" not in html and "<img" not in html
    assert f'<a href="https://e.example/" {NOFOLLOW}>image</a>' in html


def test_hostile_markup_and_entities_stay_text():
    html = sanitize_description("&lt;script&gt;alert(1)&lt;/script&gt; <img src=x onerror=alert(2)> "
                                "[b]<svg onload=alert(3)>[/b] &lt;b&gt;")
    assert "<script" not in html and "<img" not in html and "<svg" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<strong>&lt;svg onload=alert(3)&gt;</strong>" in html


def test_deep_nesting_is_bounded():
    text = "[b]" * 500 + "x" + "[/b]" * 500 + "[spoiler]" * 500 + "y" + "[/spoiler]" * 500
    html = sanitize_description(text)
    assert "[b]" not in html and "[spoiler]" not in html and "x" in html and "y" in html
