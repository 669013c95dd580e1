"""word2vec (gensim CBOW) over tag sets; a manga is the mean of its tag vectors, cosine."""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from ..params import Param, at_least
from .base import Model

if TYPE_CHECKING:
    from typing import Self

    from ..sources.catalogue import Catalogue


def stable_hash(text: str) -> int:
    """A hash that, unlike ``hash(str)``, is the same in every process (gensim seeds with it)."""
    return zlib.crc32(text.encode("utf-8"))


#: Manga of every word kept in the training sample whatever its size, so that a rare tag or
#: itemset is learned too (a tag used 5 times in 1,000,000 manga would mostly miss a 50,000 sample).
RARE_KEEP = 20


def training_rows(terms: sp.spmatrix, cap: int, seed: int) -> np.ndarray:
    """The manga whose sentences train word2vec, ascending: all of them up to ``cap``; past it, a
    seeded sample of ``cap`` and the first :data:`RARE_KEEP` manga of every word.

    At 1,000,000 manga word2vec over tags and itemsets trained for 166 s. A fifth of the
    sentences serves as well: at 110,000 synthetic manga, trained on 22,000, related-title
    recall@20 was 0.48 (all: 0.47) and tag coherence 0.65 (0.66); with itemsets 0.51 (0.49)
    and 0.69 (0.69), in a third of the time. Measured again with the default cap of 50,000 (two
    seeds, exact lists): recall@20 0.487 and 0.487 (all 110,000: 0.459 and 0.475), coherence 0.663
    (0.659, 0.666); with itemsets 0.487 and 0.483 (0.475, 0.472), coherence 0.686 (0.683), the
    itemset model's fit 11 s instead of 21.

    Parameters
    ----------
    terms : sparse matrix, shape (n_manga, n_words)
    cap : int
    seed : int
    """
    n = terms.shape[0]
    if n <= cap:
        return np.arange(n)
    sample = np.random.default_rng([seed, 17]).choice(n, size=cap, replace=False)
    by_word = sp.csc_matrix(terms)
    by_word.sort_indices()
    firsts = [by_word.indices[by_word.indptr[j]:min(by_word.indptr[j] + RARE_KEEP, by_word.indptr[j + 1])]
              for j in range(by_word.shape[1])]
    return np.unique(np.concatenate([sample, *firsts]).astype(np.int64))


class Word2Vec(Model):
    """CBOW word2vec where each manga's tag set is one sentence.

    Tag order must not matter, so the context window spans the longest tag set and is never
    shrunk at random: every tag sees all the others. One worker thread keeps training
    reproducible for a seed.

    Parameters
    ----------
    size : int
        Vector size (the write-up uses 16, about the square root of the tag count).
    epochs : int
        Passes over the catalogue.
    """

    name = "word2vec"
    label = "word2vec"
    metric = "cosine"
    summary = "CBOW word2vec over tag sets, manga = mean tag vector, cosine"
    rows_by_tag_set = True  # vectors are a function of the tag set

    params = {
        "size": Param(16, "vector size (the write-up's 16, about the square root of the tag count)", at_least(1)),
        "epochs": Param(10, "training passes over the catalogue", at_least(1)),
        "max_sentences": Param(50_000, "most manga whose tag sets train the vectors: past it, a seeded sample (and "
                                       "the first manga of every rare word), since a few hundred words need no "
                                       "more and training grows with the catalogue", at_least(1)),
    }

    def fit(self, catalogue: Catalogue) -> Self:
        from gensim.models import Word2Vec as GensimWord2Vec

        terms = self.terms(catalogue.matrix)
        sentences = [[str(j) for j in terms.indices[terms.indptr[i] : terms.indptr[i + 1]]]
                     for i in training_rows(terms, self.max_sentences, self.seed)]
        window = max(len(s) for s in sentences)
        w2v = GensimWord2Vec(
            sentences=sentences,
            vector_size=self.size,
            window=max(window, 1),
            shrink_windows=False,
            min_count=1,
            sg=0,
            cbow_mean=1,
            workers=1,
            seed=self.seed,
            epochs=self.epochs,
            hashfxn=stable_hash,
            sorted_vocab=0,
        )
        n_terms = terms.shape[1]
        self.tag_vectors_ = np.zeros((n_terms, self.size), dtype=np.float32)
        for j in range(n_terms):
            if str(j) in w2v.wv:
                self.tag_vectors_[j] = w2v.wv[str(j)]
        weights = self._weights(terms)
        self.embedding_ = np.asarray(weights @ self.tag_vectors_, dtype=np.float32)
        self.sparse_rows_ = weights  # until the search (sparse_terms)
        return self

    def sparse_terms(self) -> tuple[sp.csr_matrix, np.ndarray] | None:
        """Each manga's term weights (1 / its number of terms) and the term vectors: ``embedding_``
        is their product."""
        rows = self.__dict__.get("sparse_rows_")
        return None if rows is None else (rows, self.tag_vectors_)

    def transform(self, tags: sp.spmatrix) -> np.ndarray:
        """Mean term vector of each tag set, shape (n_queries, size)."""
        return self._mean(self.terms(tags))

    def _mean(self, tags: sp.spmatrix) -> np.ndarray:
        return np.asarray(self._weights(tags) @ self.tag_vectors_, dtype=np.float32)

    @staticmethod
    def _weights(tags: sp.spmatrix) -> sp.csr_matrix:
        """Each row's terms weighted 1 / its number of terms (the mean's weights)."""
        tags = sp.csr_matrix(tags, dtype=np.float64)
        counts = np.asarray(tags.sum(axis=1)).ravel()
        return sp.csr_matrix(sp.diags(1.0 / np.where(counts > 0, counts, 1.0)) @ tags)
