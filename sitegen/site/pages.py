"""The Markdown pages of ``content/``: Jinja first (with the build's figures), then Markdown.

The figures include names that come from MangaDex (tags, and anything else a page shows), and
escaping HTML does not stop Markdown: a tag named ``x {onfocus=alert(1) autofocus=1}`` or
``[x](javascript:...)`` would become markup. So every value a page template writes is made plain
text twice over: control and format characters dropped, every Markdown punctuation mark
backslash-escaped, then HTML-escaped (Jinja's autoescape). The page's HTML is then sanitized with an
allowlist (nh3), a second line of defence that holds even if a page itself were careless.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import markdown
import nh3
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from ..sources.fields import clean_text

#: What Markdown (with tables) reads as syntax and lets a backslash escape (its ESCAPED_CHARS, less
#: ">", which HTML escaping already turns into an entity that starts no quote).
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|])")
ALLOWED_TAGS = {"a", "p", "br", "hr", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li",
                "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"},
                      **{f"h{i}": {"id"} for i in range(1, 7)}}


def plain_text(value: Any) -> Any:
    """A template value as inert Markdown text (see the module docstring); markup made by the
    template itself (``Markup``) and ``None`` pass unchanged."""
    if value is None or isinstance(value, Markup):
        return value
    text = str(value)
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", clean_text(text, limit=len(text)))


def sanitize_page(html: str) -> str:
    """A Markdown page's HTML through the allowlist: no script, no event handler, no image, http(s),
    mailto and site-relative links only."""
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"}, link_rel=None)


@dataclass(frozen=True)
class Page:
    """A Markdown page of ``content/``: its slug (file stem), title, order in the menu, HTML."""

    slug: str
    title: str
    order: int
    html: str


def read_pages(content_dir: Path, data: dict[str, Any]) -> list[Page]:
    """Every ``*.md`` of ``content_dir``, menu order first, then slug.

    A page may start with ``Title:`` and ``Order:`` lines (Markdown's meta extension). Pages are
    Jinja templates first, with the build's ``data`` (evaluation, models, tags, catalogue) in
    scope, so that tables of results are written where the prose discusses them. Every value is
    written as plain text (:func:`plain_text`) and the result is sanitized (:func:`sanitize_page`).
    """
    env = Environment(loader=FileSystemLoader(str(content_dir)), autoescape=True, undefined=StrictUndefined,
                      keep_trailing_newline=True, finalize=plain_text)
    pages = []
    for path in sorted(content_dir.glob("*.md")):
        # no attr_list: "{...}" after a value must never turn into attributes
        md = markdown.Markdown(extensions=["meta", "tables", "fenced_code", "toc"],
                               extension_configs={"tables": {"use_align_attribute": True}})  # align=, not style=
        html = sanitize_page(md.convert(env.get_template(path.name).render(**data)))
        meta = getattr(md, "Meta", {})
        title = " ".join(meta.get("title", [path.stem.replace("-", " ").title()]))
        order = int(meta.get("order", ["50"])[0])
        pages.append(Page(path.stem, title, order, html))
    return sorted(pages, key=lambda p: (p.order, p.slug))
