"""Latent semantic indexing: tf-idf of the manga x tag matrix, truncated SVD, cosine."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from ..linalg import fixed_signs
from ..params import Param, at_least
from .base import Model

if TYPE_CHECKING:
    from typing import Self

    from ..sources.catalogue import Catalogue

RANK = Param(24, "singular vectors kept by the truncated SVD (at most the number of terms)", at_least(1))


def tfidf(counts: sp.spmatrix, idf: np.ndarray) -> sp.csr_matrix:
    """Term frequency (share of the manga's tags) times inverse document frequency.

    Parameters
    ----------
    counts : sparse, shape (n_docs, n_terms)
    idf : ndarray, shape (n_terms,)
    """
    counts = sp.csr_matrix(counts, dtype=np.float64)
    totals = np.asarray(counts.sum(axis=1)).ravel()
    tf = sp.diags(1.0 / np.where(totals > 0, totals, 1.0)) @ counts
    return sp.csr_matrix(tf @ sp.diags(idf))


class LSI(Model):
    """tf-idf + truncated SVD; a manga is its row of U, compared by cosine.

    Parameters
    ----------
    rank : int
        Number of singular vectors kept (capped at the number of tags).
    """

    name = "lsi"
    label = "LSI"
    metric = "cosine"
    summary = "tf-idf of tags, truncated SVD, cosine between manga"
    rows_by_tag_set = True  # vectors are a function of the tag set

    params = {"rank": RANK}

    def fit(self, catalogue: Catalogue) -> Self:
        b = self.terms(catalogue.matrix)
        df = np.asarray((b > 0).sum(axis=0)).ravel()
        self.idf_ = np.log(b.shape[0] / np.maximum(df, 1))
        m = tfidf(b, self.idf_)
        # The SVD of a tall matrix with ~77 columns comes from the eigenvectors of its small
        # Gram matrix M^T M = V S^2 V^T: exact, fast, and free of random starts.
        gram = (m.T @ m).toarray()
        eigvals, eigvecs = np.linalg.eigh(gram)
        order = np.argsort(eigvals)[::-1]
        rank = min(self.rank, int(np.sum(eigvals > 1e-10 * max(eigvals.max(), 1e-300))))
        keep = order[:rank]
        self.singular_values_ = np.sqrt(eigvals[keep])
        self.components_ = fixed_signs(eigvecs[:, keep])  # V_k, shape (n_tags, rank)
        self.embedding_ = np.asarray(m @ self._basis(), dtype=np.float32)
        self.sparse_rows_ = m  # until the search (sparse_terms)
        return self

    def sparse_terms(self) -> tuple[sp.csr_matrix, np.ndarray] | None:
        """The tf-idf rows and ``V_k S_k^-1``: ``embedding_`` is their product."""
        rows = self.__dict__.get("sparse_rows_")
        return None if rows is None else (rows, self._basis())

    def _basis(self) -> np.ndarray:
        return self.components_ / self.singular_values_

    def transform(self, tags: sp.spmatrix) -> np.ndarray:
        """Fold tag sets in: q_k = S_k^-1 V_k^T q, with q the tf-idf row of each tag set.

        For a manga of the fitted catalogue this is exactly its row of U_k, and it is the path
        a reader's own library takes when the site personalizes.
        """
        return self._fold(self.terms(tags))

    def _fold(self, terms: sp.spmatrix) -> np.ndarray:
        return np.asarray(tfidf(terms, self.idf_) @ self._basis(), dtype=np.float32)
