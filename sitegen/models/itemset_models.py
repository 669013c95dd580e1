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

from ..analysis.itemsets import Items, frequent_itemsets, indicator, top_itemsets
from .lsi import LSI
from .word2vec import Word2Vec

if TYPE_CHECKING:
    from typing import Self

    from ..sources.catalogue import Catalogue
    from ..config import ModelConfig


class _ItemsetTerms:
    """Mixin: the vocabulary is the tags followed by one column per mined itemset.

    The host class sets ``min_support``, ``max_size`` and ``max_terms`` in ``__init__``;
    :meth:`_mine` sets ``itemsets_`` before the host's ``fit`` asks for :meth:`terms`.
    """

    min_support: float
    max_size: int
    max_terms: int
    itemsets_: tuple[Items, ...]

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

    Parameters
    ----------
    rank : int
        Singular vectors kept.
    min_support : float
        Smallest share of manga an itemset must reach to become a word.
    max_size : int
        Largest itemset (2 = pairs, 3 = pairs and triples).
    max_terms : int
        Most itemsets added, the most supported first.
    """

    name = "lsi_itemsets"
    label = "LSI + tag itemsets"
    summary = "LSI over tags plus frequent tag pairs and triples as extra words"

    def __init__(
        self, rank: int = 24, min_support: float = 0.005, max_size: int = 3, max_terms: int = 128, *, seed: int = 0
    ) -> None:
        super().__init__(rank=rank, seed=seed)
        self.min_support = min_support
        self.max_size = max_size
        self.max_terms = max_terms

    @classmethod
    def from_config(cls, config: ModelConfig, seed: int) -> Self:
        return cls(
            rank=config.lsi_rank,
            min_support=config.itemset_min_support,
            max_size=config.itemset_max_size,
            max_terms=config.itemset_max_terms,
            seed=seed,
        )

    def fit(self, catalogue: Catalogue) -> Self:
        self._mine(catalogue)
        return super().fit(catalogue)


class ItemsetWord2Vec(_ItemsetTerms, Word2Vec):
    """word2vec whose sentences are a manga's tags plus the frequent itemsets it contains.

    Parameters
    ----------
    size, epochs
        As for :class:`~sitegen.models.word2vec.Word2Vec`.
    min_support, max_size, max_terms
        As for :class:`ItemsetLSI`.
    """

    name = "word2vec_itemsets"
    label = "word2vec + tag itemsets"
    summary = "word2vec over tags plus frequent tag pairs and triples as extra words"

    def __init__(
        self,
        size: int = 16,
        epochs: int = 10,
        min_support: float = 0.005,
        max_size: int = 3,
        max_terms: int = 128,
        *,
        seed: int = 0,
    ) -> None:
        super().__init__(size=size, epochs=epochs, seed=seed)
        self.min_support = min_support
        self.max_size = max_size
        self.max_terms = max_terms

    @classmethod
    def from_config(cls, config: ModelConfig, seed: int) -> Self:
        return cls(
            size=config.w2v_size,
            epochs=config.w2v_epochs,
            min_support=config.itemset_min_support,
            max_size=config.itemset_max_size,
            max_terms=config.itemset_max_terms,
            seed=seed,
        )

    def fit(self, catalogue: Catalogue) -> Self:
        self._mine(catalogue)
        return super().fit(catalogue)
