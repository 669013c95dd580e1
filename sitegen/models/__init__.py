"""The model registry: adding a model is one module and one line here."""

from __future__ import annotations

from .base import Model
from .indirect import Deconvolution, Silencing
from .itemset_models import ItemsetLSI, ItemsetWord2Vec
from .laplacian import LaplacianCosine, LaplacianEuclidean
from .lsi import LSI
from .network import AdjacencyCosine, SpectralEmbedding
from .popularity import PopularityBlend
from .text import TagsText
from .word2vec import Word2Vec

REGISTRY: dict[str, type[Model]] = {
    LSI.name: LSI,
    Word2Vec.name: Word2Vec,
    AdjacencyCosine.name: AdjacencyCosine,
    LaplacianEuclidean.name: LaplacianEuclidean,
    LaplacianCosine.name: LaplacianCosine,
    SpectralEmbedding.name: SpectralEmbedding,
    Deconvolution.name: Deconvolution,
    Silencing.name: Silencing,
    ItemsetLSI.name: ItemsetLSI,
    ItemsetWord2Vec.name: ItemsetWord2Vec,
    PopularityBlend.name: PopularityBlend,
    TagsText.name: TagsText,
}

__all__ = ["Model", "REGISTRY"]
