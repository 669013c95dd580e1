"""The measures behind the evaluation: neighbour-list overlap, tag coherence, coverage,
concentration, related-title recall, and the null model's random lists.

Every function takes neighbour tables of shape (n_manga, k), int32 (negative = no neighbour);
:mod:`sitegen.analysis.evaluation` combines them into the report, and the popularity model uses them to
choose its weight.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numba
import numpy as np
import scipy.sparse as sp
from scipy.stats import hypergeom

if TYPE_CHECKING:
    from ..sources.catalogue import Catalogue

#: MangaDex ``related`` kinds that count as the same story. ``main_story`` is how a side story
#: or spin-off points back at its original, so it is included for symmetry.
#: Relations of the same story or world: a reader of one wants the others (adaptations, doujinshi
#: and colour editions are not a different story to recommend).
RELATED_KINDS = frozenset({"sequel", "prequel", "side_story", "main_story", "spin_off", "same_franchise",
                           "shared_universe", "alternate_story"})
_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)
PAIRS_PER_CHUNK = 400_000  # (row, neighbour) pairs per vectorized step: a few tens of MB


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


@numba.njit(parallel=True, cache=True, nogil=True)
def _sorted_jaccard(a, b, out):  # pragma: no cover - compiled
    for i in numba.prange(a.shape[0]):
        p, q, common = 0, 0, 0
        while p < a.shape[1] and a[i, p] < 0:  # no neighbour sorts first
            p += 1
        while q < b.shape[1] and b[i, q] < 0:
            q += 1
        size_a, size_b = a.shape[1] - p, b.shape[1] - q
        while p < a.shape[1] and q < b.shape[1]:
            if a[i, p] == b[i, q]:
                common += 1
                p += 1
                q += 1
            elif a[i, p] < b[i, q]:
                p += 1
            else:
                q += 1
        union = size_a + size_b - common
        out[i] = common / union if union > 0 else 1.0


def sorted_jaccard(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise Jaccard index of two neighbour tables whose rows are sorted ascending (two empty
    rows count as 1): one merge a row, no matrix of marks (at 1,000,000 manga those took 160 MB a
    model, held for every model at once).

    Parameters
    ----------
    a, b : ndarray of int, shape (n, k_a) and (n, k_b)
        Each row ascending, its entries distinct; negative entries (no neighbour) are left out.

    Returns
    -------
    ndarray, shape (n,), float64
    """
    out = np.empty(a.shape[0], dtype=np.float64)
    _sorted_jaccard(np.ascontiguousarray(a), np.ascontiguousarray(b), out)
    return out


def list_jaccard(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise Jaccard index of two neighbour tables, shape (n, k_a) and (n, k_b) -> (n,)."""
    return sorted_jaccard(np.sort(a, axis=1), np.sort(b, axis=1))


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
    step = max(1, PAIRS_PER_CHUNK // max(table.shape[1], 1))
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


def monte_carlo_p(null_draws: np.ndarray, observed: float) -> float:
    return (1 + int(np.sum(null_draws >= observed - 1e-12))) / (1 + null_draws.size)


def json_safe(value: Any) -> Any:
    """Floats rounded to 6 decimals for a stable file; non-finite floats become null."""
    if isinstance(value, dict):
        return {key: json_safe(v) for key, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return round(float(value), 6) if math.isfinite(value) else None
    return value
