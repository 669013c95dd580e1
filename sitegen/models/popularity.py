"""Popularity re-ranking: LSI's distance blended with how followed and how well rated a manga is.

The write-up expects popularity to act as "a bias term to re-rank recommendations" that needs
tuning. The distance from manga i to manga j becomes

    d'(i, j) = (1 - w) * d(i, j) + w * (1 - p_j)

where d is the base model's distance and p_j in [0, 1] the popularity of the candidate j. At
w = 0 this is the base model; as w grows, well-followed, well-rated titles climb the lists.
The model reports d' / (1 - w) = d + w / (1 - w) * (1 - p_j): the same ranking, one pass over
each block of distances instead of two.

Choosing w (:func:`choose_weight`)
----------------------------------
The measure is **related-title recall@k**: the share of a manga's sequels, prequels, side
stories, spin-offs and same-franchise titles found among its k neighbours. It is the one
measure in :mod:`sitegen.analysis.evaluation` with outside ground truth that popularity could improve:
MangaDex's editors link those titles because a reader of one wants the others. The other
measures cannot choose: popularity carries no tag information, so tag coherence can only fall
as w grows, and coverage and concentration can only get worse; they serve as a guard instead.

* Candidate weights are scored on a seeded sample of manga with related titles (recall) and a
  seeded uniform sample of manga (tag coherence), using the same tie-breaking as the search.
* Weights whose coherence falls more than ``max_coherence_loss`` (relative) below that of the
  smallest weight are ruled out: recall must not be bought by making lists generic.
* Among the rest, the smallest weight whose recall is within one standard error of the best
  is chosen (the one-standard-error rule, on the gap to the best paired over the same manga):
  a difference smaller than the sampling noise is no reason to distort the base model's lists.
* With fewer than ``min_related`` manga having related titles there is no evidence either way,
  and the smallest weight is kept.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..analysis.blended import blend_scales, blended_top_k
from ..analysis.measures import coherence_rows, related_matrix, related_recall, tag_bits
from ..params import Param, at_least, between, each
from .base import Model
from .lsi import LSI

if TYPE_CHECKING:
    from typing import Self

    from ..config import BuildConfig
    from ..sources.catalogue import Catalogue
    from .sparse_keys import SparseProduct

log = logging.getLogger(__name__)

DEFAULT_WEIGHTS = (0.0, 0.02, 0.05, 0.1, 0.2, 0.3)
DEFAULT_K = 20  # the list length chosen for when the model is built outside a build (tests, notebooks)
WEIGHT = between(0, 1, open_high=True)  # at 1 the base model's own distance would vanish
BLOCK_BYTES = 64 * 2**20  # one block of sampled distance rows during the weight search


def popularity_scores(catalogue: Catalogue, rating_share: float = 0.5) -> np.ndarray:
    """Popularity of every manga in [0, 1], shape (n_manga,), float64.

    ``(1 - rating_share) * log-follows score + rating_share * rating score``. Follows are
    heavy-tailed, so their logarithm is scaled by the largest; bayesian ratings are scaled to
    [0, 1] between the lowest and highest. A missing rating (MangaDex sends 0 when nobody has
    voted) gets the median score: an unrated title is treated as ordinary, not as bad.
    """
    follows = np.log1p(np.array([m.follows for m in catalogue.manga], dtype=np.float64))
    top = follows.max(initial=0.0)
    follow_score = follows / top if top > 0 else np.zeros_like(follows)
    bayes = np.array([m.bayesian if m.bayesian and m.bayesian > 0 else np.nan for m in catalogue.manga], dtype=np.float64)
    known = np.isfinite(bayes)
    rating_score = np.full(bayes.shape, 0.5)
    if known.any():
        lo, hi = bayes[known].min(), bayes[known].max()
        rating_score[known] = (bayes[known] - lo) / (hi - lo) if hi > lo else 0.5
        rating_score[~known] = np.median(rating_score[known])
    return (1 - rating_share) * follow_score + rating_share * rating_score


@dataclass(frozen=True)
class WeightChoice:
    """The weight :func:`choose_weight` picked, and the scores it picked it from."""

    weight: float
    measure: str
    reason: str
    weights: tuple[float, ...] = ()
    recall: tuple[float, ...] = ()
    gap_se: tuple[float, ...] = ()
    coherence: tuple[float, ...] = ()
    related_rows: int = 0
    coherence_rows: int = 0

    def to_json(self) -> dict[str, Any]:
        """JSON-ready: floats rounded to 6 decimals."""
        def r(values: tuple[float, ...]) -> list[float]:
            return [round(float(v), 6) for v in values]

        return {
            "weight": self.weight, "measure": self.measure, "reason": self.reason, "weights": r(self.weights),
            "recall": r(self.recall), "gap_se": r(self.gap_se), "coherence": r(self.coherence),
            "related_rows": self.related_rows, "coherence_rows": self.coherence_rows,
        }


def _sampled_tables(
    rows: np.ndarray, parts: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]], weights: Sequence[float],
    n: int, k: int,
) -> np.ndarray:
    """Top-k lists of ``rows`` under each weight, shape (n_weights, n_rows, k), int32.

    The two distances of a block are computed once; one compiled scan ranks them under every
    weight at once (:func:`~sitegen.analysis.blended.blended_top_k`), ties broken exactly as in
    the real search.
    """
    out = np.empty((len(weights), rows.size, k), dtype=np.int32)
    alphas, betas = blend_scales(weights)
    step = max(1, BLOCK_BYTES // (4 * max(n, 1)))
    for start in range(0, rows.size, step):
        block = rows[start : start + step].astype(np.int64)
        a, b = parts(block)
        blended_top_k(a, b, alphas, betas, block, k, out[:, start : start + block.size])
    return out


def choose_weight(
    catalogue: Catalogue,
    parts: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    weights: Sequence[float],
    *,
    k: int,
    sample: int,
    seed: int,
    max_coherence_loss: float = 0.05,
    min_related: int = 30,
) -> WeightChoice:
    """Pick the popularity weight by related-title recall@k (see the module docstring).

    Parameters
    ----------
    catalogue : Catalogue
    parts : callable
        ``parts(rows) -> (a, b)``: the two distances blended, float32, ``a`` of shape
        (len(rows), n_manga) and ``b`` the same or (1, n_manga) (a term of the candidate alone);
        weight ``w`` ranks by ``(1 - w) a + w b`` (:func:`~sitegen.analysis.blended.blend_scales`).
    weights : sequence of float
        Candidates; duplicates are dropped and they are tried in ascending order.
    k, sample, seed : int
        List length, manga per sample, and the seed of both samples.
    max_coherence_loss : float
        Largest relative fall in tag coherence allowed against the smallest weight.
    min_related : int
        Fewest manga with related titles needed to choose at all.
    """
    weights = tuple(sorted({float(w) for w in weights}))
    n = len(catalogue)
    related = related_matrix(catalogue)
    with_related = np.flatnonzero(np.diff(related.indptr) > 0)
    if with_related.size < min_related or n < 2:
        reason = f"{with_related.size} manga have related titles (need {min_related}): no evidence, smallest weight kept"
        return WeightChoice(weights[0], "none", reason, weights, related_rows=int(with_related.size))
    k = min(k, n - 1)
    rng = np.random.default_rng([seed, 3])
    rec = np.sort(rng.choice(with_related, size=min(sample, with_related.size), replace=False))
    coh = np.sort(rng.choice(n, size=min(sample, n), replace=False))
    rows = np.union1d(rec, coh)
    tables = _sampled_tables(rows, parts, weights, n, k)
    bits = tag_bits(catalogue.matrix)
    recalls = np.array([related_recall(related, rec, t[np.searchsorted(rows, rec)]) for t in tables])
    coherence = np.array([coherence_rows(bits, coh, t[np.searchsorted(rows, coh)]).mean() for t in tables])
    chosen, best, gap_se = pick_weight(recalls, coherence, max_coherence_loss)
    recall = recalls.mean(axis=1)
    reason = (
        f"recall@{k} {recall[chosen]:.4f} at weight {weights[chosen]}, best {recall[best]:.4f} at {weights[best]}; "
        f"smallest weight within one standard error of the best, coherence loss <= {max_coherence_loss:.0%}"
    )
    return WeightChoice(
        weights[chosen], "related_recall", reason, weights, tuple(recall), tuple(gap_se), tuple(coherence),
        int(rec.size), int(coh.size),
    )


def pick_weight(recalls: np.ndarray, coherence: np.ndarray, max_coherence_loss: float) -> tuple[int, int, np.ndarray]:
    """The rule behind :func:`choose_weight`, on scores already computed.

    Parameters
    ----------
    recalls : ndarray, shape (n_weights, n_rows)
        Related-title recall of each sampled manga under each weight, weights ascending.
    coherence : ndarray, shape (n_weights,)
        Mean tag coherence under each weight.
    max_coherence_loss : float

    Returns
    -------
    chosen, best : int
        Index of the chosen weight, and of the allowed weight with the highest mean recall.
    gap_se : ndarray, shape (n_weights,)
        Standard error of each weight's recall gap to the best. The gap is paired (same manga
        under both weights), which is far less noisy than comparing two separate means.
    """
    allowed = coherence >= (1 - max_coherence_loss) * coherence[0] - 1e-12
    allowed[0] = True  # the smallest weight is the reference and always allowed
    mean = recalls.mean(axis=1)
    best = int(np.argmax(np.where(allowed, mean, -np.inf)))
    gaps = recalls[best][None, :] - recalls
    m = recalls.shape[1]
    gap_se = gaps.std(axis=1, ddof=1) / np.sqrt(m) if m > 1 else np.zeros(len(mean))
    ok = allowed & (gaps.mean(axis=1) <= gap_se + 1e-12)
    return int(np.flatnonzero(ok)[0]), best, gap_se


class PopularityBlend(Model):
    """A base model's distance blended with the candidate's popularity (see module docstring).

    Parameters
    ----------
    base : Model, optional
        The model re-ranked (default: LSI with default hyperparameters); copied, then fitted.
        Built from a config, it is the ``lsi`` model as that config sets it.
    **params
        As declared in ``params``: ``weights`` tried by :func:`choose_weight` or a fixed
        ``weight``, the popularity score's ``rating_share``, the ``sample`` and list length ``k``
        used while choosing, and the guard ``max_coherence_loss``.
    """

    name = "lsi_popularity"
    label = "LSI + popularity"
    metric = "custom"
    ties_among_twins = False  # twins differ in follows and rating, so in distance (but at weight 0)
    summary = "LSI distance blended with log follows and bayesian rating, weight chosen by related-title recall"

    params = {
        "weights": Param(DEFAULT_WEIGHTS, "weights of popularity tried when choosing the blend, each in [0, 1)",
                         each(WEIGHT)),
        "weight": Param(None, "a fixed popularity weight in [0, 1); unset: chosen from the weights", WEIGHT, kind=float),
        "rating_share": Param(0.5, "share of the bayesian rating (the rest is log follows) in the popularity score",
                              between(0, 1)),
        "sample": Param(2000, "manga sampled when choosing the weight", at_least(1)),
        "k": Param(None, "list length when choosing the weight; unset: the build's neighbours.k", at_least(1),
                   follows="neighbours.k", kind=int),
        "max_coherence_loss": Param(0.05, "largest relative fall in tag coherence the chosen weight may cause",
                                    between(0, 1)),
    }

    def __init__(self, base: Model | None = None, *, seed: int = 0, **params: Any) -> None:
        super().__init__(seed=seed, **params)
        self.base = base

    @classmethod
    def from_config(cls, config: BuildConfig) -> Self:
        return cls(base=LSI.from_config(config), seed=config.seed, **cls.configured_params(config))

    def fit(self, catalogue: Catalogue) -> Self:
        base = copy.deepcopy(self.base) if self.base is not None else LSI(seed=self.seed)
        self.base_ = base.fit(catalogue)
        self.popularity_ = popularity_scores(catalogue, self.rating_share)
        self.penalty_ = (1.0 - self.popularity_).astype(np.float32)[None, :]  # (1, n_manga)
        if self.weight is None:
            self.choice_ = choose_weight(
                catalogue, self._parts, self.weights, k=self.k or DEFAULT_K, sample=self.sample,
                seed=self.seed, max_coherence_loss=self.max_coherence_loss,
            )
            self.weight_ = self.choice_.weight
            log.info("popularity weight %s chosen by %s: %s", self.weight_, self.choice_.measure, self.choice_.reason)
        else:
            self.choice_ = None
            self.weight_ = float(self.weight)
        self.embedding_ = self.base_.embedding_
        # the blend adds a term of the listed manga alone, so rows are shared when the base's are
        self.rows_by_tag_set = self.base_.rows_by_tag_set
        # at weight 0 it is its base, ties and all (then shown once: see analysis.selection)
        self.ties_among_twins = self.weight_ == 0 and self.base_.ties_among_twins
        return self

    def distances(self, rows: np.ndarray, cols: np.ndarray | None = None, *, twin_diagonal: bool = False) -> np.ndarray:
        """Blended distances, shape (n_rows, n_manga or n_cols), float32; lower is closer."""
        # The base block is a fresh array: blending it in place saves a copy of a large block.
        base = self.base_.distances(rows, cols, twin_diagonal=twin_diagonal)
        return self._blend(base, self.weight_, inplace=True, cols=cols)

    def same_lists_as(self, other: Model) -> bool:
        """At weight 0 the blend is its base: the same as ``other`` when that is the base's model
        with the same hyperparameters, fitted alike (at 1,000,000 synthetic manga, whose
        popularity says nothing of relations, weight 0 is chosen and a second search cost 144 s)."""
        base = self.base_
        return (self.weight_ == 0 and type(other) is type(base) and other.get_params() == base.get_params()
                and other.needs_tags == self.needs_tags and np.array_equal(other.embedding_, base.embedding_))

    def _parts(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The base distances from ``rows`` and the candidates' penalty, shapes (n_rows, n_manga)
        and (1, n_manga): what :func:`choose_weight` blends."""
        return self.base_.distances(rows), self.penalty_

    def _keys(self) -> np.ndarray:
        return self.base_._keys()  # the vector form the partitioned search clusters

    def sparse_product(self) -> SparseProduct | None:
        """The base's sparse product plus the candidate's penalty, ``w / (1 - w) * (1 - p_j)``, as
        a term of the listed manga (float32, as :meth:`distances` adds it); None at weight 0 (the
        base's own lists serve) or when the base has none."""
        base = self.base_.sparse_product()
        if base is None or self.weight_ == 0:
            return None
        add = np.float32(self.weight_ / (1.0 - self.weight_)) * self.penalty_[0]
        return base._replace(col_add=add.astype(np.float32))

    def release_search_state(self) -> None:
        super().release_search_state()
        self.base_.release_search_state()

    def _blend(self, base: np.ndarray, weight: float, *, inplace: bool = False, cols: np.ndarray | None = None) -> np.ndarray:
        """``base + w / (1 - w) * penalty``, float32; written into ``base`` when ``inplace``."""
        if weight == 0:
            return base
        blended = base if inplace and base.dtype == np.float32 else base.astype(np.float32)
        blended += np.float32(weight / (1.0 - weight)) * (self.penalty_ if cols is None else self.penalty_[:, cols])
        return blended
