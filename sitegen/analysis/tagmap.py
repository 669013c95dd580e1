"""Tag maps: the tags themselves in 2-D, as a model's tag vectors place them.

LSI and word2vec give every tag a vector (LSI: its row of V_k scaled by the singular values, the
tag's coordinates in the latent space; word2vec: the tag's word vector). Two tags are close when
their vectors point the same way, so each map is classical MDS of the tags' cosine distances (the
principal components of the unit vectors): exact and deterministic, instant for ~80 tags. The page
sizes each tag by how many manga carry it and lists on hover the tags it most often comes with.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from ..linalg import fixed_signs
from .projections import normalise

if TYPE_CHECKING:
    from ..models.base import Model

log = logging.getLogger(__name__)

#: Co-occurring tags listed per tag.
COOCCUR = 5
DECIMALS = 4


def tag_vectors(model: Model, n_tags: int) -> np.ndarray | None:
    """A model's vector for each tag, shape (n_tags, dim), or None for a model without them.

    Models with extra terms after the tags (frequent itemsets) keep only the tags' rows.
    """
    vectors = getattr(model, "tag_vectors_", None)
    if vectors is None and getattr(model, "components_", None) is not None and hasattr(model, "singular_values_"):
        vectors = np.asarray(model.components_) * np.asarray(model.singular_values_)[None, :]
    if vectors is None or len(vectors) < n_tags:
        return None
    return np.asarray(vectors[:n_tags], dtype=np.float64)


def tag_layout(vectors: np.ndarray) -> np.ndarray:
    """Classical MDS of the tags' cosine distances: the first two principal components of the unit
    vectors, signs fixed, scaled into [-1, 1]. A tag with a zero vector sits at the centre.

    Parameters
    ----------
    vectors : ndarray, shape (t, dim)

    Returns
    -------
    ndarray, shape (t, 2), float64, rounded to DECIMALS
    """
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
    x = unit - unit.mean(axis=0)
    _, eigvecs = np.linalg.eigh(x.T @ x)
    coords = np.zeros((len(x), 2))
    r = min(2, x.shape[1])
    coords[:, :r] = fixed_signs(x @ eigvecs[:, ::-1][:, :r])
    return np.round(normalise(coords), DECIMALS) + 0.0


def cooccurring(matrix: sp.spmatrix, top: int = COOCCUR) -> tuple[list[int], list[list[list[int]]]]:
    """Each tag's manga count, and the ``top`` tags it most often comes with ([tag, manga], most first).

    Parameters
    ----------
    matrix : sparse matrix, shape (n_manga, n_tags)
        Which tags each manga carries.
    """
    b = sp.csr_matrix(matrix, dtype=np.float64)
    b.data[:] = 1
    together = (b.T @ b).toarray()
    counts = np.diag(together).astype(np.int64)
    np.fill_diagonal(together, 0)
    lists = []
    for t in range(len(counts)):
        order = np.lexsort((np.arange(len(counts)), -together[t]))[:top]
        lists.append([[int(u), int(together[t, u])] for u in order if together[t, u] > 0])
    return counts.tolist(), lists


def tag_maps(models: Sequence[Model], matrix: sp.spmatrix) -> dict[str, Any]:
    """What the Maps page's tag maps need.

    Returns
    -------
    dict
        ``counts`` (manga per tag), ``cooccur`` (per tag, [[tag, manga], ...]) and ``maps``: a list
        of {model, xy: [[x, y] per tag]} for the models with tag vectors.
    """
    n_tags = matrix.shape[1]
    counts, lists = cooccurring(matrix)
    maps = []
    for model in models:
        vectors = tag_vectors(model, n_tags)
        if vectors is not None:
            maps.append({"model": model.name, "xy": tag_layout(vectors).tolist()})
    log.info("tag maps: %s", ", ".join(m["model"] for m in maps) or "none")
    return {"counts": counts, "cooccur": lists, "maps": maps}
