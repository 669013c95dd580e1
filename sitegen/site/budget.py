"""Size budgets: a site over its host's limits is stopped before it replaces the previous one.

GitHub Pages publishes at most 1 GB per site and refuses files over 100 MB. A site past them
would fail only at deployment, after the build had already replaced the local one, so the check
runs on the staging directory, the last thing before :meth:`~sitegen.site.render.SiteWriter.commit`
swaps it in: raising there leaves the previous site as it was.

Sizes are measured on disk rather than taken from the writer's counters, because the disk is
what gets published (the extra files and the marker included, a rewritten file counted once), and
because the writer does not track the largest file.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import RenderError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    """A host's limits on a published site, in bytes."""

    site_bytes: int
    file_bytes: int
    host: str = "GitHub Pages"


#: GitHub Pages' documented limits, in decimal units: the stricter reading of "1 GB" and "100 MB".
GITHUB_PAGES = Limits(site_bytes=1_000_000_000, file_bytes=100_000_000)


@dataclass(frozen=True)
class SiteSize:
    """What a site weighs: its files, their bytes, and its largest file (relative, POSIX)."""

    files: int
    bytes: int
    largest: str
    largest_bytes: int


def human(n: int) -> str:
    """A byte count the way the build's summary shows sizes (decimal units)."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.{2 if unit == 'GB' else 1}f} {unit}"
    return f"{n} bytes"


def measure(directory: Path) -> SiteSize:
    """Count the files and bytes under ``directory`` and find the largest file.

    Symbolic links are not followed (a site is plain files); among files of the same size the
    first in path order is named, so the answer is the same on every run.
    """
    files = total = largest_bytes = 0
    largest = ""
    for root, dirs, names in os.walk(directory):
        dirs.sort()
        for name in sorted(names):
            path = Path(root) / name
            size = path.lstat().st_size
            files += 1
            total += size
            if size > largest_bytes or not largest:
                largest, largest_bytes = path.relative_to(directory).as_posix(), size
    return SiteSize(files, total, largest, largest_bytes)


def problems(size: SiteSize, limits: Limits) -> list[str]:
    """What in ``size`` is over ``limits``, one phrase each; empty when the site fits."""
    found = []
    if size.largest_bytes > limits.file_bytes:
        found.append(f"{size.largest} is {human(size.largest_bytes)}, over the {limits.host} limit of "
                     f"{human(limits.file_bytes)} per file")
    if size.bytes > limits.site_bytes:
        found.append(f"the site is {human(size.bytes)} in {size.files} files, over the {limits.host} limit of "
                     f"{human(limits.site_bytes)} per site")
    return found


def check(directory: Path, enforce: bool = True, limits: Limits | None = None) -> SiteSize:
    """Measure the site in ``directory`` and, when ``enforce``, refuse one over ``limits``.

    Parameters
    ----------
    directory
        The site, usually the writer's staging directory just before it is published.
    enforce
        ``site.pages_limits``: when false, a site over the limits is only logged.
    limits
        The limits to check against; :data:`GITHUB_PAGES` (looked up at call time) by default.

    Returns
    -------
    SiteSize
        What the site weighs.

    Raises
    ------
    RenderError
        One line naming every limit passed and the way out, when ``enforce`` and the site is over.
    """
    limits = limits or GITHUB_PAGES
    size = measure(directory)
    log.info("site: %d files, %s; largest %s (%s)", size.files, human(size.bytes), size.largest or "none",
             human(size.largest_bytes))
    over = problems(size, limits)
    if over and enforce:
        raise RenderError(f"Not published: {'; '.join(over)}. Make the build smaller (fewer models or manga, "
                          f"a smaller --projection-size), or pass --no-pages-limits for a host without these "
                          f"limits; the previous site is untouched")
    if over:
        log.info("%s; published anyway, since site.pages_limits is off", "; ".join(over))
    return size


def checker(enforce: bool = True, limits: Limits | None = None) -> Callable[[Path], None]:
    """:func:`check` bound to its settings, for :attr:`SiteWriter.check <sitegen.site.render.SiteWriter.check>`."""

    def run(directory: Path) -> None:
        check(directory, enforce, limits)

    return run
