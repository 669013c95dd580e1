"""The build's configuration: frozen, typed, every field with a default and a help text.

:func:`validate` checks a whole :class:`BuildConfig` and reports every problem at once, each
naming its field (``Config value 'fetch.rate': expected > 0, got -1``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONTENT_RATINGS = ("safe", "suggestive", "erotica", "pornographic")


def _f(default: Any, help: str, **kw: Any) -> Any:
    """A dataclass field carrying its help text (shown by ``build.py --help``)."""
    if isinstance(default, (list, dict, set)):
        raise TypeError("use tuples for defaults: the config is frozen")
    return field(default=default, metadata={"help": help, **kw})


@dataclass(frozen=True)
class CatalogueConfig:
    """Where the manga come from."""

    source: str = _f("demo", "demo (synthetic, offline), file (--catalogue) or mangadex (the API)")
    path: Path | None = _f(None, "catalogue file (JSON Lines, optionally gzipped) for source=file")
    demo_size: int = _f(3000, "number of manga in the synthetic demo catalogue")


@dataclass(frozen=True)
class FetchConfig:
    """How the MangaDex API is crawled (source=mangadex)."""

    api_url: str = _f("https://api.mangadex.org", "base URL of the MangaDex API")
    data_dir: Path = _f(Path("data"), "where the snapshot and crawl checkpoints live")
    rate: float = _f(5.0, "most requests per second sent to the API")
    content_ratings: tuple[str, ...] = _f(
        ("safe", "suggestive", "erotica"), "content ratings to crawl (sent explicitly)"
    )
    feed_languages: tuple[str, ...] = _f(("en",), "languages whose chapters make the feed")
    feed_size: int = _f(200, "recently updated manga kept for the feed")
    refresh: str = _f("incremental", "incremental (only what changed) or full (re-crawl)")
    margin_hours: float = _f(6.0, "incremental refresh looks back this far before the last run")
    timeout: float = _f(30.0, "seconds before one request is given up and retried")
    max_retries: int = _f(6, "retries of one request (5xx, timeouts, bad JSON) before failing")
    backoff_cap: float = _f(60.0, "longest wait between retries, in seconds")
    stats_max_age_days: float = _f(
        7.0, "incremental refreshes re-fetch every manga's statistics once they are this old"
    )
    result_window: int = _f(10_000, "largest offset + limit the API answers (its result window)")
    fetch_only: bool = _f(False, "stop after refreshing the snapshot")


@dataclass(frozen=True)
class ModelConfig:
    """Which models are fitted and their hyperparameters."""

    names: tuple[str, ...] = _f((), "models to fit, by registry name; empty means all")
    lsi_rank: int = _f(24, "rank of the LSI truncated SVD")
    w2v_size: int = _f(16, "word2vec vector size (the write-up's 16)")
    w2v_epochs: int = _f(10, "word2vec training epochs")
    spectral_dims: int = _f(16, "eigenvectors of the normalized manga network kept by the spectral model")
    deconvolution_beta: float = _f(
        0.9, "network deconvolution scale: largest eigenvalue magnitude of the direct network, in (0, 1)"
    )
    itemset_min_support: float = _f(0.005, "smallest share of manga a tag itemset needs to become a word or rule")
    itemset_max_size: int = _f(3, "largest tag itemset mined (2 = pairs, 3 = pairs and triples)")
    itemset_max_terms: int = _f(128, "most itemsets added as words to the itemset models, most supported first")
    itemset_min_confidence: float = _f(0.5, "smallest confidence of an association rule written for the tag-rules page")
    itemset_max_rules: int = _f(500, "most association rules written for the tag-rules page, highest lift first")
    popularity_weights: tuple[float, ...] = _f(
        (0.0, 0.02, 0.05, 0.1, 0.2, 0.3), "weights of popularity tried when choosing the blend, each in [0, 1)"
    )
    popularity_weight: float | None = _f(None, "fixed popularity weight in [0, 1); unset = choose from popularity_weights")
    popularity_rating_share: float = _f(0.5, "share of the bayesian rating (vs log follows) in the popularity score")
    popularity_sample: int = _f(2000, "manga sampled when choosing the popularity weight")
    popularity_k: int = _f(20, "neighbours per manga when choosing the popularity weight (match neighbours.k)")
    popularity_max_coherence_loss: float = _f(
        0.05, "largest relative fall in tag coherence the chosen popularity weight may cause"
    )


@dataclass(frozen=True)
class NeighbourConfig:
    """How nearest neighbours are searched."""

    k: int = _f(20, "neighbours kept per manga and model")
    method: str = _f("auto", "exact, nndescent, or auto (exact up to exact_max manga)")
    exact_max: int = _f(200_000, "largest catalogue searched exactly when method=auto")


@dataclass(frozen=True)
class EvaluationConfig:
    """How the models' neighbour lists are compared with each other and with random picks."""

    permutations: int = _f(999, "random permutations / null draws behind each p-value")
    sample: int = _f(2000, "manga sampled for the p-values (the reported means use every manga)")


@dataclass(frozen=True)
class FeedConfig:
    """The feed page: recent updates, re-ranked in the browser by the reader's library."""

    size: int = _f(200, "feed items written: the catalogue's most recently updated manga for the demo and "
                        "catalogue-file sources, the top of the fetched MangaDex feed otherwise")


@dataclass(frozen=True)
class ProjectionConfig:
    """The embedding plots page: each model's 2-D map of the most followed manga."""

    size: int = _f(5000, "manga mapped: the first ones in catalogue order (the most followed); at most "
                         "10,000, since each model's map needs the sample's dense distance matrix")
    method: str = _f("umap", "umap (on each model's exact neighbour graph) or pca (of embedding_, fast)")
    n_neighbors: int = _f(15, "UMAP neighbourhood size, the manga itself included")
    min_dist: float = _f(0.1, "UMAP's smallest distance between mapped points, in [0, 1]")
    n_epochs: int = _f(200, "UMAP optimisation epochs (seeded UMAP runs on one core: time grows with this)")


@dataclass(frozen=True)
class SiteConfig:
    """What the site looks like on disk."""

    out: Path = _f(Path("_site"), "output directory (replaced atomically)")
    shard_size: int = _f(64, "manga per neighbour shard file")
    templates_dir: Path = _f(PROJECT_ROOT / "templates", "Jinja2 templates")
    static_dir: Path = _f(PROJECT_ROOT / "static", "CSS, JS and vendored browser libraries")
    content_dir: Path = _f(PROJECT_ROOT / "content", "Markdown pages")


@dataclass(frozen=True)
class BuildConfig:
    """Everything one build needs."""

    seed: int = _f(42, "random seed for the demo catalogue and every model")
    catalogue: CatalogueConfig = field(default_factory=CatalogueConfig)
    fetch: FetchConfig = field(default_factory=FetchConfig)
    models: ModelConfig = field(default_factory=ModelConfig)
    neighbours: NeighbourConfig = field(default_factory=NeighbourConfig)
    evaluation: EvaluationConfig = field(default_factory=EvaluationConfig)
    feed: FeedConfig = field(default_factory=FeedConfig)
    projection: ProjectionConfig = field(default_factory=ProjectionConfig)
    site: SiteConfig = field(default_factory=SiteConfig)


Check = Callable[[Any], str | None]


def _positive(v: Any) -> str | None:
    return None if v > 0 else f"expected > 0, got {v!r}"


def _one_of(*choices: str) -> Check:
    def check(v: Any) -> str | None:
        return None if v in choices else f"expected one of {', '.join(choices)}; got {v!r}"

    return check


def _subset_of(choices: tuple[str, ...]) -> Check:
    def check(v: Any) -> str | None:
        bad = [x for x in v if x not in choices]
        return None if not bad else f"unknown {', '.join(map(repr, bad))}; choose from {', '.join(choices)}"

    return check


def _nonempty(v: Any) -> str | None:
    return None if len(v) else "expected at least one value"


def _weight(v: Any) -> str | None:
    """A popularity weight lies in [0, 1): at 1 the model's own distance would vanish."""
    if isinstance(v, tuple):
        return None if all(_weight(w) is None for w in v) else f"expected weights in [0, 1), got {v!r}"
    return None if 0 <= v < 1 else f"expected a weight in [0, 1), got {v!r}"


def _in_unit(v: Any) -> str | None:
    return None if 0 <= v <= 1 else f"expected between 0 and 1, got {v!r}"


_CHECKS: dict[str, tuple[Check, ...]] = {
    "catalogue.source": (_one_of("demo", "file", "mangadex"),),
    "catalogue.demo_size": (lambda v: None if v >= 10 else f"expected >= 10, got {v!r}",),
    "fetch.rate": (_positive,),
    "fetch.content_ratings": (_nonempty, _subset_of(CONTENT_RATINGS)),
    "fetch.feed_languages": (_nonempty,),
    "fetch.feed_size": (_positive,),
    "fetch.refresh": (_one_of("incremental", "full"),),
    "fetch.margin_hours": (lambda v: None if v >= 0 else f"expected >= 0, got {v!r}",),
    "fetch.timeout": (_positive,),
    "fetch.max_retries": (lambda v: None if v >= 0 else f"expected >= 0, got {v!r}",),
    "fetch.backoff_cap": (_positive,),
    "fetch.stats_max_age_days": (lambda v: None if v >= 0 else f"expected >= 0, got {v!r}",),
    "fetch.result_window": (lambda v: None if v >= 100 else f"expected >= 100, got {v!r}",),
    "models.lsi_rank": (_positive,),
    "models.w2v_size": (_positive,),
    "models.w2v_epochs": (_positive,),
    "models.spectral_dims": (_positive,),
    "models.deconvolution_beta": (lambda v: None if 0 < v < 1 else f"expected between 0 and 1 (exclusive), got {v!r}",),
    "models.itemset_min_support": (_in_unit,),
    "models.itemset_max_size": (lambda v: None if v >= 2 else f"expected >= 2, got {v!r}",),
    "models.itemset_max_terms": (_positive,),
    "models.itemset_min_confidence": (_in_unit,),
    "models.itemset_max_rules": (_positive,),
    "models.popularity_weights": (_nonempty, _weight),
    "models.popularity_weight": (lambda v: None if v is None else _weight(v),),
    "models.popularity_rating_share": (_in_unit,),
    "models.popularity_sample": (_positive,),
    "models.popularity_k": (_positive,),
    "models.popularity_max_coherence_loss": (_in_unit,),
    "neighbours.k": (_positive,),
    "neighbours.method": (_one_of("auto", "exact", "nndescent"),),
    "neighbours.exact_max": (_positive,),
    "evaluation.permutations": (_positive,),
    "evaluation.sample": (lambda v: None if v >= 2 else f"expected >= 2, got {v!r}",),
    "site.shard_size": (_positive,),
    "projection.size": (lambda v: None if 10 <= v <= 10_000 else f"expected between 10 and 10000, got {v!r}",),
    "projection.method": (_one_of("umap", "pca"),),
    "projection.n_neighbors": (lambda v: None if v >= 2 else f"expected >= 2, got {v!r}",),
    "projection.min_dist": (_in_unit,),
    "projection.n_epochs": (_positive,),
    "feed.size": (_positive,),
}


def _get(config: BuildConfig, dotted: str) -> Any:
    value: Any = config
    for part in dotted.split("."):
        value = getattr(value, part)
    return value


def validate(config: BuildConfig, model_names: tuple[str, ...] = ()) -> BuildConfig:
    """Check every field; raise one :class:`ConfigError` listing all problems.

    Parameters
    ----------
    config
        The configuration to check.
    model_names
        Registered model names, to check ``models.names`` against.
    """
    problems = []
    for dotted, checks in _CHECKS.items():
        value = _get(config, dotted)
        for check in checks:
            message = check(value)
            if message:
                problems.append(f"Config value '{dotted}': {message}")
                break
    if model_names:
        message = _subset_of(model_names)(config.models.names)
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
