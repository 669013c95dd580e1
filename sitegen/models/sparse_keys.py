"""Keys as a sparse matrix times a small basis: the network models' and the tag models' keys, cheap to multiply.

A network model's key for manga ``j`` is a few numbers of that manga times its row of the tag
matrix, through an ``m x p`` matrix shared by every manga, plus a few columns of its own (the
degree and component terms): ``keys = rows @ basis`` with ``rows`` holding about as many
entries per manga as it has tags (4.8 in the synthetic catalogue, against ``p`` = 78 to 155
dense key columns). A distance block then costs ``queries @ basis.T`` (rows x ``M``, small) and
a sparse product with about 9 multiply-adds per pair instead of ``p``
(:mod:`sitegen.analysis.sparse_scan` does it inside the exact search).

The tag models compared by cosine (LSI, word2vec and their itemset variants) have the same form:
a manga's vector is its sparse row of tag (and itemset) weights times the model's small matrix
of term vectors (:func:`cosine_product`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp


class SparseProduct(NamedTuple):
    """A model's distance block as ``queries[rows] @ (keys as a matrix)[cols].T``, then its finish.

    ``row_scale`` is None for a symmetric distance; for a row-scaled symmetric one it is ``c``,
    shape (n,), and the distance from ``i`` to ``j`` is ``min(1 + c_i M_ij, 1)`` (global silencing).
    ``col_add``, shape (n,) float32, is a term of the listed manga alone added to the product (the
    popularity blend's): the distance is then not symmetric, and every query is compared with every
    manga (:func:`sitegen.analysis.sparse_scan.scan_sparse_rows`).
    """

    queries: np.ndarray
    keys: SparseKeys
    row_scale: np.ndarray | None = None
    col_add: np.ndarray | None = None

    @property
    def halves(self) -> bool:
        """True when one product serves both ends of a pair, so the exact search makes half the pairs."""
        return self.col_add is None


@dataclass(frozen=True)
class SparseKeys:
    """``keys_ = rows @ basis`` (to float32 rounding).

    Attributes
    ----------
    indptr : ndarray of int64, shape (n + 1,)
    indices : ndarray of int64, shape (nnz,)
    data : ndarray of float32, shape (nnz,)
        ``rows`` as CSR, shape (n, M); explicit zeros dropped.
    basis : ndarray, shape (M, p), float32
    """

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    basis: np.ndarray

    @classmethod
    def from_parts(cls, scaled: sp.spmatrix, transform: np.ndarray, tail: np.ndarray) -> SparseKeys:
        """Keys ``[scaled @ transform, tail]``: a sparse part through ``transform`` and columns
        kept as they are (each a column of ``rows`` with an identity row in ``basis``).

        Parameters
        ----------
        scaled : sparse matrix, shape (n, M1)
        transform : ndarray, shape (M1, r)
        tail : ndarray, shape (n, e)
        """
        m1, r = transform.shape
        e = tail.shape[1]
        rows = sp.hstack([sp.csr_matrix(scaled, dtype=np.float64), sp.csr_matrix(np.asarray(tail, dtype=np.float64))],
                         format="csr")
        rows.eliminate_zeros()
        rows.sort_indices()
        basis = np.zeros((m1 + e, r + e))
        basis[:m1, :r] = transform
        basis[m1:, r:] = np.eye(e)
        return cls(rows.indptr.astype(np.int64), rows.indices.astype(np.int64), rows.data.astype(np.float32),
                   basis.astype(np.float32))

    def matrix(self) -> sp.csr_matrix:
        """``rows`` as a scipy CSR matrix, shape (n, M)."""
        return sp.csr_matrix((self.data, self.indices, self.indptr), shape=(len(self.indptr) - 1, self.basis.shape[0]))

    def project(self, queries: np.ndarray) -> np.ndarray:
        """``(queries @ basis.T).T``, shape (M, len(queries)), float32 and C-contiguous: each
        column of ``rows`` becomes a row the scan adds along."""
        return np.ascontiguousarray((np.asarray(queries, dtype=np.float32) @ self.basis.T).T)


def cosine_product(rows: sp.spmatrix, basis: np.ndarray) -> SparseProduct:
    """The cosine distance between the vectors ``rows @ basis`` as a sparse product.

    With ``u_j`` the unit vector of manga ``j`` (zero for a zero vector), ``1 - u_i . u_j`` is
    ``[-u_i, 1] . [u_j, 1]``: the queries are dense, the keys ``[rows_j / |v_j|, 1]`` through
    ``basis`` (and the constant column through an identity row).

    Parameters
    ----------
    rows : sparse matrix, shape (n, M)
    basis : ndarray, shape (M, p)

    Returns
    -------
    SparseProduct
        Queries of shape (n, p + 1), float32; keys with ``M + 1`` columns of rows.
    """
    rows = sp.csr_matrix(rows, dtype=np.float64)
    basis = np.asarray(basis, dtype=np.float64)
    vectors = np.asarray(rows @ basis)
    norms = np.linalg.norm(vectors, axis=1)
    inverse = 1.0 / np.where(norms > 0, norms, 1.0)
    ones = np.ones((rows.shape[0], 1))
    keys = SparseKeys.from_parts(sp.diags(inverse) @ rows, basis, ones)
    queries = np.hstack([vectors * -inverse[:, None], ones]).astype(np.float32)
    return SparseProduct(queries, keys)
