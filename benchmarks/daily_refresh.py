"""What the daily GitHub Pages run spends on MangaDex: a refresh of a large snapshot after a day of changes.

    python benchmarks/daily_refresh.py [--size 110000] [--changes 1000,5000] [--rate 4]

MangaDex cannot be reached from here, so the refreshes run against the test suite's fake API
(``tests/support/fakedex.py``), which speaks MangaDex's shapes, at full local speed. A first, full
refresh makes the snapshot (what a fork's first run does); then, for each number of changed manga,
that many are edited "today" and an incremental refresh fetches them (an ordinary day; run seconds
apart, so without the usual look-back margin), and once more with every manga's statistics due
(the weekly sweep, ``fetch.stats_max_age_days``). For each run it prints the requests sent, the
seconds spent here, and the wall time projected at MangaDex's rate (``fetch.rate``, 4 requests a
second by default): requests / rate + the local seconds, an upper bound, since local work
overlaps the waits. It measures; it does not assert.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the fake API lives with the tests

from sitegen.sources.mangadex import refresh  # noqa: E402
from support.fakedex import FakeDex, fetch_config, make_catalogue  # noqa: E402


def run(dex: FakeDex, data_dir: Path, rate: float, **settings: object) -> str:
    """One refresh against ``dex``: its report, as a row of the table."""
    start = time.perf_counter()
    report = refresh(fetch_config(dex, data_dir, **settings), progress=False)
    local = time.perf_counter() - start
    projected = report.requests / rate + local
    return (f"{report.mode:<12} {report.new + report.updated:>8} {report.requests:>9} {local:>9.1f} "
            f"{projected:>12.0f}  ({projected / 60:.1f} min)")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python benchmarks/daily_refresh.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=int, default=110_000, help="manga in the snapshot (default %(default)s)")
    p.add_argument("--changes", default="1000,5000", help="manga changed in a day, comma-separated")
    p.add_argument("--rate", type=float, default=4.0, help="MangaDex requests per second (default %(default)s)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr)
    manga = make_catalogue(args.size, seed=5, porn=0.0)
    print(f"refreshes of a {args.size:,}-manga snapshot against the fake API; projected at {args.rate:g} requests/s")
    print(f"{'run':<12} {'fetched':>8} {'requests':>9} {'local s':>9} {'projected s':>12}")
    with FakeDex(manga, max_requests=10**9) as dex, tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        print(run(dex, data_dir, args.rate) + "  first run: the whole catalogue")
        for changes in (int(c) for c in args.changes.split(",") if c):
            # The fake's clock is the real one, so the runs here are seconds apart, not a day: with
            # no look-back margin each incremental run sees only the edits made since the last.
            day = {"margin_hours": 0.0}
            time.sleep(1.1)
            dex.touch([m.id for m in manga[-changes:]], int(time.time()))
            print(run(dex, data_dir, args.rate, **day) + f"  a day with {changes:,} changed manga")
            time.sleep(1.1)
            dex.touch([m.id for m in manga[:changes]], int(time.time()))
            print(run(dex, data_dir, args.rate, stats_max_age_days=0.0, **day) +
                  "  the same, on the weekly statistics sweep")
    return 0


if __name__ == "__main__":
    sys.exit(main())
