"""LSI and word2vec with frequent tag itemsets as extra words.

The write-up's first extension: a pair or triple of tags that often appear together becomes a
word of its own, so "Romance + School Life" can weigh differently from the two tags apart. The
itemsets are mined from the catalogue at fit time (:mod:`sitegen.analysis.itemsets`) and only the most
supported ``max_terms`` are kept. The cap matters for word2vec: every term of a manga is in
every other's context, so training grows with the square of the terms per manga (on 64k
synthetic manga, 128 itemsets take a manga from 4.9 to 13 terms on average, 256 to 17).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from ..analysis.itemsets import MAX_SIZE, MIN_SUPPORT, Items, frequent_itemsets, indicator, top_itemsets
from ..params import Param, at_least
from .lsi import LSI
from .word2vec import Word2Vec

if TYPE_CHECKING:
    from typing import Self

    from ..sources.catalogue import Catalogue


#: The itemset miner's parameters, shared by both itemset models.
ITEMSET_PARAMS = {
    "min_support": MIN_SUPPORT,
    "max_size": MAX_SIZE,
    "max_terms": Param(128, "most itemsets added as words, the most supported first", at_least(1)),
}


class _ItemsetTerms:
    """Mixin: the vocabulary is the tags followed by one column per mined itemset.

    The host class declares ``min_support``, ``max_size`` and ``max_terms`` (:data:`ITEMSET_PARAMS`);
    :meth:`_mine` sets ``itemsets_`` before the host's ``fit`` asks for :meth:`terms`.
    """

    min_support: float
    max_size: int
    max_terms: int
    itemsets_: tuple[Items, ...]

    def fit(self, catalogue: Catalogue) -> Self:
        """Mine the itemsets, then fit the host model on tags plus itemset words."""
        self._mine(catalogue)
        return super().fit(catalogue)  # type: ignore[misc] - the host model's fit, next in the MRO

    def _mine(self, catalogue: Catalogue) -> None:
        found = frequent_itemsets(catalogue.matrix, min_support=self.min_support, max_size=self.max_size)
        self.itemsets_ = top_itemsets(found, self.max_terms, min_size=2)
        self.itemset_counts_ = np.array([found.count_of[s] for s in self.itemsets_], dtype=np.int64)

    def terms(self, tags: sp.spmatrix) -> sp.csr_matrix:
        """Tag columns, then a 0/1 column per itemset (1 when the row has all its tags).

        Parameters
        ----------
        tags : sparse matrix, shape (n_rows, n_tags)

        Returns
        -------
        csr_matrix, shape (n_rows, n_tags + len(itemsets_)), float64
        """
        tags = sp.csr_matrix(tags, dtype=np.float64)
        extra = indicator(tags, self.itemsets_)
        return sp.csr_matrix(sp.hstack([tags, extra], format="csr"), dtype=np.float64)


class ItemsetLSI(_ItemsetTerms, LSI):
    """LSI whose documents are tag sets plus the frequent itemsets they contain.

    Parameters: LSI's ``rank`` and the itemset miner's (:data:`ITEMSET_PARAMS`).
    """

    name = "lsi_itemsets"
    label = "LSI + tag itemsets"
    summary = "LSI over tags plus frequent tag pairs and triples as extra words"
    params = {**LSI.params, **ITEMSET_PARAMS}


class ItemsetWord2Vec(_ItemsetTerms, Word2Vec):
    """word2vec whose sentences are a manga's tags plus the frequent itemsets it contains.

    Parameters: word2vec's ``size`` and ``epochs`` and the itemset miner's (:data:`ITEMSET_PARAMS`).
    """

    name = "word2vec_itemsets"
    label = "word2vec + tag itemsets"
    summary = "word2vec over tags plus frequent tag pairs and triples as extra words"
    params = {**Word2Vec.params, **ITEMSET_PARAMS}
