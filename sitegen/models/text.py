"""Tags and description: the tag vector blended with what the titles and the description say.

Two manga with the same tags are, to a tag model, the same manga; what tells them apart is the
text a reader sees. This model puts that text in:

* **Text vector.** Title words (every title and alt title, in every script: see
  :mod:`.text_features`) and description words, each weighted by tf-idf (sublinear term
  frequency; words in fewer than ``min_df`` manga or in more than ``max_df`` of them dropped),
  each block L2-normalized, titles given ``title_share`` of the weight, then reduced to ``dims``
  dimensions by truncated SVD and L2-normalized again.
* **Tag vector.** The manga's tf-idf row over tags, full rank (about 77 columns), L2-normalized:
  on MangaDex relations it finds more same-story titles than the rank-24 LSI does.
* **Blend.** The manga is ``[sqrt(1 - w) * tags, sqrt(w) * text]``, so that the cosine between two
  manga is ``(1 - w) * tag cosine + w * text cosine``: a plain cosine model, searched like LSI.

The weight ``w`` is chosen at build time as the popularity blend's is
(:func:`~sitegen.models.popularity.choose_weight`): by related-title recall on the catalogue's
own MangaDex relations, among weights whose tag coherence is within ``max_coherence_loss`` of the
tags alone (``w = 0``), the smallest within one standard error of the best. The curve it was
chosen from is shown on the comparison page.

Descriptions come in many languages; the loader keeps the English one when there is one, else
the first the record lists (:func:`~sitegen.sources.fields.localized_paragraphs`). Words are not
translated: a Spanish description matches Spanish ones, and names, which every language spells
alike, match across languages. Manga with no usable words get a zero text vector and are ranked
by their tags alone; manga without tags, by their text alone.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize
from sklearn.utils.extmath import randomized_range_finder

from ..linalg import fixed_signs
from ..params import Param, at_least, between, each
from .base import Model
from .lsi import tfidf
from .popularity import DEFAULT_K, choose_weight
from .text_features import description_tokens, title_tokens

if TYPE_CHECKING:
    from typing import Self

    from ..sources.catalogue import Catalogue

log = logging.getLogger(__name__)

DEFAULT_WEIGHTS = (0.0, 0.2, 0.3, 0.4, 0.45, 0.5, 0.55, 0.6)  # fine where the choice falls, on real data
WEIGHT = between(0, 1)


def _as_is(tokens: list[str]) -> list[str]:
    return tokens  # the vectorizer gets token lists made by text_features


def word_matrix(docs: list[list[str]], min_df: int, max_df: float) -> sp.csr_matrix:
    """tf-idf of token lists, rows L2-normalized, shape (n_docs, n_words), float32.

    The bounds are applied as document counts (``max_df`` at least ``min_df``), so that a small
    catalogue keeps its words instead of failing; with no word kept the matrix has no columns.
    """
    n = len(docs)
    vectorizer = TfidfVectorizer(analyzer=_as_is, sublinear_tf=True, dtype=np.float32,
                                 min_df=min(min_df, max(n, 1)), max_df=max(min_df, int(max_df * n)))
    try:
        return sp.csr_matrix(vectorizer.fit_transform(docs))
    except ValueError:  # no word survives the bounds (a tiny or wordless catalogue)
        return sp.csr_matrix((n, 0), dtype=np.float32)


def text_words(catalogue: Catalogue, *, title_share: float, min_df: int, max_df: float) -> sp.csr_matrix:
    """Title and description tf-idf side by side, shape (n_manga, n_words), float32.

    Each block's rows are unit vectors; titles weigh ``title_share`` of a row's squared norm.
    """
    titles = word_matrix([title_tokens(m.title, m.alt_titles) for m in catalogue.manga], min_df, max_df)
    descs = word_matrix([description_tokens(m.description) for m in catalogue.manga], min_df, max_df)
    return sp.hstack([np.sqrt(title_share) * titles, np.sqrt(1 - title_share) * descs], format="csr")


def reduce_words(words: sp.csr_matrix, *, dims: int, seed: int, svd_sample: int = 50_000,
                 svd_iter: int = 2) -> np.ndarray:
    """Unit rows of the truncated SVD of ``words``, shape (n_manga, d <= dims), float32.

    Rows of manga with no kept word are zero.
    """
    n = words.shape[0]
    d = min(dims, words.shape[1] - 1, n - 1)
    if d < 1:
        return np.zeros((n, 0), dtype=np.float32)
    sample = words
    if n > svd_sample:
        # the directions from a seeded sample, every manga projected on them: the SVD's cost stops
        # growing with the catalogue
        sample = words[np.sort(np.random.default_rng([seed, 5]).choice(n, size=svd_sample, replace=False))]
    reduced = words @ top_directions(sample, d, seed=seed, n_iter=svd_iter).T
    return normalize(fixed_signs(reduced)).astype(np.float32)


def top_directions(words: sp.csr_matrix, d: int, *, seed: int, n_iter: int) -> np.ndarray:
    """The ``d`` leading right singular vectors of ``words``, shape (d, n_words): scikit-learn's
    randomized truncated SVD (its range finder, seeded as TruncatedSVD seeds it, 10 extra
    directions), with the small (d + 10) x n_words matrix it leaves decomposed through its Gram
    matrix: LAPACK's SVD of that wide matrix took 5 of the fit's 32 s at 110,000 manga; the
    eigendecomposition of its (d + 10)-square Gram matrix takes a fraction of a second."""
    wide = words.shape[0] < words.shape[1]  # scikit-learn then finds the range of the transpose
    q = randomized_range_finder(words.T if wide else words, size=d + 10, n_iter=n_iter,
                                power_iteration_normalizer="auto", random_state=np.random.RandomState(seed))
    b = np.asarray((words @ q).T if wide else (words.T @ q).T)  # q.T @ (words.T or words): d + 10 rows
    values, vectors = np.linalg.eigh(b @ b.T)  # b's left singular vectors, ascending
    top = np.argsort(values)[::-1][:d]
    if wide:
        return (q @ vectors[:, top]).T
    return (vectors[:, top].T @ b) / np.sqrt(np.maximum(values[top], np.finfo(np.float64).tiny))[:, None]


def text_vectors(catalogue: Catalogue, *, title_share: float, dims: int, min_df: int, max_df: float,
                 seed: int, svd_sample: int = 50_000, svd_iter: int = 2) -> np.ndarray:
    """Unit text vectors from titles and descriptions, shape (n_manga, d <= dims), float32.

    :func:`text_words` reduced by :func:`reduce_words`; rows of manga with no kept word are zero.
    """
    words = text_words(catalogue, title_share=title_share, min_df=min_df, max_df=max_df)
    return reduce_words(words, dims=dims, seed=seed, svd_sample=svd_sample, svd_iter=svd_iter)


def tag_vectors(catalogue: Catalogue) -> np.ndarray:
    """Unit tf-idf tag rows, shape (n_manga, n_tags), float32 (zero for a manga without tags)."""
    b = catalogue.matrix
    df = np.asarray((b > 0).sum(axis=0)).ravel()
    idf = np.log(max(b.shape[0], 1) / np.maximum(df, 1))
    return normalize(tfidf(b, idf)).toarray().astype(np.float32)


class TagsText(Model):
    """Tag tf-idf blended with a title-and-description tf-idf SVD (see the module docstring)."""

    name = "tags_text"
    label = "Tags + description"
    metric = "cosine"
    needs_tags = False  # a manga without tags is placed by its titles and description
    ties_among_twins = False
    summary = "tag tf-idf blended with title and description words (tf-idf, truncated SVD), weight chosen by related-title recall"

    params = {
        "dims": Param(256, "dimensions the truncated SVD keeps of the title and description words", at_least(1)),
        "title_share": Param(0.5, "share of the text weight given to title words (the rest: description words)",
                             between(0, 1)),
        "svd_sample": Param(50_000, "manga the truncated SVD learns its directions from (all of them in a smaller "
                                    "catalogue); every manga is then projected on them", at_least(100)),
        "svd_iter": Param(2, "power iterations of the randomized SVD (on the 2021 sample, 2 find more related "
                             "titles than 5, in an eighth of the time)", at_least(0)),
        "min_df": Param(2, "a word counts only when at least this many manga use it", at_least(1)),
        "max_df": Param(0.1, "a word used by more than this share of manga is dropped (too common to tell apart)",
                        between(0, 1, open_low=True)),
        "weights": Param(DEFAULT_WEIGHTS, "text weights tried when choosing the blend, each in [0, 1]", each(WEIGHT)),
        "weight": Param(None, "a fixed text weight in [0, 1]; unset: chosen from the weights", WEIGHT, kind=float),
        "sample": Param(1000, "manga sampled when choosing the weight (on the 2021 sample, 1,000 choose as 2,000 "
                                    "did, in half the time)", at_least(1)),
        "k": Param(None, "list length when choosing the weight; unset: the build's neighbours.k", at_least(1),
                   follows="neighbours.k", kind=int),
        "probe_above": Param(40_000, "past this many manga, neighbours.method=auto searches this model by probing "
                                     "its nearest clusters (recall measured, at least neighbours.min_recall) instead "
                                     "of exactly", at_least(1)),
        "max_coherence_loss": Param(0.14, "largest relative fall in tag coherence, against tags alone, that the "
                                          "chosen weight may cause", between(0, 1)),
    }

    def fit(self, catalogue: Catalogue) -> Self:
        clock = time.perf_counter()
        self.timings_: dict[str, float] = {}

        def lap(stage: str) -> None:
            nonlocal clock
            now = time.perf_counter()
            self.timings_[stage] = now - clock
            clock = now

        self.tags_ = tag_vectors(catalogue)
        words = text_words(catalogue, title_share=self.title_share, min_df=self.min_df, max_df=self.max_df)
        lap("text features")
        self.text_ = reduce_words(words, dims=self.dims, seed=self.seed, svd_sample=self.svd_sample,
                                  svd_iter=self.svd_iter)
        lap("svd")
        if self.weight is None:
            self.choice_ = choose_weight(catalogue, self._parts, self.weights, k=self.k or DEFAULT_K,
                                         sample=self.sample, seed=self.seed, max_coherence_loss=self.max_coherence_loss)
            self.weight_ = self.choice_.weight
            log.info("text weight %s chosen by %s: %s", self.weight_, self.choice_.measure, self.choice_.reason)
        else:
            self.choice_ = None
            self.weight_ = float(self.weight)
        w = np.float32(self.weight_)
        self.embedding_ = np.hstack([np.sqrt(1 - w) * self.tags_, np.sqrt(w) * self.text_]).astype(np.float32)
        # the tag vectors served the weight's choice only, and embedding_ holds them again (308 MB
        # at 1,000,000 manga); the text vectors stay until the search (release_search_state): the
        # build orders the tag models' ties by them
        del self.tags_
        lap("weight")
        log.info("%s fitted: %s", self.name, ", ".join(f"{k} {v:.1f} s" for k, v in self.timings_.items()))
        return self

    def release_search_state(self) -> None:
        """Also let go of the text vectors (n x 256 float32: 113 MB at 110,000 manga, 1 GB at
        1,000,000): they order the tag models' ties, and the build takes them for that before it
        searches any model (:func:`sitegen.build.find_neighbours`), so nothing after the searches
        holds them."""
        super().release_search_state()
        self.__dict__.pop("text_", None)

    def _parts(self, rows: np.ndarray) -> np.ndarray:
        """Tag and text cosine distances from ``rows``, shape (2, n_rows, n_manga), float32: the
        blend of weight ``w`` ranks by ``(1 - w) * tag + w * text`` (:func:`choose_weight`)."""
        parts = np.empty((2, rows.size, self.tags_.shape[0]), dtype=np.float32)
        for p, vectors in enumerate((self.tags_, self.text_)):
            np.matmul(vectors[rows], vectors.T, out=parts[p])
            np.subtract(np.float32(1), parts[p], out=parts[p])
        return parts
