"""What the description-aware model (``tags_text``) costs at MangaDex scale: fit and neighbour search.

    python benchmarks/text_model.py [--size 110000] [--seed 42] [--method auto] [--cache FILE]
                                    [--set models.tags_text.dims=128 ...] [--check 500]

Generates the synthetic demo catalogue the build would (``sitegen.sources.synthetic``, deterministic
for a size and seed; ``--cache`` keeps it in a pickle, so repeated runs skip the minute it takes),
fits ``tags_text`` as the build does and searches its neighbours with the build's own search
(``sitegen.analysis.search.search``, k + spare long). It prints the fit's seconds split into text
features (tokens and tf-idf), truncated SVD and the weight choice, the search's seconds, method and
the recall it reports, and, with ``--check N``, the tie-aware recall of the lists against the exact
ones on N sampled manga, measured here apart from the search. The target (issue 9) is fit and search
within 60 seconds at 110,000 manga on this 2-core machine.

The synthetic descriptions are generated from a few sentence templates and are much shorter than
real MangaDex descriptions (hundreds of words, several languages): text features cost more on
real data, and the text vectors of a real catalogue are less clustered. It measures; it does not assert.
"""

from __future__ import annotations

import argparse
import ast
import logging
import pickle
import resource
import sys
import time
from pathlib import Path

import numpy as np

from sitegen.analysis.partitioned import sample_lists, tie_aware_recall
from sitegen.analysis.search import search
from sitegen.build import load_source
from sitegen.config import BuildConfig, replace
from sitegen.models.text import TagsText


def catalogue(size: int, seed: int, cache: Path | None):
    """The demo catalogue of ``size`` manga, from ``cache`` when it holds that one."""
    if cache is not None and cache.is_file():
        with cache.open("rb") as f:
            stored = pickle.load(f)
        if stored["size"] == size and stored["seed"] == seed:
            return stored["catalogue"]
    config = replace(BuildConfig(seed=seed), **{"catalogue.demo_size": size})
    cat, _ = load_source(config)
    if cache is not None:
        with cache.open("wb") as f:
            pickle.dump({"size": size, "seed": seed, "catalogue": cat}, f, protocol=pickle.HIGHEST_PROTOCOL)
    return cat


def setting(text: str) -> tuple[str, object]:
    """``key=value`` with a Python literal value (a bare word stays a string)."""
    key, _, value = text.partition("=")
    try:
        return key, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return key, value


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=int, default=110_000)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--method", default=None, help="neighbours.method (default: the config's, auto)")
    p.add_argument("--cache", type=Path, default=None, help="pickle of the generated catalogue")
    p.add_argument("--set", action="append", default=[], type=setting, metavar="KEY=VALUE",
                   help="config value, as dotted key (repeatable)")
    p.add_argument("--check", type=int, default=0, help="manga sampled for an independent recall check")
    p.add_argument("--no-search", action="store_true", help="fit only")
    p.add_argument("-v", "--verbose", action="store_true", help="debug log of the search (each step tried)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    if args.verbose:
        logging.getLogger("sitegen.analysis").setLevel(logging.DEBUG)
    for noisy in ("numba", "pynndescent"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    start = time.perf_counter()
    cat = catalogue(args.size, args.seed, args.cache)
    print(f"catalogue: {len(cat)} synthetic manga in {time.perf_counter() - start:.1f} s")
    changes = dict(args.set)
    if args.method:
        changes["neighbours.method"] = args.method
    config = replace(BuildConfig(seed=args.seed), **changes)

    start = time.perf_counter()
    model = TagsText.from_config(config).fit(cat)
    fit_s = time.perf_counter() - start
    split = ", ".join(f"{k} {v:.1f}" for k, v in model.timings_.items())
    print(f"fit: {fit_s:.1f} s ({split}); weight {model.weight_}; embedding {model.embedding_.shape[1]} dims")
    if args.no_search:
        return 0

    nb = config.neighbours
    start = time.perf_counter()
    found = search(model, len(cat), nb.k + nb.spare, method=nb.method, exact_max=nb.exact_max, seed=config.seed,
                   candidates=nb.candidates, min_recall=nb.min_recall, sample=nb.sample)
    search_s = time.perf_counter() - start
    recall = "n/a (exact)" if found.recall is None else f"{found.recall:.4f}"
    print(f"search: {search_s:.1f} s, method {found.method}, reported recall {recall}")
    print(f"fit + search: {fit_s + search_s:.1f} s (target <= 60 s)")
    if args.check:
        rows = np.sort(np.random.default_rng([args.seed, 99]).choice(len(cat), size=min(args.check, len(cat)),
                                                                     replace=False))
        truth = sample_lists(model, rows, found.indices.shape[1])
        got = tie_aware_recall(model, rows, truth, found.indices[rows])
        print(f"check: tie-aware recall {got:.4f} on {rows.size} other sampled manga")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
