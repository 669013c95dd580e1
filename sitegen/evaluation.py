"""How the models' neighbour lists compare: with each other, and with random recommendations.

Every measure takes neighbour tables, shape (n_manga, k), int32 (negative = no neighbour):

* **Agreement** of two models: mean over manga of the Jaccard index of their two top-k sets.
* **Tag coherence**: mean over manga of the mean Jaccard index of its tag set with each
  neighbour's tag set (do the recommendations look like the manga?).
* **Coverage**: share of manga recommended at least once (can a reader reach the whole
  catalogue by following recommendations?).
* **Concentration**: Gini coefficient of how often each manga is recommended (0 = evenly, 1 =
  every list shows the same few titles: the signature of popularity bias).
* **Related-title recall@k**: for manga with sequels, prequels, side stories, spin-offs or
  same-franchise titles in the catalogue, the share of those found among its neighbours.

The **null model** recommends, for each manga, k distinct random others (never itself), drawn
with ``numpy.random.default_rng(seed)``; every measure is reported for it too.

p-values use a seeded sample of manga (``sample``; all manga when fewer) and the +1 correction
``(1 + #{null >= observed}) / (1 + draws)``, so they are never 0 and are honest Monte Carlo
p-values for the mean over that sample; the reported means use every manga.

* Agreement of models A and B is tested by **permuting row correspondence**: the null is that
  B's list for manga i shares no more with A's list for i than B's list for some other manga
  does. This keeps each model's own habits (how concentrated its lists are), which a uniform
  random null would not, so a high p-value flags agreement explained by both models
  recommending the same hits everywhere. All sample-row pairs are scored once (an m x m matrix
  from one sparse product), after which each permutation is a gather of m entries.
* Coherence and related recall are tested against **draws of the null model** on the sample
  rows (related hits per row are hypergeometric, so those draws are exact and cheap).
"""

from __future__ import annotations

import itertools
import logging
import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

import numpy as np
import scipy.sparse as sp
from scipy.stats import hypergeom

from .neighbours import GRID, _topk_block

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
        picks = rng.integers(0, n - 1, size=(m, k))
        while True:
            ordered = np.sort(picks, axis=1)
            bad = np.flatnonzero((ordered[:, 1:] == ordered[:, :-1]).any(axis=1))
            if not bad.size:
                break
            picks[bad] = rng.integers(0, n - 1, size=(bad.size, k))
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


def list_jaccard(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise Jaccard index of two neighbour tables (two empty rows count as identical).

    Parameters
    ----------
    a, b : ndarray of int, shape (n, k_a) and (n, k_b); negative entries are ignored.

    Returns
    -------
    ndarray, shape (n,), float64
    """
    b = np.where(b < 0, -2, b)  # a missing entry in b must not match one in a
    common = np.empty(a.shape[0], dtype=np.int64)
    step = max(1, _PAIRS_PER_CHUNK // max(a.shape[1] * b.shape[1], 1))
    for start in range(0, a.shape[0], step):
        part = slice(start, start + step)
        common[part] = (a[part, :, None] == b[part, None, :]).sum(axis=(1, 2))
    union = (a >= 0).sum(axis=1) + (b >= 0).sum(axis=1) - common
    return np.where(union > 0, common / np.maximum(union, 1), 1.0)


def indicator(table: np.ndarray, n: int) -> sp.csr_matrix:
    """Neighbour table as a 0/1 sparse matrix, shape (n_rows, n): row i marks i's neighbours."""
    valid = table >= 0
    rows = np.repeat(np.arange(table.shape[0]), valid.sum(axis=1))
    data = np.ones(rows.size, dtype=np.float32)
    return sp.csr_matrix((data, (rows, table[valid])), shape=(table.shape[0], n))


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
    common = (indicator(a, n) @ indicator(b, n).T).toarray()  # (m, m): |A_i & B_j| for all i, j
    union = (a >= 0).sum(axis=1)[:, None] + (b >= 0).sum(axis=1)[None, :] - common
    jac = np.where(union > 0, common / np.maximum(union, 1), 1.0)
    observed = float(np.mean(np.diag(jac)))
    permuted = jac[np.arange(a.shape[0])[None, :], perms].mean(axis=1)
    p_value = (1 + int(np.sum(permuted >= observed - 1e-12))) / (1 + perms.shape[0])
    return observed, float(permuted.mean()), p_value


def tag_bits(matrix: sp.spmatrix) -> np.ndarray:
    """Tag sets packed into bytes, shape (n_manga, ceil(n_tags / 8)), uint8."""
    return np.packbits(sp.csr_matrix(matrix).toarray() != 0, axis=1)


def coherence_rows(bits: np.ndarray, rows: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Mean tag Jaccard index of each manga with its neighbours (0 when it has none).

    Parameters
    ----------
    bits : ndarray, shape (n_manga, n_bytes), uint8, from :func:`tag_bits`
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
        own = bits[rows[part]][:, None, :]
        valid = table[part] >= 0
        other = bits[np.where(valid, table[part], 0)]
        inter = _POPCOUNT[own & other].sum(axis=-1, dtype=np.int64)
        union = _POPCOUNT[own | other].sum(axis=-1, dtype=np.int64)
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


def _r(x: float | None, digits: int = 6) -> float | None:
    """Round for a stable JSON file; non-finite values become null."""
    return None if x is None or not math.isfinite(x) else round(float(x), digits)
