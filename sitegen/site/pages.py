"""The Markdown pages of ``content/``: Jinja first (with the build's figures), then Markdown."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import markdown
from jinja2 import Environment, FileSystemLoader, StrictUndefined


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
    scope, so that tables of results are written where the prose discusses them. Values are
    HTML-escaped on the way in: tag names come from MangaDex and are not trusted.
    """
    env = Environment(loader=FileSystemLoader(str(content_dir)), autoescape=True, undefined=StrictUndefined,
                      keep_trailing_newline=True)
    pages = []
    for path in sorted(content_dir.glob("*.md")):
        md = markdown.Markdown(extensions=["meta", "tables", "fenced_code", "toc", "attr_list"])
        html = md.convert(env.get_template(path.name).render(**data))
        meta = getattr(md, "Meta", {})
        title = " ".join(meta.get("title", [path.stem.replace("-", " ").title()]))
        order = int(meta.get("order", ["50"])[0])
        pages.append(Page(path.stem, title, order, html))
    return sorted(pages, key=lambda p: (p.order, p.slug))
