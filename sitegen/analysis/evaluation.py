"""How the models' neighbour lists compare: with each other, and with random recommendations.

Every measure takes neighbour tables, shape (n_manga, k), int32 (negative = no neighbour):

* **agreement** of two models: mean over manga of the Jaccard index of their top-k sets;
* **tag coherence**: mean over manga with tags of the mean Jaccard index of its tags with each
  neighbour's tags (do the recommendations look like the manga?);
* **coverage**: share of manga recommended at least once (can following recommendations reach
  the whole catalogue?);
* **concentration**: Gini coefficient of how often each manga is recommended (0 = evenly;
  towards 1 = every list shows the same few titles, the signature of popularity bias);
* **related-title recall@k**: for manga with sequels, prequels, side stories, spin-offs or
  same-franchise titles in the catalogue, the share of those among its neighbours.

The **null model** recommends k distinct random others per manga (never itself), drawn with
``numpy.random.default_rng(seed)``; every measure is reported for it too.

p-values are Monte Carlo p-values with the +1 correction, ``(1 + #{null >= observed}) /
(1 + draws)``, for the mean over a seeded sample of manga (the reported means use all manga):

* agreement of models A and B **permutes row correspondence**: the null is that B's list for
  manga i shares no more with A's list for i than B's list for another manga does. This keeps
  each model's own habits, which a uniform random null would not: a high p-value flags
  agreement explained by both models showing the same hits everywhere. The sampled rows' m x m
  Jaccard matrix comes from one sparse product; each permutation is then a gather of m entries;
* coherence and related recall are compared with **draws of the null model** on the sampled
  rows (related hits of a random list are hypergeometric, so those draws are exact and cheap).
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from .measures import (
    PAIRS_PER_CHUNK,
    coherence_rows,
    expected_null_jaccard,
    gini,
    in_degree,
    json_safe,
    monte_carlo_p,
    null_neighbours,
    overlap_test,
    random_others,
    related_matrix,
    related_recall,
    sorted_jaccard,
    tag_bits,
)

if TYPE_CHECKING:
    from ..sources.catalogue import Catalogue
    from .neighbours import Neighbours
    from .selection import Selection

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class Score:
    """A model's value of one measure, the null model's, and a p-value when one is computed."""

    value: float
    null: float
    p_value: float | None = None


@dataclass(frozen=True)
class ModelScores:
    """Per-model measures; ``related_recall`` is None when the catalogue has no relations."""

    coherence: Score
    coverage: Score
    gini: Score
    related_recall: Score | None


@dataclass(frozen=True)
class PairScore:
    """Agreement of models ``a`` and ``b``: mean Jaccard, its permutation mean and p-value."""

    a: str
    b: str
    jaccard: float
    permuted: float
    p_value: float


@dataclass(frozen=True)
class Evaluation:
    """Everything :func:`evaluate` measured; :meth:`to_json` is what the site stores."""

    n_manga: int
    k: int
    seed: int
    permutations: int
    sample: int
    related_manga: int
    expected_null_jaccard: float
    null: Mapping[str, float | None]
    models: Mapping[str, ModelScores]
    pairs: tuple[PairScore, ...]
    #: What the site shows first, decided from these figures (:mod:`.selection`); set by the build.
    selection: Selection | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: floats rounded to 6 decimals, no NaN or infinity."""
        out: dict[str, Any] = {key: getattr(self, key) for key in ("n_manga", "k", "seed", "permutations", "sample")}
        out["related_manga"] = self.related_manga
        out["null"] = {"expected_jaccard": self.expected_null_jaccard, **self.null}
        out["models"] = {name: asdict(scores) for name, scores in self.models.items()}
        out["pairs"] = [asdict(pair) for pair in self.pairs]
        if self.selection is not None:
            out["selection"] = self.selection.to_json()
        return json_safe(out)

    def summary(self) -> str:
        """One line for the build output: ranges over the models, the null model in brackets."""
        if not self.models:
            return f"evaluation: no models on {self.n_manga} manga"

        def span(values: list[float], fmt: str) -> str:
            return f"{min(values):{fmt}}-{max(values):{fmt}}"

        scores, null = list(self.models.values()), self.null
        parts = [
            f"tag coherence {span([s.coherence.value for s in scores], '.3f')} (random {null['coherence']:.3f})",
            f"coverage {span([s.coverage.value for s in scores], '.0%')} (random {null['coverage']:.0%})",
            f"Gini {span([s.gini.value for s in scores], '.2f')} (random {null['gini']:.2f})",
        ]
        recall = {name: s.related_recall.value for name, s in self.models.items() if s.related_recall}
        if recall:
            best = max(recall, key=recall.__getitem__)
            parts.append(f"related recall best {best} {recall[best]:.3f} (random {null['related_recall']:.4f})")
        if self.pairs:
            above = sum(p.p_value < 0.05 for p in self.pairs)
            parts.append(
                f"agreement {span([p.jaccard for p in self.pairs], '.3f')} (random {self.expected_null_jaccard:.4f}), "
                f"{above}/{len(self.pairs)} pairs above chance at p<0.05"
            )
        return f"evaluation of {len(self.models)} models on {self.n_manga} manga (k={self.k}): " + "; ".join(parts)


@dataclass(frozen=True)
class _Context:
    """What every model is measured against: the null model, the sample and its null draws."""

    n: int
    k: int
    bits: np.ndarray
    tagged: np.ndarray  # manga with tags, ascending: tag coherence is measured on them
    related: sp.csr_matrix
    related_rows: np.ndarray  # manga with at least one related title, ascending
    rows: np.ndarray  # sampled manga for p-values, ascending
    related_sample: np.ndarray  # positions in related_rows sampled for the recall p-value
    perms: np.ndarray  # (permutations, rows.size)
    coherence_draws: np.ndarray  # (permutations,): null mean coherence over the sample
    recall_draws: np.ndarray  # (permutations,): null mean related recall over its sample


def _context(catalogue: Catalogue, k: int, seed: int, permutations: int, sample: int) -> _Context:
    n = len(catalogue)
    bits, related = tag_bits(catalogue.matrix), related_matrix(catalogue)
    related_rows = np.flatnonzero(np.diff(related.indptr) > 0)
    rng = np.random.default_rng([seed, 1])  # a stream apart from the null model's own
    tagged = np.setdiff1d(np.arange(n), catalogue.tagless)
    rows = np.sort(rng.choice(tagged, size=min(tagged.size, sample), replace=False))
    perms = rng.permuted(np.tile(np.arange(rows.size, dtype=np.int32), (permutations, 1)), axis=1)
    coherence_draws = np.empty(permutations)
    per_chunk = max(1, PAIRS_PER_CHUNK // max(rows.size * k, 1))
    for start in range(0, permutations, per_chunk):
        draws = min(per_chunk, permutations - start)
        tiled = np.tile(rows, draws)
        scores = coherence_rows(bits, tiled, random_others(rng, tiled, n, k))
        coherence_draws[start : start + draws] = scores.reshape(draws, rows.size).mean(axis=1)
    related_sample = np.sort(rng.choice(related_rows.size, size=min(related_rows.size, sample), replace=False))
    wanted = np.diff(related.indptr)[related_rows[related_sample]]
    hits = rng.hypergeometric(wanted, n - 1 - wanted, k, size=(permutations, wanted.size))
    recall_draws = (hits / np.maximum(np.minimum(wanted, k), 1)).mean(axis=1) if wanted.size else np.zeros(permutations)
    return _Context(n, k, bits, tagged, related, related_rows, rows, related_sample, perms, coherence_draws, recall_draws)


def _measures(ctx: _Context, table: np.ndarray) -> dict[str, Any]:
    """Catalogue-wide means, and the same statistics on the p-value samples."""
    coherence = np.zeros(ctx.n)
    coherence[ctx.tagged] = coherence_rows(ctx.bits, ctx.tagged, table[ctx.tagged])
    out = {
        "coherence": float(coherence[ctx.tagged].mean()) if ctx.tagged.size else 0.0,
        "coherence_sample": float(coherence[ctx.rows].mean()) if ctx.rows.size else 0.0,
        "coverage": float(np.mean(in_degree(table, ctx.n) > 0)) if ctx.n else 0.0,
        "gini": gini(in_degree(table, ctx.n)),
        "related_recall": None,
    }
    if ctx.related_rows.size:
        recall = related_recall(ctx.related, ctx.related_rows, table[ctx.related_rows])
        out["related_recall"] = float(recall.mean())
        out["related_recall_sample"] = float(recall[ctx.related_sample].mean())
    return out


def _model_scores(ctx: _Context, measured: dict[str, Any], null: dict[str, Any]) -> ModelScores:
    recall = None
    if measured["related_recall"] is not None:
        p = monte_carlo_p(ctx.recall_draws, measured["related_recall_sample"])
        recall = Score(measured["related_recall"], null["related_recall"], p)
    return ModelScores(
        coherence=Score(measured["coherence"], null["coherence"], monte_carlo_p(ctx.coherence_draws, measured["coherence_sample"])),
        coverage=Score(measured["coverage"], null["coverage"]),
        gini=Score(measured["gini"], null["gini"]),
        related_recall=recall,
    )


def evaluate(
    catalogue: Catalogue, neighbours: Mapping[str, Neighbours], *, k: int, seed: int, permutations: int = 999, sample: int = 2000
) -> Evaluation:
    """Measure every model's neighbour lists, every pair's agreement, and the null model's.

    Parameters
    ----------
    catalogue : Catalogue
        The catalogue the lists index into (for tags and relations).
    neighbours : mapping of model name to Neighbours
        Tables of shape (n_manga, >= k); models are reported in this order.
    k : int
        List length compared (capped at the shortest table and at n - 1).
    seed : int
        Seeds the null model (``default_rng(seed)``) and, apart from it, the samples and draws.
    permutations : int
        Permutations / null draws per p-value.
    sample : int
        Manga sampled for the p-values.

    Returns
    -------
    Evaluation
    """
    started = time.perf_counter()
    n = len(catalogue)
    k = max(0, min([k, n - 1, *(nb.indices.shape[1] for nb in neighbours.values())]))
    # every measure here takes a list as a set, so each row is sorted (a copy): pairs then
    # compare by merging rows (sorted_jaccard)
    tables = {name: np.sort(nb.indices[:, :k], axis=1) for name, nb in neighbours.items()}
    ctx = _context(catalogue, k, seed, permutations, sample)
    null_table = null_neighbours(n, k, seed)
    null = _measures(ctx, null_table)
    models = {name: _model_scores(ctx, _measures(ctx, table), null) for name, table in tables.items()}
    pairs = []
    for a, b in itertools.combinations(tables, 2):
        jaccard = float(sorted_jaccard(tables[a], tables[b]).mean())
        _, permuted, p_value = overlap_test(tables[a][ctx.rows], tables[b][ctx.rows], n, ctx.perms)
        pairs.append(PairScore(a, b, jaccard, permuted, p_value))
    null_summary = {key: null[key] for key in ("coherence", "coverage", "gini", "related_recall")}
    log.info("evaluated %d models and %d pairs on %d manga in %.1fs", len(tables), len(pairs), n,
             time.perf_counter() - started)
    return Evaluation(
        n, k, seed, permutations, int(ctx.rows.size), int(ctx.related_rows.size),
        expected_null_jaccard(n, k), null_summary, models, tuple(pairs),
    )
