"""Benchmark: a full demo build at MangaDex scale, timed and measured per stage and model.

    python -m sitegen.bench [--size 110000] [--seed 42] [--models a,b] [--out DIR]

The synthetic catalogue is written first, as the gzipped JSON Lines file a real build reads its
MangaDex snapshot from, and the build starts from that file (so the catalogue stage is the
snapshot's loading, not the demo's invention). Prints wall seconds and peak resident memory for
every stage (catalogue, each model's fit and neighbours, evaluation, maps, render), the site's files
and bytes, and the totals against the targets for that size (the build's own wall time, which
also counts the work between the stages): up to 110,000 manga (MangaDex today)
the whole build within 5 minutes and 4 GiB and a site GitHub Pages takes (under 250 MB and 5,000
files); up to 1,000,000 manga within 60 minutes and 20 GiB, the site not for Pages. Then
``benchmarks/reader.py`` opens the site's Explore page in Chromium over a throttled link (10 Mbit/s,
40 ms) and prints what a reader waits for and downloads: first search results, each keystroke, each
pick (``--no-reader`` skips it, as it does where Chromium is missing).
It measures; it does not assert.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .build import build
from .config import BuildConfig, replace
from .site.budget import SiteSize, human, measure
from .sources import synthetic
from .sources.mangadex.snapshot import SNAPSHOT

MANGADEX_SIZE = 110_000
READER = Path(__file__).resolve().parents[1] / "benchmarks" / "reader.py"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


@dataclass(frozen=True)
class Target:
    """What a build of up to ``size`` manga must stay within on this 2-core machine."""

    size: int
    seconds: float
    memory: int
    site_bytes: int | None = None
    site_files: int | None = None


TARGETS = (Target(MANGADEX_SIZE, 300.0, 4 * 2**30, 250_000_000, 5_000), Target(1_000_000, 3600.0, 20 * 2**30))


def target_for(size: int) -> Target:
    """The target of the smallest class ``size`` fits in (the largest for bigger catalogues)."""
    return next((t for t in TARGETS if size <= t.size), TARGETS[-1])


def table(stages: dict[str, float], peaks: dict[str, int], site: SiteSize, target: Target,
          alongside: dict[str, float] | None = None, wall: float | None = None) -> list[str]:
    """Rows of the figures table, one per stage, then the work done alongside the stages (its
    seconds overlap theirs: not added), the site and the totals against ``target``.

    ``wall`` is the build's own wall time, which the targets judge: the stages' sum leaves out
    the work between them (each model's map inputs are made as its lists are found: 28 s at
    1,000,000 manga), shown as its own row. Without it the stages' sum stands for the build.
    """
    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    rows = [f"{'stage':<34} {'seconds':>9} {'peak MiB':>9}"]
    rows += [f"{name:<34} {secs:>9.1f} {peaks.get(name, 0) / 2**20:>9.0f}" for name, secs in stages.items()]
    rows += [f"  {name} {secs:.1f} s" for name, secs in (alongside or {}).items()]
    model_s = sum(v for k, v in stages.items() if k.startswith(("fit ", "neighbours ")))
    total = sum(stages.values()) if wall is None else wall
    peak = max(peaks.values(), default=0)
    if wall is not None:
        rows.append(f"{'between the stages':<34} {wall - sum(stages.values()):>9.1f}")
    rows.append(f"{'models: fit + neighbours':<34} {model_s:>9.1f}")
    rows.append(f"{'whole build':<34} {total:>9.1f} {peak / 2**20:>9.0f}  target <= {target.seconds:.0f} s: "
                f"{verdict(total <= target.seconds)}; <= {target.memory / 2**30:.0f} GiB: {verdict(peak <= target.memory)}")
    line = f"{'site':<34} {site.files:>6} files {site.bytes / 1e6:>9.1f} MB; largest {site.largest} ({human(site.largest_bytes)})"
    if target.site_bytes is not None and target.site_files is not None:
        line += (f"  target <= {target.site_bytes / 1e6:.0f} MB: {verdict(site.bytes <= target.site_bytes)}; "
                 f"<= {target.site_files} files: {verdict(site.files <= target.site_files)}")
    rows.append(line)
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m sitegen.bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=int, default=MANGADEX_SIZE, help="manga (default %(default)s)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--models", default="", help="comma-separated model names (default: all)")
    p.add_argument("--out", type=Path, default=None, help="keep the site here (default: a temp dir)")
    p.add_argument("--reader", action=argparse.BooleanOptionalAction, default=True,
                   help="measure the built site in Chromium with benchmarks/reader.py (default: on)")
    p.add_argument("--snapshot", type=Path, default=None,
                   help="a demo snapshot written before (by an earlier run with --keep-snapshot): skips writing "
                        "one, which takes about 14 minutes at 1,000,000 manga")
    p.add_argument("--keep-snapshot", type=Path, default=None, help="also keep the demo snapshot written, here")
    p.add_argument("--min-recall", type=float, default=None,
                   help="neighbours.min_recall: recall the partitioned search must reach, else exact (default 0.99)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    for noisy in ("gensim", "numba", "pynndescent"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    target = target_for(args.size)
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp) / "_site"
        snapshot = args.snapshot or demo_snapshot(args.size, args.seed, args.keep_snapshot or Path(tmp) / SNAPSHOT)
        config = replace(BuildConfig(seed=args.seed), **{
            "catalogue.source": "file",
            "catalogue.path": snapshot,
            "site.out": out,
            "site.pages_limits": target.site_bytes is not None,  # a site past MangaDex's size is not for Pages
            "models.names": tuple(x for x in args.models.split(",") if x),
            **({"neighbours.min_recall": args.min_recall} if args.min_recall is not None else {}),
        })
        report = build(config)
        site = measure(out)
        print(f"benchmark: {report.manga} synthetic manga, {len(report.models)} models, seed {args.seed}")
        print("\n".join(table(report.stages, report.peaks, site, target, report.alongside, report.seconds)))
        print(report.summary(), flush=True)
        if args.reader:
            reader(out)
    return 0


def demo_snapshot(size: int, seed: int, path: Path) -> Path:
    """The synthetic catalogue of ``size`` manga written where a build reads it, as the MangaDex
    snapshot is (gzipped JSON Lines), before the clock starts: a real build loads its snapshot, it
    does not invent one (generating 110,000 demo manga in Python takes about a minute)."""
    start = time.perf_counter()
    synthetic.write(synthetic.generate(size, seed), path)
    print(f"demo catalogue: {size} synthetic manga written as a snapshot file ({path.stat().st_size / 1e6:.1f} MB) "
          f"in {time.perf_counter() - start:.1f} s, before the build (not part of it)", flush=True)
    return path


def reader(site: Path) -> None:
    """Print benchmarks/reader.py's figures for ``site`` (its own process: it drives a browser)."""
    if not READER.is_file() or not Path(CHROMIUM).exists():
        print(f"reader: skipped (needs {READER.name} and Chromium at {CHROMIUM})")
        return
    done = subprocess.run([sys.executable, str(READER), str(site)], check=False)
    if done.returncode:
        print(f"reader: {READER.name} failed (exit {done.returncode}); the build's figures above stand")


if __name__ == "__main__":
    sys.exit(main())
