"""The command line: parse arguments into a config, run the build, report in one line; then, with
``--serve``, serve the site locally (``--serve-only`` serves the last build without building).

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
from .serve import SiteServer, check_site, open_server

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
    p.add_argument("--umap-models", default=",".join(ProjectionConfig.umap_models) or "all", metavar="NAMES",
                   help=_help(ProjectionConfig, "umap_models") + "; comma-separated, 'all' for every model")
    p.add_argument("--no-pages-limits", dest="pages_limits", action="store_false",
                   help="publish even over GitHub Pages' size limits (1 GB per site, 100 MB per file), for a "
                        "site hosted elsewhere (site.pages_limits off)")
    fetch = p.add_argument_group("MangaDex")
    fetch.add_argument("--fetch-only", action="store_true", help=_help(FetchConfig, "fetch_only"))
    fetch.add_argument("--api-url", default=FetchConfig.api_url, help=_help(FetchConfig, "api_url"))
    fetch.add_argument("--data-dir", type=Path, default=FetchConfig.data_dir, help=_help(FetchConfig, "data_dir"))
    fetch.add_argument("--refresh", default=FetchConfig.refresh, help=_help(FetchConfig, "refresh"))
    fetch.add_argument("--rate", type=float, default=FetchConfig.rate, help=_help(FetchConfig, "rate"))
    fetch.add_argument("--content-ratings", default=",".join(FetchConfig.content_ratings),
                       help=_help(FetchConfig, "content_ratings"))
    fetch.add_argument("--allow-shrink", action="store_true", help=_help(FetchConfig, "allow_shrink"))
    _serve_options(p)
    _model_options(p)
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging and tracebacks")
    return p


def _serve_options(p: argparse.ArgumentParser) -> None:
    """``--serve``, ``--serve-only``, ``--host`` and ``--port``: a local preview, as GitHub Pages serves."""
    group = p.add_argument_group("local preview", "serve the site as GitHub Pages would, until Ctrl-C")
    what = group.add_mutually_exclusive_group()
    what.add_argument("--serve", action="store_true", help="after the build, serve --out")
    what.add_argument("--serve-only", action="store_true", help="serve the site already in --out, without building")
    group.add_argument("--host", default="127.0.0.1", help="address to serve on (default 127.0.0.1: this machine only)")
    group.add_argument("--port", type=int, default=8000, help="port to serve on; 0 picks a free one (default 8000)")


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
        "projection.umap_models": () if args.umap_models.strip() == "all" else _names(args.umap_models),
        "site.out": args.out, "site.pages_limits": args.pages_limits,
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
    try:
        return _run(args)
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


def _run(args: argparse.Namespace) -> int:
    """Build (or only fetch), print the summary, then serve when asked."""
    serving = args.serve or args.serve_only
    if serving and args.fetch_only:
        raise ConfigError("--fetch-only builds no site to serve: drop --serve, or run the two one after the other")
    if args.serve_only:
        check_site(args.out)
    # Bound before the build, so a port in use is reported before minutes of work, not after.
    server = open_server(args.out, args.host, args.port) if serving else None
    try:
        if not args.serve_only:
            _build(args)
        if server is not None:
            _serve(server, check_site(args.out))
    finally:
        if server is not None:
            server.server_close()
    return 0


def _build(args: argparse.Namespace) -> None:
    from .build import build, fetch_snapshot  # heavy imports after argument errors are reported

    config = config_from_args(args)
    report = fetch_snapshot(config) if args.fetch_only and not (args.demo or args.catalogue) else build(config)
    print(report.summary(), flush=True)


def _serve(server: SiteServer, site: Path) -> None:
    """Print the address (one line), then serve until Ctrl-C."""
    print(f"Serving {site} at {server.url} (Ctrl-C stops)", flush=True)
    server.run()
