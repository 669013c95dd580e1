"""The model registry: adding a model is one module and one line here."""

from __future__ import annotations

from .base import Model
from .lsi import LSI
from .word2vec import Word2Vec

REGISTRY: dict[str, type[Model]] = {
    LSI.name: LSI,
    Word2Vec.name: Word2Vec,
}

__all__ = ["Model", "REGISTRY"]
