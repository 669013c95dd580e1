"""How the models' neighbour lists compare: with each other, and with random recommendations.

Every measure takes neighbour tables, shape (n_manga, k), int32 (negative = no neighbour):

* **agreement** of two models: mean over manga of the Jaccard index of their top-k sets;
* **tag coherence**: mean over manga of the mean Jaccard index of its tags with each
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
import math
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np
import scipy.sparse as sp
from scipy.stats import hypergeom

if TYPE_CHECKING:
    from .catalogue import Catalogue
    from .neighbours import Neighbours

log = logging.getLogger(__name__)

#: MangaDex ``related`` kinds that count as the same story. ``main_story`` is how a side story
#: or spin-off points back at its original, so it is included for symmetry.
RELATED_KINDS = frozenset({"sequel", "prequel", "side_story", "main_story", "spin_off", "same_franchise"})
_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)
_PAIRS_PER_CHUNK = 400_000  # (row, neighbour) pairs per vectorized step: a few tens of MB


def random_others(rng: np.random.Generator, rows: np.ndarray, n: int, k: int) -> np.ndarray:
    """For each row, k distinct manga other than itself, uniformly at random.

    Parameters
    ----------
    rng : numpy Generator
    rows : ndarray of int, shape (m,)
    n : int
        Catalogue size; ``k <= n - 1``.

    Returns
    -------
    ndarray, shape (m, k), int32
    """
    m = rows.size
    if n - 1 <= 8 * k:  # few others: shuffle them all (cheap at this size)
        picks = np.argsort(rng.random((m, n - 1)), axis=1)[:, :k]
    else:  # many others: draw with replacement and redraw the rare rows with a repeat
        picks = rng.integers(0, n - 1, size=(m, k), dtype=np.int32)
        todo = np.arange(m)
        while todo.size:
            ordered = np.sort(picks[todo], axis=1)
            todo = todo[(ordered[:, 1:] == ordered[:, :-1]).any(axis=1)]
            picks[todo] = rng.integers(0, n - 1, size=(todo.size, k), dtype=np.int32)
    # Picks range over 0..n-2; shifting those at or past the row's own index skips it.
    return (picks + (picks >= rows[:, None])).astype(np.int32)


def null_neighbours(n: int, k: int, seed: int) -> np.ndarray:
    """The null model's table, shape (n, min(k, n - 1)), int32, from ``default_rng(seed)``."""
    return random_others(np.random.default_rng(seed), np.arange(n), n, min(k, n - 1))


def expected_null_jaccard(n: int, k: int) -> float:
    """Expected Jaccard index of any fixed top-k list with the null model's list for that manga.

    Both are k of the n - 1 others, so the overlap c is hypergeometric and the Jaccard index is
    c / (2k - c): about k / (2n) when k is much smaller than n (the overlap share c / k is about
    k / n).
    """
    k = min(k, n - 1)
    if k <= 0:
        return 0.0
    c = np.arange(k + 1)
    pmf = hypergeom.pmf(c, n - 1, k, k)
    return float(np.sum(pmf * c / (2 * k - c)))


def indicator(table: np.ndarray, n: int) -> sp.csr_matrix:
    """Neighbour table as a 0/1 sparse matrix, shape (n_rows, n): row i marks i's neighbours.

    Entries of a row must be distinct; negative entries (no neighbour) are left out.
    """
    valid = table >= 0
    indptr = np.concatenate(([0], np.cumsum(valid.sum(axis=1))))
    data = np.ones(int(indptr[-1]), dtype=np.float32)
    out = sp.csr_matrix((data, table[valid].astype(np.int32), indptr), shape=(table.shape[0], n))
    out.sort_indices()  # canonical rows make elementwise products a merge
    return out


def row_jaccard(a: sp.csr_matrix, b: sp.csr_matrix) -> np.ndarray:
    """Row-wise Jaccard index of two :func:`indicator` matrices (two empty rows count as 1).

    Returns
    -------
    ndarray, shape (n_rows,), float64
    """
    common = np.asarray(a.multiply(b).sum(axis=1)).ravel()
    union = np.diff(a.indptr) + np.diff(b.indptr) - common
    return np.where(union > 0, common / np.maximum(union, 1), 1.0)


def list_jaccard(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise Jaccard index of two neighbour tables, shape (n, k_a) and (n, k_b) -> (n,)."""
    n = int(max(a.max(initial=-1), b.max(initial=-1))) + 1
    return row_jaccard(indicator(a, n), indicator(b, n))


def overlap_test(a: np.ndarray, b: np.ndarray, n: int, perms: np.ndarray) -> tuple[float, float, float]:
    """Permutation test of agreement between two models on sampled rows.

    Parameters
    ----------
    a, b : ndarray, shape (m, k)
        The two models' lists for the same m sampled manga, in the same order.
    n : int
        Catalogue size.
    perms : ndarray of int, shape (n_permutations, m)
        Row permutations; row r of ``a`` is paired with row ``perms[p, r]`` of ``b``.

    Returns
    -------
    observed, permuted_mean, p_value : float
    """
    m = a.shape[0]
    # |A_i & B_j| for all sampled i, j: sparse, as most pairs of lists share nothing.
    common = (indicator(a, n) @ indicator(b, n).T).tocoo()
    size_a, size_b = (a >= 0).sum(axis=1), (b >= 0).sum(axis=1)
    jac = np.zeros((m, m), dtype=np.float32)
    jac[common.row, common.col] = common.data / (size_a[common.row] + size_b[common.col] - common.data)
    jac[np.ix_(size_a == 0, size_b == 0)] = 1.0
    observed = float(np.mean(np.diag(jac), dtype=np.float64))
    flat = (perms + (np.arange(m) * m)[None, :]).ravel()
    permuted = jac.ravel()[flat].reshape(perms.shape).mean(axis=1, dtype=np.float64)
    p_value = (1 + int(np.sum(permuted >= observed - 1e-6))) / (1 + perms.shape[0])
    return observed, float(permuted.mean()), p_value


def tag_bits(matrix: sp.spmatrix) -> np.ndarray:
    """Tag sets packed into 64-bit words, shape (ceil(n_tags / 64), n_manga), uint64.

    One contiguous row per word, so a gather by manga touches one array per word.
    """
    packed = np.packbits(sp.csr_matrix(matrix).toarray() != 0, axis=1)
    words = max(1, -(-packed.shape[1] // 8))
    padded = np.zeros((packed.shape[0], words * 8), dtype=np.uint8)
    padded[:, : packed.shape[1]] = packed
    return np.ascontiguousarray(padded.view(np.uint64).T)


def _popcount(words: np.ndarray) -> np.ndarray:
    """Set bits of each uint64, same shape, as uint8."""
    if hasattr(np, "bitwise_count"):  # numpy >= 2.0
        return np.bitwise_count(words)
    return _POPCOUNT[words.view(np.uint8)].reshape(*words.shape, 8).sum(axis=-1, dtype=np.uint8)


def coherence_rows(bits: np.ndarray, rows: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Mean tag Jaccard index of each manga with its neighbours (0 when it has none).

    Parameters
    ----------
    bits : ndarray, shape (n_words, n_manga), uint64, from :func:`tag_bits`
    rows : ndarray of int, shape (m,)
        The manga whose lists ``table`` holds.
    table : ndarray of int, shape (m, k)

    Returns
    -------
    ndarray, shape (m,), float64
    """
    out = np.empty(rows.size, dtype=np.float64)
    step = max(1, _PAIRS_PER_CHUNK // max(table.shape[1], 1))
    for start in range(0, rows.size, step):
        part = slice(start, start + step)
        valid = table[part] >= 0
        others = np.where(valid, table[part], 0)
        inter = np.zeros(others.shape, dtype=np.int16)
        union = np.zeros(others.shape, dtype=np.int16)
        for word in bits:
            own, other = word[rows[part]][:, None], word[others]
            inter += _popcount(own & other)
            union += _popcount(own | other)
        jac = np.where(union > 0, inter / np.maximum(union, 1), 1.0) * valid
        out[part] = jac.sum(axis=1) / np.maximum(valid.sum(axis=1), 1)
    return out


def in_degree(table: np.ndarray, n: int) -> np.ndarray:
    """How many lists each manga appears in, shape (n,), int64."""
    return np.bincount(table[table >= 0].ravel(), minlength=n)


def gini(counts: np.ndarray) -> float:
    """Gini coefficient of non-negative counts (0 = equal, towards 1 = concentrated)."""
    x = np.sort(np.asarray(counts, dtype=np.float64))
    total, n = x.sum(), x.size
    if n == 0 or total <= 0:
        return 0.0
    return float(np.sum((2 * np.arange(1, n + 1) - n - 1) * x) / (n * total))


def related_matrix(catalogue: Catalogue) -> sp.csr_matrix:
    """Symmetric 0/1 matrix of same-story relations within the catalogue, shape (n, n).

    Relations are made symmetric so that a link recorded on one side only still counts, and
    links to manga outside the catalogue or to the manga itself are dropped.
    """
    index, pairs = catalogue.index, []
    for i, manga in enumerate(catalogue.manga):
        for rel in manga.relations:
            j = index.get(rel.id)
            if rel.kind in RELATED_KINDS and j is not None and j != i:
                pairs.append((i, j))
    n = len(catalogue)
    if not pairs:
        return sp.csr_matrix((n, n), dtype=np.float32)
    i, j = np.array(pairs).T
    m = sp.csr_matrix((np.ones(2 * i.size, dtype=np.float32), (np.r_[i, j], np.r_[j, i])), shape=(n, n))
    m.data[:] = 1.0  # duplicates were summed
    return m


def related_recall(related: sp.csr_matrix, rows: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Share of each manga's related titles among its neighbours, out of at most k.

    Parameters
    ----------
    related : csr_matrix, shape (n, n), from :func:`related_matrix`
    rows : ndarray of int, shape (m,)
        Manga (each with at least one related title) whose lists ``table`` holds.
    table : ndarray of int, shape (m, k)

    Returns
    -------
    ndarray, shape (m,), float64
    """
    sub = related[rows]
    hits = np.asarray(sub.multiply(indicator(table, related.shape[0])).sum(axis=1)).ravel()
    wanted = np.minimum(np.diff(sub.indptr), table.shape[1])
    return hits / np.maximum(wanted, 1)


def _p_value(null_draws: np.ndarray, observed: float) -> float:
    return (1 + int(np.sum(null_draws >= observed - 1e-12))) / (1 + null_draws.size)


def _clean(value: Any) -> Any:
    """Floats rounded to 6 decimals for a stable file; non-finite floats become null."""
    if isinstance(value, dict):
        return {key: _clean(v) for key, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return round(float(value), 6) if math.isfinite(value) else None
    return value


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

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: floats rounded to 6 decimals, no NaN or infinity."""
        out: dict[str, Any] = {key: getattr(self, key) for key in ("n_manga", "k", "seed", "permutations", "sample")}
        out["related_manga"] = self.related_manga
        out["null"] = {"expected_jaccard": self.expected_null_jaccard, **self.null}
        out["models"] = {name: asdict(scores) for name, scores in self.models.items()}
        out["pairs"] = [asdict(pair) for pair in self.pairs]
        return _clean(out)

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
    rows = np.sort(rng.choice(n, size=min(n, sample), replace=False))
    perms = rng.permuted(np.tile(np.arange(rows.size, dtype=np.int32), (permutations, 1)), axis=1)
    coherence_draws = np.empty(permutations)
    per_chunk = max(1, _PAIRS_PER_CHUNK // max(rows.size * k, 1))
    for start in range(0, permutations, per_chunk):
        draws = min(per_chunk, permutations - start)
        tiled = np.tile(rows, draws)
        scores = coherence_rows(bits, tiled, random_others(rng, tiled, n, k))
        coherence_draws[start : start + draws] = scores.reshape(draws, rows.size).mean(axis=1)
    related_sample = np.sort(rng.choice(related_rows.size, size=min(related_rows.size, sample), replace=False))
    wanted = np.diff(related.indptr)[related_rows[related_sample]]
    hits = rng.hypergeometric(wanted, n - 1 - wanted, k, size=(permutations, wanted.size))
    recall_draws = (hits / np.maximum(np.minimum(wanted, k), 1)).mean(axis=1) if wanted.size else np.zeros(permutations)
    return _Context(n, k, bits, related, related_rows, rows, related_sample, perms, coherence_draws, recall_draws)


def _measures(ctx: _Context, table: np.ndarray) -> dict[str, Any]:
    """Catalogue-wide means, and the same statistics on the p-value samples."""
    coherence = coherence_rows(ctx.bits, np.arange(ctx.n), table)
    out = {
        "coherence": float(coherence.mean()) if ctx.n else 0.0,
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
        p = _p_value(ctx.recall_draws, measured["related_recall_sample"])
        recall = Score(measured["related_recall"], null["related_recall"], p)
    return ModelScores(
        coherence=Score(measured["coherence"], null["coherence"], _p_value(ctx.coherence_draws, measured["coherence_sample"])),
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
    tables = {name: np.ascontiguousarray(nb.indices[:, :k]) for name, nb in neighbours.items()}
    marks = {name: indicator(table, n) for name, table in tables.items()}
    ctx = _context(catalogue, k, seed, permutations, sample)
    null_table = null_neighbours(n, k, seed)
    null = _measures(ctx, null_table)
    models = {name: _model_scores(ctx, _measures(ctx, table), null) for name, table in tables.items()}
    pairs = []
    for a, b in itertools.combinations(tables, 2):
        jaccard = float(row_jaccard(marks[a], marks[b]).mean())
        _, permuted, p_value = overlap_test(tables[a][ctx.rows], tables[b][ctx.rows], n, ctx.perms)
        pairs.append(PairScore(a, b, jaccard, permuted, p_value))
    null_summary = {key: null[key] for key in ("coherence", "coverage", "gini", "related_recall")}
    log.info("evaluated %d models and %d pairs on %d manga in %.1fs", len(tables), len(pairs), n,
             time.perf_counter() - started)
    return Evaluation(
        n, k, seed, permutations, int(ctx.rows.size), int(ctx.related_rows.size),
        expected_null_jaccard(n, k), null_summary, models, tuple(pairs),
    )
