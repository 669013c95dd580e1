"""One build, top to bottom: catalogue -> models -> neighbours -> evaluation -> site."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

from . import __version__
from .sources import synthetic
from .sources.catalogue import Catalogue, LoadReport, build_catalogue, load_catalogue, parse_lines
from .config import BuildConfig, validate
from .sources.mangadex import FetchReport, refresh
from .models import REGISTRY, Model
from .analysis.neighbours import Neighbours, search
from .site.render import SiteWriter, read_pages
from .analysis.evaluation import Evaluation, evaluate
from .analysis.itemsets import rules_json
from .errors import FetchError
from .site.feed import catalogue_feed, snapshot_feed
from .sources.mangadex import feed_path, load_feed
from .models.lsi import LSI
from .analysis.projections import project_models, projections_json
from .site.data import ModelInfo, catalogue_index, model_details, shards, tag_statistics

log = logging.getLogger(__name__)

#: Pages rendered from a template of their own: (file, template, menu label), in menu order.
#: Markdown pages of ``content/`` follow them in the menu.
TEMPLATE_PAGES: tuple[tuple[str, str, str], ...] = (
    ("index.html", "explore.html", "Explore"),
    ("plots.html", "plots.html", "Maps"),
    ("feed.html", "feed.html", "Feed"),
)


def resident_bytes() -> int:
    """The process's resident memory now (Linux), or 0 where /proc is not there."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


@dataclass
class Timings:
    """Wall seconds and peak resident memory per stage, in the order the stages ran.

    Peak memory is sampled every 20 ms by a background thread while a stage runs.
    """

    stages: dict[str, float] = field(default_factory=dict)
    peaks: dict[str, int] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        log.info("%s ...", name)
        peak = [resident_bytes()]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.02):
                peak[0] = max(peak[0], resident_bytes())

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            yield
        finally:
            done.set()
            sampler.join()
        self.stages[name] = time.perf_counter() - start
        self.peaks[name] = max(peak[0], resident_bytes())
        log.info("%s done in %.1f s", name, self.stages[name])


@dataclass(frozen=True)
class BuildReport:
    """What a build did: counts, where the site went, and how long each stage took."""

    manga: int
    skipped: dict[str, int]
    models: tuple[str, ...]
    files: int
    bytes: int
    out: str
    seconds: float
    stages: dict[str, float]
    peaks: dict[str, int]
    synthetic: bool

    def summary(self) -> str:
        """One line for the end of the build."""
        skipped = sum(self.skipped.values())
        detail = f" ({', '.join(f'{v} {k}' for k, v in self.skipped.items())})" if skipped else ""
        kind = "synthetic demo " if self.synthetic else ""
        return (
            f"Built {self.out}: {self.manga} {kind}manga loaded, {skipped} skipped{detail}; "
            f"{len(self.models)} models ({', '.join(self.models)}); {self.files} files "
            f"({self.bytes / 1e6:.1f} MB) in {self.seconds:.1f} s"
        )


def load_source(config: BuildConfig) -> tuple[Catalogue, LoadReport]:
    """The catalogue the config names: the synthetic demo, a file, or the MangaDex snapshot."""
    source = config.catalogue.source
    if source == "demo":
        records = synthetic.generate(config.catalogue.demo_size, config.seed)
        manga, vocabulary, _, report = parse_lines(synthetic.lines(records))
        catalogue = build_catalogue(manga, vocabulary, synthetic=True, source="synthetic demo")
        return catalogue, report
    if source == "file":
        assert config.catalogue.path is not None
        return load_catalogue(config.catalogue.path)
    return _load_snapshot(config)


def fetch_snapshot(config: BuildConfig) -> FetchReport:
    """Refresh the local MangaDex snapshot (``--fetch-only`` stops here)."""
    validate(config, tuple(REGISTRY))
    fetched = refresh(config.fetch, progress=sys.stderr.isatty())
    log.info("%s", fetched.summary())
    return fetched


def _load_snapshot(config: BuildConfig) -> tuple[Catalogue, LoadReport]:
    return load_catalogue(fetch_snapshot(config).snapshot)


def fit_models(catalogue: Catalogue, config: BuildConfig, timings: Timings) -> list[Model]:
    """Fit every configured model, in registry order."""
    names = config.models.names or tuple(REGISTRY)
    fitted = []
    for name in names:
        with timings.stage(f"fit {name}"):
            fitted.append(REGISTRY[name].from_config(config.models, config.seed).fit(catalogue))
    return fitted


def find_neighbours(models: list[Model], catalogue: Catalogue, config: BuildConfig, timings: Timings) -> list[Neighbours]:
    """Top-k neighbours of every manga under every model.

    For models whose rows depend on the tag set alone, manga with the same tags share one
    computed row (a third of the catalogue has a twin).
    """
    found = []
    nb = config.neighbours
    for model in models:
        with timings.stage(f"neighbours {model.name}"):
            found.append(search(model, len(catalogue), nb.k, method=nb.method, exact_max=nb.exact_max,
                                seed=config.seed, groups=catalogue.tag_groups if model.rows_by_tag_set else None))
    return found


def evaluate_models(catalogue: Catalogue, neighbours: list[Neighbours], config: BuildConfig) -> Evaluation:
    """Compare the models' lists with each other and with random recommendations."""
    ev = config.evaluation
    result = evaluate(catalogue, {nb.model: nb for nb in neighbours}, k=config.neighbours.k, seed=config.seed,
                      permutations=ev.permutations, sample=ev.sample)
    log.info("%s", result.summary())
    return result


def tag_rules(catalogue: Catalogue, config: BuildConfig) -> dict:
    """Frequent tag itemsets and association rules, for the tags page."""
    m = config.models
    return rules_json(catalogue, min_support=m.itemset_min_support, max_size=m.itemset_max_size,
                      min_confidence=m.itemset_min_confidence, max_rules=m.itemset_max_rules)


def feed_data(catalogue: Catalogue, models: list[Model], config: BuildConfig) -> dict:
    """The feed page's data (:mod:`sitegen.site.feed`): the fetched MangaDex feed when there is one,
    else the catalogue's latest updates, with LSI's fold-in for the browser."""
    lsi = next((m for m in models if isinstance(m, LSI) and m.name == LSI.name), None)
    if lsi is None:  # the page needs LSI's fold-in even when the build does not list LSI
        lsi = LSI.from_config(config.models, config.seed).fit(catalogue)
    if config.catalogue.source == "mangadex":
        path = feed_path(config.fetch)
        try:
            return snapshot_feed(catalogue, lsi, load_feed(path), config.feed.size)
        except FetchError as err:  # the catalogue is fine: a missing feed should not sink the build
            log.warning("%s; the feed page shows the catalogue's latest updates instead", err)
    return catalogue_feed(catalogue, lsi, config.feed.size)


def render_site(config: BuildConfig, catalogue: Catalogue, models: list[Model], neighbours: list[Neighbours],
                evaluation: Evaluation, rules: dict, feed: dict | None = None,
                projections: dict | None = None) -> SiteWriter:
    """Write every page and data file, then publish the site atomically."""
    site = config.site
    infos = [ModelInfo(m.name, m.label, m.summary, m.metric, nb.method) for m, nb in zip(models, neighbours)]
    data = {
        "evaluation": evaluation.to_json(),
        "models": model_details(models, infos),
        "tags": tag_statistics(catalogue, rules),
        "catalogue": {"manga": len(catalogue), "synthetic": catalogue.synthetic, "source": catalogue.source},
    }
    pages = read_pages(site.content_dir, data)
    context = {
        "synthetic": catalogue.synthetic,
        "n_manga": len(catalogue),
        "models": infos,
        "nav": [(f, label) for f, _, label in TEMPLATE_PAGES] + [(p.slug + ".html", p.title) for p in pages],
        "version": __version__,
    }
    with SiteWriter(site.out, site.templates_dir) as writer:
        writer.write_json("data/catalogue.json", catalogue_index(catalogue, infos, site.shard_size, config.neighbours.k))
        for number, shard in shards(catalogue, neighbours, site.shard_size):
            writer.write_json(f"data/shards/{number:04d}.json", shard)
        writer.write_json("data/evaluation.json", data["evaluation"])
        writer.write_json("data/models.json", data["models"])
        writer.write_json("data/tag-rules.json", rules)
        if feed is not None:
            writer.write_json("data/feed.json", feed)
        if projections is not None:
            writer.write_json("data/projections.json", projections)
        for filename, template, _ in TEMPLATE_PAGES:
            writer.render(filename, template, page=filename, **context)
        for page in pages:
            writer.render(f"{page.slug}.html", "page.html", page=f"{page.slug}.html", content=page, **context)
        writer.copy_tree(site.static_dir, "static")
        writer.write_text(".nojekyll", "")
        writer.commit({"generator": f"sitegen {__version__}", "manga": len(catalogue),
                       "models": [m.name for m in models]})
    return writer


def build(config: BuildConfig) -> BuildReport:
    """Build the whole site as ``config`` says; returns what was done."""
    validate(config, tuple(REGISTRY))
    start = time.perf_counter()
    timings = Timings()
    with timings.stage("catalogue"):
        catalogue, loaded = load_source(config)
    log.info("catalogue: %d manga, %d tags (%s)", len(catalogue), len(catalogue.tags), catalogue.source)
    models = fit_models(catalogue, config, timings)
    neighbours = find_neighbours(models, catalogue, config, timings)
    with timings.stage("projections"):
        maps = project_models(models, len(catalogue), config.projection, config.seed, groups=catalogue.tag_groups)
        projections = projections_json(maps, len(catalogue), config.projection, config.seed)
    with timings.stage("evaluation"):
        evaluation = evaluate_models(catalogue, neighbours, config)
    with timings.stage("feed"):
        feed = feed_data(catalogue, models, config)
    log.info("feed: %d items (source: %s), %d skipped", len(feed["items"]), feed["source"],
             sum(feed["skipped"].values()))
    with timings.stage("tag rules"):
        rules = tag_rules(catalogue, config)
    with timings.stage("render"):
        writer = render_site(config, catalogue, models, neighbours, evaluation, rules, feed=feed,
                             projections=projections)
    return BuildReport(
        manga=len(catalogue),
        skipped=loaded.skipped,
        models=tuple(m.name for m in models),
        files=writer.files,
        bytes=writer.bytes,
        out=str(config.site.out),
        seconds=time.perf_counter() - start,
        stages=timings.stages,
        peaks=timings.peaks,
        synthetic=catalogue.synthetic,
    )
