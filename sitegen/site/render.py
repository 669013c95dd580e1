"""Writing the site: templates, data files and assets, swapped in atomically.

The site is built in a staging directory beside ``--out`` (``.<out>.building-<pid>``) and renamed
into place only when every file is written, so a failed build leaves the previous site intact; the
previous site is moved aside (``.<out>.old-<pid>``) for the instant of the swap. A build killed
before it could tidy up leaves these behind: the next build removes those whose process is gone,
and puts a previous site back if it was killed in the middle of the swap. A directory that sitegen
did not make (no ``sitegen.json`` inside) is never replaced.

Files a maintainer keeps in the published site (``CNAME``, ``robots.txt``) live in a folder of
extra files copied into every build as they are (:attr:`SiteWriter.extra_dir`).
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import re
import shutil
import threading
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ..errors import RenderError
from . import contract
from .packed import compress

log = logging.getLogger(__name__)

MARKER = "sitegen.json"
#: The file of the extra folder that explains it; it is not copied.
EXTRA_README = "README.md"


def json_text(data: Any) -> str:
    """Compact, deterministic JSON; refuses NaN and infinity (browsers cannot parse them)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def finite_json(data: Any) -> bytes:
    """:func:`json_text`'s bytes, by orjson, for data whose numbers are finite by construction.

    The pick shards are nine tenths of the site's JSON (184 MB at 110,000 manga), written on the
    build's longest chain: the standard library took 16 s of a 110,000-manga build on them, orjson
    about a ninth of that, and the bytes are the same for what a shard holds (compared on every
    shard of the 2021 sample; a test compares too). Not for every float: orjson writes
    ``0.00001`` for ``1e-05`` (the same number). orjson writes NaN and infinity as null instead of refusing them, so this
    is only for data made finite where it is made (the shards' one float, the score, is rounded
    to a number or null: :mod:`.data`).
    """
    return orjson.dumps(data)


def data_bytes(relative: str, data: Any) -> bytes:
    """A data file's bytes: its JSON text, gzipped when its name ends in ``.gz`` (the same bytes
    every build). Hosts gzip ``.json`` files on the wire but store them whole; the pick shards,
    3,400 files at 110,000 manga, are stored gzipped (185 MB -> 61 MB: the site's size budget)
    and the page inflates them."""
    text = json_text(data).encode("utf-8")
    return gzipped(text) if relative.endswith(".gz") else text


def gzipped(data: bytes) -> bytes:
    """``data`` gzipped, the same bytes every build: the list shards' :func:`~.packed.compress`."""
    return compress(data)


def read_data(path: Path) -> Any:
    """A data file of a built site, parsed (inflated first when its name ends in ``.gz``)."""
    raw = path.read_bytes()
    return json.loads(gzip.decompress(raw) if path.name.endswith(".gz") else raw)


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_output(out: Path) -> Path:
    """Check that a build may write ``out``, before any work is done; returns it resolved.

    Raises
    ------
    RenderError
        When ``out`` is a file, a non-empty directory sitegen did not make, or where no directory
        can be written, each with the fix.
    """
    out = out.resolve()
    if out.exists() and not out.is_dir():
        raise RenderError(f"Output path {out} is a file, not a directory: give --out a new or sitegen-made directory")
    try:
        stranger = out.is_dir() and not (out / MARKER).is_file() and any(out.iterdir())
    except OSError as err:
        raise RenderError(f"Output directory {out} cannot be read ({err.strerror}): fix its permissions "
                          "or choose another --out") from None
    if stranger:
        raise RenderError(f"Output directory {out} exists and was not made by sitegen: choose another --out or empty it")
    base = _nearest_existing(out.parent)
    if not base.is_dir():
        raise RenderError(f"Output directory {out} cannot be made: {base} is a file; choose another --out")
    if not os.access(base, os.W_OK | os.X_OK):
        raise RenderError(f"Output directory {out} cannot be written: no write permission in {base}; "
                          "choose another --out or fix its permissions")
    return out


def check_extra_dir(directory: Path | None) -> None:
    """Check the folder of extra files before any work: missing is fine (nothing to copy).

    Raises
    ------
    RenderError
        When the path exists but is not a directory.
    """
    if directory is not None and directory.exists() and not directory.is_dir():
        raise RenderError(f"Extra files folder {directory} is a file: point site.extra_dir at a directory")


def _running(pid: int) -> bool:
    """Whether process ``pid`` exists; unsure counts as yes, so nothing alive is ever touched."""
    if os.name != "posix":  # os.kill(pid, 0) would terminate the process on Windows
        return True
    if pid <= 0:  # 0 and negative numbers name process groups, not a process
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    except (OverflowError, OSError):
        return False
    return True


def remove_stale_staging(out: Path) -> list[Path]:
    """Remove the staging directories of builds of ``out`` whose process no longer runs.

    When ``out`` is missing and such a build had moved the previous site aside, that site is put
    back first. Returns the directories removed.
    """
    pattern = re.compile(rf"\.{re.escape(out.name)}\.(building|old)-(\d+)")
    try:
        entries = sorted(out.parent.iterdir())
    except OSError:
        return []
    stale = [(m[1], p) for p in entries if (m := pattern.fullmatch(p.name)) and p.is_dir() and not p.is_symlink()
             and not _running(int(m[2]))]
    previous = [p for kind, p in stale if kind == "old" and (p / MARKER).is_file()]
    if previous and not out.exists() and not out.is_symlink():
        newest = max(previous, key=lambda p: p.stat().st_mtime)
        os.replace(newest, out)
        log.warning("put back the previous site %s from %s, left by a build that was stopped", out, newest.name)
    removed = []
    for _, path in stale:
        if path.exists():
            shutil.rmtree(path, ignore_errors=True)
            if path.exists():
                log.warning("could not remove %s, left by a stopped build: remove it by hand", path)
            else:
                log.info("removed %s, left by a stopped build", path.name)
                removed.append(path)
    return removed


@dataclass
class SiteWriter:
    """Collects the files of one build in a staging directory, then swaps it in.

    Use as a context manager: on a clean exit :meth:`commit` has to be called to publish;
    on an exception or without commit the staging directory is removed. ``extra_dir`` (none by
    default) is copied in at :meth:`commit`. ``check`` (none by default) is called with the staging
    directory once everything is in it, just before the swap: raising there keeps the previous site
    (:mod:`sitegen.site.budget` checks the host's size limits this way).

    Files stored gzipped are compressed and written on a thread of the writer's own
    (:meth:`write_made`): zlib releases the interpreter lock, so the next file's JSON is built
    meanwhile (at 110,000 manga, 4,000 files and about 20 s of gzip). :meth:`commit` waits for them.
    """

    out: Path
    templates_dir: Path
    extra_dir: Path | None = None
    check: Callable[[Path], None] | None = None
    files: int = 0
    bytes: int = 0
    _env: Environment = field(init=False, repr=False)
    _pool: ThreadPoolExecutor | None = field(default=None, init=False, repr=False)
    _pending: deque[Future[None]] = field(default_factory=deque, init=False, repr=False)
    _count: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

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
        check_output(self.out)
        try:
            remove_stale_staging(self.out)
            shutil.rmtree(self.stage, ignore_errors=True)
            self.stage.mkdir(parents=True)
        except OSError as err:
            raise RenderError(f"Staging directory {self.stage} cannot be made ({err.strerror}): "
                              "check free space and permissions beside --out") from err
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="site-writer")
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(self.stage, ignore_errors=True)
        if isinstance(exc, OSError):  # a full disk or a permission: one line, not a traceback
            raise RenderError(f"Writing the site to {self.out} failed ({exc.strerror or exc}): "
                              "check free space and permissions; the previous site is untouched") from exc

    def write_text(self, relative: str, text: str) -> None:
        self.write_bytes(relative, text.encode("utf-8"))

    def write_json(self, relative: str, data: Any) -> None:
        self.write_text(relative, json_text(data))

    def write_data(self, kind: str, data: dict[str, Any], n: int | None = None, *, finite: bool = False) -> None:
        """Write a data file of the site where the contract names it, after checking its layout
        (``finite``: its numbers are finite by construction, encoded by :func:`finite_json`)."""
        contract.check(kind, data)
        name = contract.FILES[kind].name(n)
        if name.endswith(".gz"):
            self.write_made(name, gzipped, finite_json(data) if finite else json_text(data).encode("utf-8"))
        else:
            self.write_bytes(name, finite_json(data) if finite else data_bytes(name, data))

    def write_made(self, relative: str, make: Callable[[bytes], bytes], raw: bytes) -> None:
        """Write ``make(raw)`` (a compression) as ``relative``, made and written on the writer's
        thread; at most 64 files wait at once, so the raw bytes held stay few."""
        if self._pool is None:
            self.write_bytes(relative, make(raw))
            return
        while len(self._pending) >= 64:
            self._pending.popleft().result()
        self._pending.append(self._pool.submit(lambda: self.write_bytes(relative, make(raw))))

    def _wait(self) -> None:
        """Every file handed to the writer's thread written (its error raised here)."""
        while self._pending:
            self._pending.popleft().result()

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
        with self._count:
            self.files += 1
            self.bytes += len(data)

    def copy_extras(self) -> None:
        """Copy the extra folder into the site as it is, all but its README.

        Raises
        ------
        RenderError
            When an extra file would replace a file or folder the build writes (or the marker).
        """
        source = self.extra_dir
        if source is None or not source.is_dir():
            return
        for path in sorted(source.rglob("*")):
            relative = path.relative_to(source).as_posix()
            if not path.is_file() or relative == EXTRA_README:
                continue
            if relative == MARKER or self._taken(relative):
                raise RenderError(f"Extra file {path} would replace {relative} of the built site: "
                                  f"rename or remove it in {source}")
            self.write_bytes(relative, path.read_bytes())

    def _taken(self, relative: str) -> bool:
        """Whether the build wrote ``relative``, or a file where one of its folders would go."""
        folders = list(Path(relative).parents)[:-1]  # "a/b/c" -> a/b, a (not the site itself)
        return (self.stage / relative).exists() or any((self.stage / f).is_file() for f in folders)

    def commit(self, info: dict[str, Any]) -> None:
        """Publish: copy the extra files, write the marker, run :attr:`check`, then rename the staging
        directory over ``out``."""
        self._wait()
        self.copy_extras()
        self.write_json(MARKER, info)
        if self.check is not None:
            self.check(self.stage)
        old = self.out.parent / f".{self.out.name}.old-{os.getpid()}"
        moved = self.out.exists()
        if moved:
            os.replace(self.out, old)
        try:
            os.replace(self.stage, self.out)
        except OSError:
            if moved:  # the new site cannot go in: the previous one goes back where it was
                os.replace(old, self.out)
            raise
        shutil.rmtree(old, ignore_errors=True)
