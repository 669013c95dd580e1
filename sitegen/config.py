"""The build's configuration: frozen, typed, every field declared once with its default, check and help.

Every field is a :class:`~sitegen.params.Param` (default, constraint, help); the command line's
help and :func:`validate` come from those declarations. The ``models`` section is derived from
the models' own declarations: ``config.models.lsi.rank`` is :class:`~sitegen.models.lsi.LSI`'s
``rank``, so adding a model adds its section. :func:`validate` checks a whole
:class:`BuildConfig` and reports every problem at once, each naming its field
(``Config value 'fetch.rate': expected > 0, got -1``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, make_dataclass
from pathlib import Path
from typing import Any

from .analysis.itemsets import MAX_RULES, MAX_SIZE, MIN_CONFIDENCE, MIN_SUPPORT
from .errors import ConfigError
from .models import REGISTRY
from .params import Param, at_least, between, nonempty, one_of, param_of, positive, subset_of
from .sources.catalogue import CONTENT_RATINGS, DEFAULT_CONTENT_RATINGS

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _f(default: Any, help: str, check: Any = None, **kw: Any) -> Any:
    """A dataclass field declared by a :class:`Param` (shown by ``build.py --help``, checked by
    :func:`validate`)."""
    return Param(default, help, check, **kw).field()


@dataclass(frozen=True)
class CatalogueConfig:
    """Where the manga come from."""

    source: str = _f("demo", "demo (synthetic, offline), file (--catalogue) or mangadex (the API)",
                      one_of("demo", "file", "mangadex"))
    path: Path | None = _f(None, "catalogue file (JSON Lines, optionally gzipped) for source=file")
    demo_size: int = _f(3000, "number of manga in the synthetic demo catalogue", at_least(10))


@dataclass(frozen=True)
class FetchConfig:
    """How the MangaDex API is crawled (source=mangadex)."""

    api_url: str = _f("https://api.mangadex.org", "base URL of the MangaDex API")
    data_dir: Path = _f(Path("data"), "where the snapshot and crawl checkpoints live")
    # 4/s, not MangaDex's 5: requests arrive after varying network delays, and starts spaced
    # exactly 1/5 s apart land six in one second often enough to be banned for it.
    rate: float = _f(4.0, "most requests per second sent to the API (MangaDex allows 5; slowed after a 429)",
                     positive)
    content_ratings: tuple[str, ...] = _f(
        DEFAULT_CONTENT_RATINGS, "content ratings to crawl (sent explicitly)", subset_of(CONTENT_RATINGS, nonempty=True)
    )
    feed_languages: tuple[str, ...] = _f(("en",), "languages whose chapters make the feed", nonempty)
    feed_size: int = _f(200, "recently updated manga kept for the feed", positive)
    refresh: str = _f("incremental", "incremental (only what changed) or full (re-crawl)", one_of("incremental", "full"))
    margin_hours: float = _f(6.0, "incremental refresh looks back this far before the last run", at_least(0))
    timeout: float = _f(30.0, "seconds before one request is given up and retried", positive)
    max_retries: int = _f(6, "retries of one request (5xx, timeouts, bad JSON) before failing", at_least(0))
    backoff_cap: float = _f(60.0, "longest wait between retries, in seconds", positive)
    stats_max_age_days: float = _f(
        7.0, "incremental refreshes re-fetch every manga's statistics once they are this old", at_least(0)
    )
    result_window: int = _f(10_000, "largest offset + limit the API answers (its result window)", at_least(100))
    fetch_only: bool = _f(False, "stop after refreshing the snapshot")
    allow_shrink: bool = _f(
        False, "let a full refresh replace the snapshot with a listing that loses over a tenth of it, or is empty"
    )


def _model_section(cls: type) -> type:
    """A frozen dataclass of one model's declared hyperparameters: ``config.models.<name>``."""
    fields = [(key, param.kind or Any, param.field()) for key, param in cls.params.items()]
    section = make_dataclass(f"{cls.__name__}Params", fields, frozen=True)
    section.__doc__ = f"Hyperparameters of {cls.label} ({cls.name}), as the model declares them."
    return section


#: Which models are fitted, and each one's hyperparameters, derived from the registry.
ModelConfig = make_dataclass(
    "ModelConfig",
    [("names", tuple[str, ...], _f((), "models to fit, by registry name; empty means all"))]
    + [(name, _model_section(cls), field(default_factory=_model_section(cls))) for name, cls in REGISTRY.items()],
    frozen=True,
)
ModelConfig.__doc__ = "Which models are fitted (``names``) and each model's hyperparameters (``<name>.<param>``)."


@dataclass(frozen=True)
class RulesConfig:
    """The frequent tag itemsets and association rules shown on the tags page."""

    min_support: float = MIN_SUPPORT.field()
    max_size: int = MAX_SIZE.field()
    min_confidence: float = MIN_CONFIDENCE.field()
    max_rules: int = MAX_RULES.field()


@dataclass(frozen=True)
class NeighbourConfig:
    """How nearest neighbours are searched."""

    k: int = _f(20, "neighbours shown and evaluated per manga and model", positive)
    spare: int = _f(10, "neighbours stored beyond k, so that lists stay full after the reader's filters leave out "
                        "a manga's own series and guarded titles", at_least(0))
    method: str = _f("auto", "exact, partitioned, nndescent, or auto (exact up to exact_max manga, then partitioned)",
                      one_of("auto", "exact", "partitioned", "nndescent"))
    exact_max: int = _f(200_000, "largest catalogue searched exactly when method=auto", positive)
    sparse_exact_max: int = _f(2_000_000, "largest catalogue searched exactly when method=auto by the models with "
                                          "sparse keys (the network models, LSI, word2vec, their itemset variants, "
                                          "spectral), whose exact search costs a few multiply-adds a pair (at 1,000,000 "
                                          "manga the network models' beats the partitioned search, which they fail or "
                                          "barely pass)",
                               positive)
    candidates: float = _f(0.02, "share of the catalogue the partitioned search first tries as each manga's candidates",
                           between(0, 1, open_low=True))
    min_recall: float = _f(0.99, "recall against exact lists the partitioned search must reach on a sample, "
                                 "else the model is searched exactly", between(0, 1))
    sample: int = _f(500, "manga sampled to choose and to measure the partitioned search's recall", positive)


@dataclass(frozen=True)
class EvaluationConfig:
    """How the models' neighbour lists are compared with each other and with random picks."""

    permutations: int = _f(1999, "random permutations / null draws behind each p-value (1999: p can go below 0.001)",
                            positive)
    min_coverage: float = _f(0.5, "a model recommending less of the catalogue than this is off by default (hubs)",
                             between(0, 1))
    max_gini: float = _f(0.8, "a model whose recommendations are more concentrated than this Gini is off by default",
                         between(0, 1))
    coherence_floor: float = _f(0.85, "the default list's model keeps at least this share of LSI's tag coherence",
                                between(0, 1))
    sample: int = _f(2000, "manga sampled for the p-values (the reported means use every manga)", at_least(2))


@dataclass(frozen=True)
class FeedConfig:
    """The feed page: recent updates, re-ranked in the browser by the reader's library."""

    size: int = _f(200, "feed items written: the catalogue's most recently updated manga for the demo and "
                        "catalogue-file sources, the top of the fetched MangaDex feed otherwise", positive)


@dataclass(frozen=True)
class ProjectionConfig:
    """The Maps page: each model's 2-D maps of every manga (PCA, and UMAP over its neighbour graph)."""

    size: int = _f(0, "manga mapped: the first ones in catalogue order (the most followed); 0 maps every manga",
                  at_least(0))
    method: str = _f("umap", "umap (UMAP over each model's neighbour lists, started from its PCA map, plus the PCA "
                             "map) or pca (the PCA maps only: fast)", one_of("umap", "pca"))
    umap_models: tuple[str, ...] = _f((), "models also laid out by UMAP (each about 5 s at 110,000 manga on one "
                                          "core, one a core at once); empty, the default, means every model; every "
                                          "model gets a PCA map too",
                                      subset_of(tuple(REGISTRY)))
    n_neighbors: int = _f(15, "UMAP neighbourhood size, the manga itself included (at most neighbours.k + 1)",
                          at_least(2))
    min_dist: float = _f(0.1, "UMAP's smallest distance between mapped points, in [0, 1]", between(0, 1))
    n_epochs: int = _f(0, "UMAP optimisation epochs; 0, the default, chooses by the map's distinct points: 100 up "
                          "to 10,000, 60 up to 200,000, 40 above (a seeded UMAP runs on one core and its time "
                          "grows with points x epochs; umap-learn too takes fewer for large data, and the PCA "
                          "start needs fewer than its 200)", at_least(0))


@dataclass(frozen=True)
class SiteConfig:
    """What the site looks like on disk."""

    out: Path = _f(Path("_site"), "output directory (replaced atomically)")
    shard_size: int = _f(32, "manga per pick shard (what one pick in Explore fetches: headers, descriptions, "
                             "relations and the default model's lists, and the titles those name)", positive)
    compare_size: int = _f(1536, "manga per file of one model's lists (what Compare fetches per model shown)",
                           positive)
    id_buckets: int = _f(128, "files the MangaDex id -> catalogue index lookup is cut into", between(1, 65536))
    templates_dir: Path = _f(PROJECT_ROOT / "templates", "Jinja2 templates")
    static_dir: Path = _f(PROJECT_ROOT / "static", "CSS, JS and vendored browser libraries")
    content_dir: Path = _f(PROJECT_ROOT / "content", "Markdown pages")
    extra_dir: Path = _f(PROJECT_ROOT / "extra", "files copied into every build as they are (CNAME, robots.txt), "
                                                 "all but its README.md; none when the folder is missing")
    pages_limits: bool = _f(True, "refuse to publish a site over GitHub Pages' limits (1 GB per site, 100 MB per "
                                  "file), keeping the previous one; turn off for a host without them")


@dataclass(frozen=True)
class BuildConfig:
    """Everything one build needs."""

    seed: int = _f(42, "random seed for the demo catalogue and every model", at_least(0))
    catalogue: CatalogueConfig = field(default_factory=CatalogueConfig)
    fetch: FetchConfig = field(default_factory=FetchConfig)
    models: ModelConfig = field(default_factory=ModelConfig)
    rules: RulesConfig = field(default_factory=RulesConfig)
    neighbours: NeighbourConfig = field(default_factory=NeighbourConfig)
    evaluation: EvaluationConfig = field(default_factory=EvaluationConfig)
    feed: FeedConfig = field(default_factory=FeedConfig)
    projection: ProjectionConfig = field(default_factory=ProjectionConfig)
    site: SiteConfig = field(default_factory=SiteConfig)

    def get(self, dotted: str) -> Any:
        """The value of a dotted field: ``config.get("neighbours.k")``."""
        value: Any = self
        for part in dotted.split("."):
            value = getattr(value, part)
        return value


def declared_fields(section: Any, prefix: str = "") -> list[tuple[str, Param, Any]]:
    """Every declared field of a config instance and its sections, depth first:
    ``(dotted name, its Param, its value)``."""
    out = []
    for f in dataclasses.fields(section):
        value = getattr(section, f.name)
        param = param_of(f)
        if param is not None:
            out.append((prefix + f.name, param, value))
        elif dataclasses.is_dataclass(value):
            out += declared_fields(value, prefix + f.name + ".")
    return out


def validate(config: BuildConfig) -> BuildConfig:
    """Check every field; raise one :class:`ConfigError` listing all problems."""
    problems = [f"Config value '{name}': {problem}" for name, param, value in declared_fields(config)
                if (problem := param.problem(value))]
    message = subset_of(tuple(REGISTRY))(config.models.names)
    if message:
        problems.append(f"Config value 'models.names': {message}")
    if config.catalogue.source == "file" and config.catalogue.path is None:
        problems.append("Config value 'catalogue.path': required when the source is a file")
    if config.fetch.fetch_only and config.catalogue.source != "mangadex":
        problems.append("Config value 'fetch.fetch_only': refreshes the MangaDex snapshot, so it cannot "
                        "go with --demo or --catalogue")
    if problems:
        raise ConfigError("; ".join(problems))
    return config


def replace(config: Any, **changes: Any) -> Any:
    """``dataclasses.replace`` that accepts dotted keys: ``replace(c, **{"site.out": p})``."""
    nested: dict[str, dict[str, Any]] = {}
    flat: dict[str, Any] = {}
    for key, value in changes.items():
        head, _, rest = key.partition(".")
        if rest:
            nested.setdefault(head, {})[rest] = value
        else:
            flat[key] = value
    for head, sub in nested.items():
        flat[head] = replace(getattr(config, head), **sub)
    return dataclasses.replace(config, **flat)
