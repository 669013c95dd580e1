"""One build, top to bottom: catalogue -> models -> neighbours -> evaluation -> maps -> site."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from .analysis.evaluation import Evaluation, evaluate
from .analysis.itemsets import rules_json
from .analysis.neighbours import Neighbours
from .analysis.projections import Projection
from .analysis.search import search
from .analysis.selection import select_models
from .analysis.sparse_scan import sparse_product
from .analysis.tagmap import tag_maps
from .analysis.ties import break_ties
from .backlog import Backlog
from .config import BuildConfig, validate
from .errors import FetchError
from .mapjobs import default_maps, queue_map
from .models import REGISTRY, Model
from .site.contract import FOLD_IN_MODEL
from .site.feed import catalogue_feed, snapshot_feed
from .site.maps import map_files
from .site.numbering import renumber, renumber_maps, site_order
from .site.publish import SiteInputs, write_site
from .site.render import check_extra_dir, check_output
from .sources import synthetic
from .sources.catalogue import Catalogue, LoadReport, build_catalogue, load_catalogue, parse_lines
from .sources.mangadex import FetchReport, feed_path, load_feed, refresh

log = logging.getLogger(__name__)
T = TypeVar("T")
#: How often a stage's peak memory is sampled, and how often its child processes are listed.
SAMPLE_SECONDS = 0.02
LIST_SECONDS = 0.25


def available_cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def child_processes() -> list[str]:
    """The process ids of this process's children (any thread's), on Linux; none elsewhere."""
    pids: list[str] = []
    with contextlib.suppress(OSError):
        for task in os.listdir("/proc/self/task"):
            with contextlib.suppress(OSError), open(f"/proc/self/task/{task}/children") as fh:
                pids += fh.read().split()
    return pids


def resident_bytes(children: list[str] | None = None) -> int:
    """The process's resident memory now, with its child processes' (the site's text helper,
    :mod:`sitegen.site.textwork`), on Linux; 0 where /proc is not there.

    ``children``: the child processes to count (:func:`child_processes`, listed again when
    None). Listing them reads a file for each thread, the sampler's largest cost, so the sampler
    keeps its list a while.

    A child that has not yet run its own program (its command line is still this process's) is
    left out: between fork and exec it shows this process's memory as its own, and a sample taken
    then counted the build twice (4.5 GB for a 2.8 GB build, once in ten 110,000-manga builds)."""
    own = _own_command_line()
    if own is None:
        return 0
    pages = _resident_pages("self")
    for pid in child_processes() if children is None else children:
        with contextlib.suppress(OSError), open(f"/proc/{pid}/cmdline", "rb") as fh:
            if fh.read() != own:
                pages += _resident_pages(pid)
    return pages * os.sysconf("SC_PAGE_SIZE")


@functools.cache
def _own_command_line() -> bytes | None:
    """This process's command line (read once: the sampler asks 50 times a second); None without /proc."""
    try:
        with open("/proc/self/cmdline", "rb") as fh:
            return fh.read()
    except OSError:
        return None


def _resident_pages(pid: str) -> int:
    """Resident pages of a process; 0 for one that has just ended."""
    with contextlib.suppress(OSError, ValueError, IndexError), open(f"/proc/{pid}/statm") as fh:
        return int(fh.read().split()[1])
    return 0


@dataclass
class Timings:
    """Wall seconds and peak resident memory per stage, in the order the stages ran.

    Peak memory is sampled every 20 ms by a background thread while a stage runs, the child
    processes listed again every quarter second (listing them at every sample took 8 of a
    110,000-manga build's 630 busy thread-seconds; a helper that lives less than a quarter second
    can be missed). Work done on a thread of its own, alongside
    the stages, is timed apart (``alongside``): its seconds overlap the stages' and are not theirs
    to add up.
    """

    stages: dict[str, float] = field(default_factory=dict)
    peaks: dict[str, int] = field(default_factory=dict)
    alongside_stages: dict[str, float] = field(default_factory=dict)

    def alongside(self, name: str, work: Callable[..., T], *args: Any) -> T:
        """``work(*args)``, its wall time kept as ``alongside_stages[name]`` (for a background thread)."""
        start = time.perf_counter()
        try:
            return work(*args)
        finally:
            self.alongside_stages[name] = time.perf_counter() - start
            log.info("%s done in %.1f s", name, self.alongside_stages[name])

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        log.info("%s ...", name)
        peak = [resident_bytes()]
        done = threading.Event()

        def sample() -> None:
            children, listed = child_processes(), time.monotonic()
            while not done.wait(SAMPLE_SECONDS):
                if time.monotonic() - listed > LIST_SECONDS:
                    children, listed = child_processes(), time.monotonic()
                peak[0] = max(peak[0], resident_bytes(children))

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
    tagless: int = 0
    alongside: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        """One line for the end of the build."""
        skipped = sum(self.skipped.values())
        detail = f" ({', '.join(f'{v} {k}' for k, v in self.skipped.items())})" if skipped else ""
        kind = "synthetic demo " if self.synthetic else ""
        tagless = f" ({self.tagless} without tags: placed by their descriptions)" if self.tagless else ""
        return (
            f"Built {self.out}: {self.manga} {kind}manga loaded{tagless}, {skipped} skipped{detail}; "
            f"{len(self.models)} models ({', '.join(self.models)}); {self.files} files "
            f"({self.bytes / 1e6:.1f} MB) in {self.seconds:.1f} s"
        )


def load_source(config: BuildConfig) -> tuple[Catalogue, LoadReport]:
    """The catalogue the config names: the synthetic demo, a file, or the MangaDex snapshot."""
    source = config.catalogue.source
    if source == "demo":
        records = synthetic.generate(config.catalogue.demo_size, config.seed)
        manga, vocabulary, report = parse_lines(synthetic.lines(records))
        catalogue = build_catalogue(manga, vocabulary, synthetic=True, source="synthetic demo")
        return catalogue, report
    if source == "file":
        assert config.catalogue.path is not None
        return load_catalogue(config.catalogue.path, workers=available_cores())
    return _load_snapshot(config)


def fetch_snapshot(config: BuildConfig) -> FetchReport:
    """Refresh the local MangaDex snapshot (``--fetch-only`` stops here, and the CLI prints the
    report's summary)."""
    validate(config)
    return refresh(config.fetch, progress=sys.stderr.isatty())


def _load_snapshot(config: BuildConfig) -> tuple[Catalogue, LoadReport]:
    fetched = fetch_snapshot(config)
    log.info("%s", fetched.summary())  # logged here, once: --fetch-only prints it instead
    return load_catalogue(fetched.snapshot, workers=available_cores())


def fit_models(catalogue: Catalogue, config: BuildConfig, timings: Timings) -> list[Model]:
    """Fit every configured model, in registry order, a model a core at once: several fits run on
    one core (gensim's seeded word2vec, the text model's tokenizing), and each depends on the
    catalogue and its own seed only, so the models are the same whatever runs beside them."""
    names = config.models.names or tuple(REGISTRY)
    catalogue.matrix, catalogue.tag_groups  # noqa: B018 - computed once, before the threads read them

    def fit(name: str) -> Model:
        return timings.alongside(f"fit {name}", REGISTRY[name].from_config(config).fit, catalogue)

    with (timings.stage(f"fit ({len(names)} models, {available_cores()} at a time)"),
          ThreadPoolExecutor(max_workers=available_cores(), thread_name_prefix="fit") as pool):
        # last first: the registry ends with the slow, derived models (itemsets, popularity, text),
        # which then run beside each other and the quick ones fill in (measured at 110,000 manga)
        return list(pool.map(fit, names[::-1]))[::-1]


def find_neighbours(models: list[Model], catalogue: Catalogue, config: BuildConfig, timings: Timings,
                    found: Callable[[Model, Neighbours, str | None], None] | None = None) -> list[Neighbours]:
    """Top-k neighbours of every manga under every model, and ``neighbours.spare`` more for the filters.

    For models whose rows depend on the tag set alone, manga with the same tags share one
    computed row (a third of the catalogue has a twin). Where twins tie, the description-aware
    model's text vectors order them, when it is among the models (:mod:`.analysis.ties`).
    ``found(model, lists, same)`` is called as each model's lists are ready; ``same`` names the
    model whose lists they are when the model's distance is one searched already, else None.
    """
    found_lists: list[Neighbours] = []
    by_name = {m.name: m for m in models}
    nb = config.neighbours
    # taken before any search: the text model lets its own reference go once it is searched
    text = next((m.text_ for m in models if hasattr(m, "text_")), None)
    for model in search_order(models):
        same = same_distance(model, found_lists, by_name)
        lists = None if same is None else dataclasses.replace(same, model=model.name)
        if lists is None:
            with timings.stage(f"neighbours {model.name}"):
                product = sparse_product(model)  # a network model makes its search state here
                lists = search(model, len(catalogue), nb.k + nb.spare, method=nb.method,
                               exact_max=nb.sparse_exact_max if product is not None and product.halves else nb.exact_max,
                               seed=config.seed, groups=catalogue.tag_groups if model.rows_by_tag_set else None,
                               candidates=nb.candidates, min_recall=nb.min_recall, sample=nb.sample,
                               without=catalogue.tagless if model.needs_tags else None)
                if text is not None and model.ties_among_twins:
                    lists = break_ties(lists, catalogue.tag_groups, text)
        found_lists.append(lists)
        model.release_search_state()  # searched once: its distance-only state goes
        if found is not None:
            found(model, lists, None if same is None else same.model)
    by_model = {lists.model: lists for lists in found_lists}
    return [by_model[m.name] for m in models]


def search_order(models: list[Model]) -> list[Model]:
    """The order the models are searched and their maps queued: models that tell twins apart first,
    as their maps are the largest (every manga a point, not every tag set), and a map queued last
    is laid out while the rest of the build waits for it."""
    return sorted(models, key=lambda m: bool(m.rows_by_tag_set))


def same_distance(model: Model, found: list[Neighbours], models: dict[str, Model]) -> Neighbours | None:
    """The lists of a model already searched whose distance is ``model``'s very own, else None:
    they are ``model``'s lists, and its maps are that model's maps."""
    same = next((nb for nb in found if model.same_lists_as(models[nb.model])), None)
    if same is not None:
        log.info("%s: its distance is %s's, so are its lists (not searched again)", model.name, same.model)
    return same


def evaluate_models(catalogue: Catalogue, neighbours: list[Neighbours], config: BuildConfig) -> Evaluation:
    """Compare the models' lists (their first k) with each other and with random recommendations,
    and decide from the figures which model leads and which are off by default."""
    ev = config.evaluation
    result = evaluate(catalogue, {nb.model: nb for nb in neighbours}, k=config.neighbours.k, seed=config.seed,
                      permutations=ev.permutations, sample=ev.sample)
    log.info("%s", result.summary())
    labels = {nb.model: REGISTRY[nb.model].label for nb in neighbours}
    chosen = select_models(result, neighbours, labels, min_coverage=ev.min_coverage, max_gini=ev.max_gini,
                           coherence_floor=ev.coherence_floor)
    log.info("default list: %s (%s)%s", chosen.default, chosen.reason,
             "".join(f"; {name} off by default: {why}" for name, why in chosen.off.items()))
    return dataclasses.replace(result, selection=chosen)


def tag_rules(catalogue: Catalogue, config: BuildConfig) -> dict:
    """Frequent tag itemsets and association rules, for the tags page."""
    r = config.rules
    return rules_json(catalogue, min_support=r.min_support, max_size=r.max_size,
                      min_confidence=r.min_confidence, max_rules=r.max_rules)


def feed_data(catalogue: Catalogue, models: list[Model], config: BuildConfig) -> dict:
    """The feed page's data (:mod:`sitegen.site.feed`): the fetched MangaDex feed when there is one,
    else the catalogue's latest updates, with the fold-in model's data for the browser."""
    lsi = next((m for m in models if m.name == FOLD_IN_MODEL), None)
    if lsi is None:  # the page needs the fold-in even when the build does not list that model
        lsi = REGISTRY[FOLD_IN_MODEL].from_config(config).fit(catalogue)
    if config.catalogue.source == "mangadex":
        path = feed_path(config.fetch)
        try:
            return snapshot_feed(catalogue, lsi, load_feed(path), config.feed.size)
        except FetchError as err:  # the catalogue is fine: a missing feed should not sink the build
            log.warning("%s; the feed page shows the catalogue's latest updates instead", err)
    return catalogue_feed(catalogue, lsi, config.feed.size)


def site_numbering(catalogue: Catalogue, neighbours: list[Neighbours], first: dict[str, list[Projection]],
                   default: str | None, config: BuildConfig) -> np.ndarray:
    """The site's numbering, position -> catalogue index: manga the default model finds alike share
    pick shards (:mod:`sitegen.site.numbering`); the catalogue order when the maps leave manga out."""
    n = len(catalogue)
    at = next((p for p, nb in enumerate(neighbours) if nb.model == default), None)
    maps = first.get(default or "", [])
    if at is None or any(len(p.coords) != n for p in maps):
        return np.arange(n)
    layout = next((p.coords for p in maps if p.method == "umap"), None)
    return site_order(neighbours[at], layout, n, config.site.shard_size)


def build(config: BuildConfig) -> BuildReport:
    """Build the whole site as ``config`` says; returns what was done.

    Raises
    ------
    SitegenError
        A :class:`~sitegen.errors.RenderError` before any work when ``site.out`` cannot be
        written (a file, a directory sitegen did not make, no permission), after it when the site
        is over GitHub Pages' size limits and ``site.pages_limits`` is on (the previous site is
        kept), and any error of the stages below.
    """
    validate(config)
    check_output(config.site.out)  # minutes of fitting are wasted if the site cannot be written
    check_extra_dir(config.site.extra_dir)
    start = time.perf_counter()
    timings = Timings()
    with timings.stage("catalogue"):
        catalogue, loaded = load_source(config)
    log.info("catalogue: %d manga, %d tags (%s)", len(catalogue), len(catalogue.tags), catalogue.source)
    models = fit_models(catalogue, config, timings)
    # Each model's maps are laid out on a thread of their own from when its lists are found
    # (sitegen.backlog), while the build goes on; the maps' files are written last.
    with Backlog("maps") as maps:
        neighbours = find_neighbours(models, catalogue, config, timings,
                                     found=lambda model, lists, same: queue_map(maps, model, lists, catalogue, config, same=same))
        with timings.stage("evaluation"):
            evaluation = evaluate_models(catalogue, neighbours, config)
        default = evaluation.selection.default if evaluation.selection is not None else None
        with timings.stage("default map"):
            first = default_maps(maps, models, neighbours, catalogue, default, config)
        with timings.stage("numbering"):  # from here on, the site's numbering (sitegen.site.numbering)
            order = site_numbering(catalogue, neighbours, first, default, config)
            catalogue, neighbours = renumber(order, catalogue, neighbours)
        with timings.stage("feed"):
            feed = feed_data(catalogue, models, config)
        log.info("feed: %d items (source: %s), %d skipped", len(feed["items"]), feed["source"],
                 sum(feed["skipped"].values()))
        with timings.stage("tag rules"):
            rules = tag_rules(catalogue, config)

        def projections() -> dict:
            waited = time.perf_counter()
            laid = [first.get(m.name) or maps.result(m.name) for m in models]
            log.info("the site waited %.1f s for the last maps", time.perf_counter() - waited)
            timings.alongside_stages["maps and labels (one core's seconds, alongside)"] = maps.busy_seconds
            return map_files(catalogue, renumber_maps(order, laid), config.projection, config.seed,
                             tag_maps(models, catalogue.matrix))

        with timings.stage("render (and the last maps)"):
            writer = write_site(config.site, SiteInputs(catalogue, models, neighbours, evaluation, rules, feed,
                                                        projections, config.neighbours.k))
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
        alongside=timings.alongside_stages,
        synthetic=catalogue.synthetic,
        tagless=int(catalogue.tagless.size),
    )
