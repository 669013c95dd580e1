"""Benchmark: a full demo build at MangaDex scale, timed and measured per stage and model.

    python -m sitegen.bench [--size 64464] [--seed 42] [--models a,b] [--out DIR]

Prints wall seconds and peak resident memory for every stage (catalogue, each model's fit and
neighbours, evaluation, render) and the totals, against the targets: every model fitted with its
neighbours within 5 minutes in all, and 3 GiB peak. It measures; it does not assert.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

from .build import build
from .config import BuildConfig, replace
from .sources.vocabulary import SNAPSHOT_SIZE_2022

MODEL_BUDGET_S = 300.0
MEMORY_BUDGET = 3 * 2**30


def table(stages: dict[str, float], peaks: dict[str, int]) -> list[str]:
    """Rows of the figures table, one per stage, then totals."""
    rows = [f"{'stage':<34} {'seconds':>9} {'peak MiB':>9}"]
    rows += [f"{name:<34} {secs:>9.1f} {peaks.get(name, 0) / 2**20:>9.0f}" for name, secs in stages.items()]
    modelling = {k: v for k, v in stages.items() if k.startswith(("fit ", "neighbours "))}
    model_s = sum(modelling.values())
    peak = max(peaks.values(), default=0)
    rows.append(f"{'models: fit + neighbours':<34} {model_s:>9.1f} {'':>9}  target <= {MODEL_BUDGET_S:.0f} s: "
                f"{'met' if model_s <= MODEL_BUDGET_S else 'MISSED'}")
    rows.append(f"{'whole build':<34} {sum(stages.values()):>9.1f} {peak / 2**20:>9.0f}  target <= "
                f"{MEMORY_BUDGET / 2**20:.0f} MiB: {'met' if peak <= MEMORY_BUDGET else 'MISSED'}")
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m sitegen.bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=int, default=SNAPSHOT_SIZE_2022, help="manga (default %(default)s)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--models", default="", help="comma-separated model names (default: all)")
    p.add_argument("--out", type=Path, default=None, help="keep the site here (default: a temp dir)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    for noisy in ("gensim", "numba", "pynndescent"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        config = replace(BuildConfig(seed=args.seed), **{
            "catalogue.demo_size": args.size,
            "site.out": args.out or Path(tmp) / "_site",
            "models.names": tuple(x for x in args.models.split(",") if x),
        })
        report = build(config)
    print(f"benchmark: {report.manga} synthetic manga, {len(report.models)} models, seed {args.seed}")
    print("\n".join(table(report.stages, report.peaks)))
    print(report.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
