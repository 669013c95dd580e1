"""Writing the site: templates, data files and assets, swapped in atomically.

The site is built in a staging directory beside ``--out`` and renamed into place only when every
file is written, so a failed build leaves the previous site intact. A directory that sitegen did
not make (no ``sitegen.json`` inside) is never replaced.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ..errors import RenderError
from . import contract

log = logging.getLogger(__name__)

MARKER = "sitegen.json"


def json_text(data: Any) -> str:
    """Compact, deterministic JSON; refuses NaN and infinity (browsers cannot parse them)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


@dataclass
class SiteWriter:
    """Collects the files of one build in a staging directory, then swaps it in.

    Use as a context manager: on a clean exit :meth:`commit` has to be called to publish;
    on an exception or without commit the staging directory is removed.
    """

    out: Path
    templates_dir: Path
    files: int = 0
    bytes: int = 0
    _env: Environment = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.out = self.out.resolve()
        self.stage = self.out.parent / f".{self.out.name}.building-{os.getpid()}"
        self._env = Environment(
            loader=FileSystemLoader(str(self.templates_dir)),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            keep_trailing_newline=True,
        )

    def __enter__(self) -> SiteWriter:
        if self.out.exists() and any(self.out.iterdir()) and not (self.out / MARKER).exists():
            raise RenderError(
                f"Output directory {self.out} exists and was not made by sitegen: "
                "choose another --out or empty it"
            )
        shutil.rmtree(self.stage, ignore_errors=True)
        self.stage.mkdir(parents=True)
        return self

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.stage, ignore_errors=True)

    def write_text(self, relative: str, text: str) -> None:
        path = self.stage / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode("utf-8")
        path.write_bytes(data)
        self.files += 1
        self.bytes += len(data)

    def write_json(self, relative: str, data: Any) -> None:
        self.write_text(relative, json_text(data))

    def write_data(self, kind: str, data: dict[str, Any], n: int | None = None) -> None:
        """Write a data file of the site where the contract names it, after checking its layout."""
        contract.check(kind, data)
        self.write_json(contract.FILES[kind].name(n), data)

    def render(self, relative: str, template: str, **context: Any) -> None:
        self.write_text(relative, self._env.get_template(template).render(**context))

    def copy_tree(self, source: Path, relative: str, skip: Iterable[str] = ("__pycache__",)) -> None:
        """Copy assets in sorted order so that the site is the same on every run."""
        for path in sorted(source.rglob("*")):
            if path.is_file() and not any(part in skip for part in path.parts):
                self.write_bytes(f"{relative}/{path.relative_to(source).as_posix()}", path.read_bytes())

    def write_bytes(self, relative: str, data: bytes) -> None:
        path = self.stage / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.files += 1
        self.bytes += len(data)

    def commit(self, info: dict[str, Any]) -> None:
        """Publish: write the marker, then rename the staging directory over ``out``."""
        self.write_json(MARKER, info)
        old = self.out.parent / f".{self.out.name}.old-{os.getpid()}"
        if self.out.exists():
            os.replace(self.out, old)
        os.replace(self.stage, self.out)
        shutil.rmtree(old, ignore_errors=True)
