"""The command line: parse arguments into a config, run the build, report in one line.

This is the only place that prints and the only place that catches :class:`SitegenError`.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from .config import (BuildConfig, CatalogueConfig, FetchConfig, ModelConfig, NeighbourConfig, ProjectionConfig,
                     SiteConfig)
from .errors import SitegenError

log = logging.getLogger("sitegen")
NOISY = ("gensim", "numba", "pynndescent", "urllib3", "matplotlib", "markdown")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="build.py",
        description="Build the manga recommendation site. With no source flag, refresh the MangaDex "
        "snapshot and build from it.",
    )
    source = p.add_mutually_exclusive_group()
    source.add_argument("--demo", action="store_true", help="build from the synthetic demo catalogue (offline)")
    source.add_argument("--catalogue", type=Path, metavar="FILE", help="build from a catalogue file (JSON Lines, .gz ok)")
    p.add_argument("--size", type=int, default=CatalogueConfig.demo_size, help="manga in the demo catalogue (default %(default)s)")
    p.add_argument("--seed", type=int, default=BuildConfig.seed, help="random seed (default %(default)s)")
    p.add_argument("--out", type=Path, default=SiteConfig.out, help="output directory (default %(default)s)")
    p.add_argument("--models", default="", help="comma-separated model names (default: all)")
    p.add_argument("-k", "--neighbours", type=int, default=NeighbourConfig.k, dest="k", help="neighbours per manga (default %(default)s)")
    p.add_argument("--search", choices=("auto", "exact", "nndescent"), default=NeighbourConfig.method, help="neighbour search (default %(default)s)")
    p.add_argument("--projection", choices=("umap", "pca"), default=ProjectionConfig.method,
                   help="how the maps page lays out each model (default %(default)s; pca is fast)")
    p.add_argument("--projection-size", type=int, default=ProjectionConfig.size, metavar="N",
                   help="most followed manga on the maps page, at most 10000 (default %(default)s)")
    fetch = p.add_argument_group("MangaDex")
    fetch.add_argument("--fetch-only", action="store_true", help="refresh the snapshot, do not build")
    fetch.add_argument("--api-url", default=FetchConfig.api_url, help="API base URL (default %(default)s)")
    fetch.add_argument("--data-dir", type=Path, default=FetchConfig.data_dir, help="snapshot directory (default %(default)s)")
    fetch.add_argument("--refresh", choices=("incremental", "full"), default=FetchConfig.refresh, help="snapshot refresh (default %(default)s)")
    fetch.add_argument("--rate", type=float, default=FetchConfig.rate, help="most requests per second (default %(default)s)")
    fetch.add_argument("--content-ratings", default=",".join(FetchConfig.content_ratings), help="ratings to crawl (default %(default)s)")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging and tracebacks")
    return p


def config_from_args(args: argparse.Namespace) -> BuildConfig:
    """Map parsed arguments onto the frozen config (validated later, all errors at once)."""
    source = "demo" if args.demo else "file" if args.catalogue else "mangadex"
    return BuildConfig(
        seed=args.seed,
        catalogue=CatalogueConfig(source=source, path=args.catalogue, demo_size=args.size),
        fetch=FetchConfig(
            api_url=args.api_url, data_dir=args.data_dir, rate=args.rate, refresh=args.refresh,
            content_ratings=tuple(x.strip() for x in args.content_ratings.split(",") if x.strip()),
            fetch_only=args.fetch_only,
        ),
        models=ModelConfig(names=tuple(x.strip() for x in args.models.split(",") if x.strip()),
                           popularity_k=args.k),  # the popularity weight is chosen for the lists shown
        neighbours=NeighbourConfig(k=args.k, method=args.search),
        projection=ProjectionConfig(size=args.projection_size, method=args.projection),
        site=SiteConfig(out=args.out),
    )


def setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s" if verbose else "%(message)s",
        stream=sys.stderr,
    )
    for name in NOISY:
        logging.getLogger(name).setLevel(logging.INFO if verbose else logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = parser().parse_args(argv)
    setup_logging(args.verbose)
    from .build import build, fetch_snapshot  # heavy imports after argument errors are reported

    try:
        config = config_from_args(args)
        report = fetch_snapshot(config) if args.fetch_only and not (args.demo or args.catalogue) else build(config)
    except SitegenError as err:
        if args.verbose:
            log.exception("build failed")
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("interrupted: the previous site and snapshot are untouched", file=sys.stderr)
        return 130
    except Exception as err:  # an unforeseen failure: one line unless -v
        if args.verbose:
            raise
        print(f"internal error: {type(err).__name__}: {err} (run again with -v for the traceback)", file=sys.stderr)
        return 1
    print(report.summary())
    return 0
