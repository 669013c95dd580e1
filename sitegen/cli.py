"""The command line: parse arguments into a config, run the build, report in one line.

This is the only place that prints and the only place that catches :class:`SitegenError`.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
from pathlib import Path
from typing import Any

from .config import (
    BuildConfig,
    CatalogueConfig,
    FetchConfig,
    ModelConfig,
    NeighbourConfig,
    ProjectionConfig,
    SiteConfig,
    replace,
)
from .errors import ConfigError, SitegenError
from .params import param_of, parse_value

log = logging.getLogger("sitegen")
NOISY = ("gensim", "numba", "pynndescent", "urllib3", "matplotlib", "markdown")


def _help(section: type, name: str) -> str:
    """The help a config field declares, with its default: the CLI never writes it again."""
    f = {f.name: f for f in dataclasses.fields(section)}[name]
    default = f.default if f.default is not dataclasses.MISSING else None
    if isinstance(default, tuple):
        default = ",".join(map(str, default))
    return f"{f.metadata['help']} (default {default})"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="build.py",
        description="Build the manga recommendation site. With no source flag, refresh the MangaDex "
        "snapshot and build from it.",
    )
    source = p.add_mutually_exclusive_group()
    source.add_argument("--demo", action="store_true", help="build from the synthetic demo catalogue (offline)")
    source.add_argument("--catalogue", type=Path, metavar="FILE", help=_help(CatalogueConfig, "path"))
    p.add_argument("--size", type=int, default=CatalogueConfig.demo_size, help=_help(CatalogueConfig, "demo_size"))
    p.add_argument("--seed", type=int, default=BuildConfig.seed, help=_help(BuildConfig, "seed"))
    p.add_argument("--out", type=Path, default=SiteConfig.out, help=_help(SiteConfig, "out"))
    p.add_argument("--models", default="", help=_help(ModelConfig, "names") + "; comma-separated")
    p.add_argument("-k", "--neighbours", type=int, default=NeighbourConfig.k, dest="k", help=_help(NeighbourConfig, "k"))
    p.add_argument("--search", default=NeighbourConfig.method, help=_help(NeighbourConfig, "method"))
    p.add_argument("--projection", default=ProjectionConfig.method, help=_help(ProjectionConfig, "method"))
    p.add_argument("--projection-size", type=int, default=ProjectionConfig.size, metavar="N",
                   help=_help(ProjectionConfig, "size"))
    fetch = p.add_argument_group("MangaDex")
    fetch.add_argument("--fetch-only", action="store_true", help=_help(FetchConfig, "fetch_only"))
    fetch.add_argument("--api-url", default=FetchConfig.api_url, help=_help(FetchConfig, "api_url"))
    fetch.add_argument("--data-dir", type=Path, default=FetchConfig.data_dir, help=_help(FetchConfig, "data_dir"))
    fetch.add_argument("--refresh", default=FetchConfig.refresh, help=_help(FetchConfig, "refresh"))
    fetch.add_argument("--rate", type=float, default=FetchConfig.rate, help=_help(FetchConfig, "rate"))
    fetch.add_argument("--content-ratings", default=",".join(FetchConfig.content_ratings),
                       help=_help(FetchConfig, "content_ratings"))
    fetch.add_argument("--allow-shrink", action="store_true", help=_help(FetchConfig, "allow_shrink"))
    _model_options(p)
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging and tracebacks")
    return p


def _model_options(p: argparse.ArgumentParser) -> None:
    """One option per model hyperparameter, ``--<model>.<param> VALUE``, from the declarations."""
    group = p.add_argument_group("model hyperparameters", "each model's own settings, as it declares them")
    for name, f in ((f.name, f) for f in dataclasses.fields(ModelConfig) if f.name != "names"):
        section = f.default_factory()  # type: ignore[misc]
        for pf in dataclasses.fields(section):
            param = param_of(pf)
            if param is None or not param.cli:
                continue
            shown = ",".join(map(str, param.default)) if isinstance(param.default, tuple) else param.default
            group.add_argument(f"--{name}.{pf.name}", dest=f"models.{name}.{pf.name}", metavar="VALUE",
                               default=argparse.SUPPRESS, help=f"{param.help} (default {shown})")


def _model_changes(args: argparse.Namespace) -> dict[str, Any]:
    """The ``models.<name>.<param>`` values given on the command line, parsed by their declarations."""
    changes, problems = {}, []
    for dotted, text in vars(args).items():
        if not dotted.startswith("models."):
            continue
        _, name, key = dotted.split(".")
        section = getattr(ModelConfig(), name)
        param = param_of({f.name: f for f in dataclasses.fields(section)}[key])
        try:
            changes[dotted] = parse_value(param, text)
        except ValueError as err:
            problems.append(f"Config value '{dotted}': {err}")
    if problems:
        raise ConfigError("; ".join(problems))
    return changes


def _names(text: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in text.split(",") if x.strip())


def config_from_args(args: argparse.Namespace) -> BuildConfig:
    """Map parsed arguments onto the frozen config (validated later, all errors at once)."""
    source = "demo" if args.demo else "file" if args.catalogue else "mangadex"
    return replace(BuildConfig(seed=args.seed), **{
        "catalogue.source": source, "catalogue.path": args.catalogue, "catalogue.demo_size": args.size,
        "fetch.api_url": args.api_url, "fetch.data_dir": args.data_dir, "fetch.rate": args.rate,
        "fetch.refresh": args.refresh, "fetch.content_ratings": _names(args.content_ratings),
        "fetch.fetch_only": args.fetch_only, "fetch.allow_shrink": args.allow_shrink,
        "models.names": _names(args.models),
        "neighbours.k": args.k, "neighbours.method": args.search,
        "projection.size": args.projection_size, "projection.method": args.projection,
        "site.out": args.out,
        **_model_changes(args),
    })


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
