"""Frequent tag itemsets and association rules over the manga x tag matrix.

An itemset is a set of tags that appear together on at least a given share of manga (its
support). Itemsets are mined level by level (Apriori): the manga carrying each frequent set of
size s form one sparse indicator column, and one sparse product with the tag matrix counts every
extension by a later tag at once. Every subset of a frequent set is frequent, so the rules built
from the mined sets find the support of every antecedent and consequent among them.

A rule ``A -> C`` (A and C disjoint, A | C frequent) has

* support ``s(A | C)``: share of manga with all of its tags,
* confidence ``s(A | C) / s(A)``: share of manga with A that also have C,
* lift ``confidence / s(C)``: how many times likelier C is given A than in general.

Everything here is a pure function of a binary matrix; only :func:`rules_json` reads a catalogue.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from ..params import Param, at_least, between

if TYPE_CHECKING:
    from ..sources.catalogue import Catalogue

Items = tuple[int, ...]

# Declared once here and used by the itemset models and the tag-rules page alike.
MIN_SUPPORT = Param(0.005, "smallest share of manga a tag itemset needs to become a word or a rule", between(0, 1))
MAX_SIZE = Param(3, "largest tag itemset mined (2 = pairs, 3 = pairs and triples)", at_least(2))
MIN_CONFIDENCE = Param(0.5, "smallest confidence of an association rule written for the tags page", between(0, 1))
MAX_RULES = Param(500, "most association rules written for the tags page, highest lift first", at_least(1))


@dataclass(frozen=True)
class Itemsets:
    """Frequent itemsets of tag columns, smallest first, then in lexicographic order.

    Attributes
    ----------
    items : tuple of tuple of int
        Ascending tag columns of each itemset (singletons included).
    counts : ndarray, shape (n_itemsets,), int64
        Number of manga carrying every tag of the itemset.
    n_rows : int
        Number of manga mined (the support denominator).
    """

    items: tuple[Items, ...]
    counts: np.ndarray
    n_rows: int

    def __len__(self) -> int:
        return len(self.items)

    @cached_property
    def count_of(self) -> dict[Items, int]:
        """Itemset -> number of manga carrying it."""
        return {s: int(c) for s, c in zip(self.items, self.counts)}

    def support(self, items: Items) -> float:
        """Share of manga carrying every tag of ``items`` (which must be frequent)."""
        return self.count_of[items] / max(self.n_rows, 1)


@dataclass(frozen=True)
class Rule:
    """One association rule ``antecedent -> consequent`` between disjoint tag sets."""

    antecedent: Items
    consequent: Items
    count: int
    support: float
    confidence: float
    lift: float


def min_count(n_rows: int, min_support: float, floor: int = 2) -> int:
    """Fewest manga an itemset needs: ``ceil(min_support * n_rows)``, never below ``floor``.

    The floor keeps a tag pair seen on a single manga from counting as a pattern in small
    catalogues, where any support threshold rounds down to one manga.
    """
    return max(floor, math.ceil(min_support * n_rows - 1e-9))


def frequent_itemsets(matrix: sp.spmatrix, *, min_support: float, max_size: int = 3, floor: int = 2) -> Itemsets:
    """All tag sets of up to ``max_size`` tags carried by at least ``min_count`` manga.

    Parameters
    ----------
    matrix : sparse matrix, shape (n_manga, n_tags)
        Binary manga x tag matrix (non-zero = the manga has the tag).
    min_support : float
        Smallest share of manga an itemset must reach, in [0, 1].
    max_size : int
        Largest itemset mined.
    floor : int
        Smallest count ever accepted (see :func:`min_count`).

    Returns
    -------
    Itemsets
    """
    b = sp.csc_matrix(matrix, dtype=np.float64)
    b.data[:] = 1.0
    n_rows, n_tags = b.shape
    threshold = min_count(n_rows, min_support, floor)
    singles = np.asarray(b.sum(axis=0)).ravel().astype(np.int64)
    keep = np.flatnonzero(singles >= threshold)
    level_items = [(int(j),) for j in keep]
    level_ind = b[:, keep]  # (n_manga, n_level) indicator of the current level's itemsets
    all_items, all_counts = list(level_items), [singles[keep]]
    for _ in range(1, max_size):
        if not level_items:
            break
        # counts[s, c] = manga carrying itemset s and tag c, for every s and c in one product.
        counts = np.asarray((level_ind.T @ b).todense(), dtype=np.int64)
        last = np.array([s[-1] for s in level_items])
        counts[np.arange(n_tags)[None, :] <= last[:, None]] = 0  # extend by later tags only
        parent, tag = np.nonzero(counts >= threshold)  # row-major: lexicographic order
        level_items = [level_items[p] + (int(t),) for p, t in zip(parent, tag)]
        level_ind = sp.csc_matrix(level_ind[:, parent].multiply(b[:, tag]))
        all_items.extend(level_items)
        all_counts.append(counts[parent, tag])
    counts_arr = np.concatenate(all_counts) if all_counts else np.zeros(0, dtype=np.int64)
    return Itemsets(tuple(all_items), counts_arr.astype(np.int64), n_rows)


def top_itemsets(itemsets: Itemsets, limit: int, *, min_size: int = 2) -> tuple[Items, ...]:
    """The ``limit`` most supported itemsets of at least ``min_size`` tags.

    Ties go to smaller sets, then lexicographic order, so the choice is deterministic.
    """
    ranked = sorted(
        (s for s in itemsets.items if len(s) >= min_size),
        key=lambda s: (-itemsets.count_of[s], len(s), s),
    )
    return tuple(ranked[: max(limit, 0)])


def indicator(matrix: sp.spmatrix, items: tuple[Items, ...]) -> sp.csr_matrix:
    """Which rows carry every tag of each itemset.

    Parameters
    ----------
    matrix : sparse matrix, shape (n_rows, n_tags)
        Tag rows (non-zero = has the tag).
    items : tuple of tuple of int, length n_itemsets

    Returns
    -------
    csr_matrix, shape (n_rows, n_itemsets), float64, entries 0 or 1
    """
    n_rows = matrix.shape[0]
    if not items:
        return sp.csr_matrix((n_rows, 0), dtype=np.float64)
    dense = sp.csr_matrix(matrix).toarray() != 0  # (n_rows, n_tags) bool: small, gathers fast
    width = max(len(s) for s in items)
    # Pad every itemset to the same width by repeating its first tag (a no-op in the AND).
    padded = np.array([s + (s[0],) * (width - len(s)) for s in items], dtype=np.intp)
    hit = dense[:, padded[:, 0]]
    for col in range(1, width):
        hit &= dense[:, padded[:, col]]
    return sp.csr_matrix(hit, dtype=np.float64)


def association_rules(itemsets: Itemsets, *, min_confidence: float = 0.0) -> list[Rule]:
    """Every rule ``A -> C`` with ``A | C`` frequent and confidence at least ``min_confidence``.

    Returns
    -------
    list of Rule
        Strongest first: by lift, then confidence, then support, then tags.
    """
    rules = []
    n = max(itemsets.n_rows, 1)
    count_of = itemsets.count_of
    for items, count in count_of.items():
        for size in range(1, len(items)):
            for ante in itertools.combinations(items, size):
                cons = tuple(t for t in items if t not in ante)
                confidence = count / count_of[ante]
                if confidence + 1e-12 < min_confidence:
                    continue
                lift = confidence / (count_of[cons] / n)
                rules.append(Rule(ante, cons, count, count / n, confidence, lift))
    rules.sort(key=lambda r: (-r.lift, -r.confidence, -r.count, r.antecedent, r.consequent))
    return rules


def rules_json(
    catalogue: Catalogue,
    *,
    min_support: float = MIN_SUPPORT.default,
    max_size: int = MAX_SIZE.default,
    min_confidence: float = MIN_CONFIDENCE.default,
    max_itemsets: int = 500,
    max_rules: int = MAX_RULES.default,
) -> dict[str, Any]:
    """Frequent itemsets and association rules of a catalogue, ready for ``json.dump``.

    Tags are referred to by MangaDex id; ``tags`` maps each id used to its name, group and
    count. Floats are rounded so the file is stable across platforms.

    Returns
    -------
    dict
        ``{n_manga, min_support, min_count, min_confidence, max_size, tags, itemsets, rules}``;
        ``itemsets`` (size >= 2, most supported first) and ``rules`` (highest lift first) are
        truncated to ``max_itemsets`` and ``max_rules``, with the totals in ``*_total``.
    """
    found = frequent_itemsets(catalogue.matrix, min_support=min_support, max_size=max_size)
    rules = association_rules(found, min_confidence=min_confidence)
    multi = top_itemsets(found, max_itemsets, min_size=2)
    shown_rules = rules[:max_rules]
    ids = [t.id for t in catalogue.tags]
    used = sorted({t for s in multi for t in s} | {t for r in shown_rules for t in r.antecedent + r.consequent})
    n = max(len(catalogue), 1)
    return {
        "n_manga": len(catalogue),
        "min_support": min_support,
        "min_count": min_count(len(catalogue), min_support),
        "min_confidence": min_confidence,
        "max_size": max_size,
        "tags": {
            ids[j]: {"name": catalogue.tags[j].name, "group": catalogue.tags[j].group,
                     "count": found.count_of.get((j,), 0)}
            for j in used
        },
        "itemsets_total": sum(1 for s in found.items if len(s) >= 2),
        "itemsets": [
            {"tags": [ids[t] for t in s], "count": found.count_of[s], "support": _round(found.count_of[s] / n)}
            for s in multi
        ],
        "rules_total": len(rules),
        "rules": [
            {
                "antecedent": [ids[t] for t in r.antecedent],
                "consequent": [ids[t] for t in r.consequent],
                "count": r.count,
                "support": _round(r.support),
                "confidence": _round(r.confidence),
                "lift": _round(r.lift),
            }
            for r in shown_rules
        ],
    }


def _round(x: float) -> float:
    """Six significant decimals: enough for a page, immune to last-bit float noise."""
    return float(round(x, 6))
