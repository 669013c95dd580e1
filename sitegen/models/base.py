"""The one contract every recommendation model follows, scikit-learn style.

Hyperparameters are declared once, in the class's ``params`` (default, constraint, help: a
:class:`~sitegen.params.Param` each); ``__init__`` takes them as keywords and checks them, the
config's ``models.<name>`` section and the command line's options are derived from them, and a bad
value raises :class:`~sitegen.errors.ConfigError` naming ``models.<name>.<param>``.
``fit(catalogue)`` learns and returns ``self``; learned state lives in attributes ending in ``_``.
Every model gives a vector per manga (``embedding_``, used for the 2-D maps and for approximate
search) and distances from some manga to all manga (:meth:`Model.distances`, lower is closer), which
the exact neighbour search consumes in blocks.

A model whose distance is a plain metric between its vectors only sets ``metric``; one whose
distance is not (the network models compare rows of an n x n matrix they never build) overrides
:meth:`Model.distances` and sets ``metric = "custom"``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from ..errors import ConfigError
from ..params import Param
from .sparse_keys import cosine_product

if TYPE_CHECKING:
    from typing import Self

    import scipy.sparse as sp

    from ..config import BuildConfig
    from ..sources.catalogue import Catalogue
    from .sparse_keys import SparseProduct


class Model(ABC):
    """Base class of all models.

    Attributes
    ----------
    name : str
        Registry key, also used in file names and URLs (``[a-z0-9_]+``).
    label : str
        Human name shown on the site.
    metric : str
        ``"cosine"`` or ``"euclidean"`` between rows of ``embedding_``, or ``"custom"``.
    params : dict of str to Param
        The hyperparameters, each declared once; set as attributes of the same names.
    embedding_ : ndarray, shape (n_manga, n_dims), float32
        A vector per manga, set by :meth:`fit`.
    """

    name: ClassVar[str]
    label: ClassVar[str]
    metric: ClassVar[str] = "cosine"
    summary: ClassVar[str] = ""
    #: True when a manga's distance row is a function of its tag set alone (but for its own
    #: place), so that manga with the same tags can share one computed row.
    rows_by_tag_set: ClassVar[bool] = False
    #: True when the model knows a manga only by its tags: a manga without tags is then neither
    #: listed nor given a list (:func:`sitegen.analysis.search.search`).
    needs_tags: ClassVar[bool] = True
    #: True when a manga's distance to any other depends on the other's tag set alone, so that
    #: twins (same tags) tie in every list: the build orders such ties by description
    #: (:mod:`sitegen.analysis.ties`).
    ties_among_twins: ClassVar[bool] = True
    params: ClassVar[Mapping[str, Param]] = {}
    #: True when a "custom" distance is symmetric, d(i, j) = d(j, i) but for rounding (cosine and
    #: euclidean are): the exact search then computes half the products
    #: (:func:`sitegen.analysis.neighbours.exact`). A contract test checks every model that says so.
    symmetric_distance: ClassVar[bool] = False

    embedding_: np.ndarray

    def __init__(self, *, seed: int = 0, **params: Any) -> None:
        unknown = sorted(set(params) - set(self.params))
        if unknown:
            known = ", ".join(self.params) or "none"
            raise ConfigError(f"Config value 'models.{self.name}.{unknown[0]}': model {self.name!r} has no such "
                              f"parameter (it has: {known})")
        self.seed = seed
        for key, param in self.params.items():
            value = params.get(key, param.default)
            problem = param.problem(value)
            if problem:
                raise ConfigError(f"Config value 'models.{self.name}.{key}': {problem}")
            setattr(self, key, value)

    @classmethod
    def from_config(cls, config: BuildConfig) -> Self:
        """The model with the hyperparameters of ``config.models.<name>`` and the build's seed.

        A parameter left at ``None`` that ``follows`` a build setting takes that setting's value.
        """
        return cls(seed=config.seed, **cls.configured_params(config))

    @classmethod
    def configured_params(cls, config: BuildConfig) -> dict[str, Any]:
        """This model's hyperparameters as ``config`` sets them, followed settings filled in."""
        section = getattr(config.models, cls.name)
        values = {}
        for key, param in cls.params.items():
            value = getattr(section, key)
            if value is None and param.follows:
                value = config.get(param.follows)
            values[key] = value
        return values

    @abstractmethod
    def fit(self, catalogue: Catalogue) -> Self:
        """Learn from ``catalogue``; set ``embedding_`` and any other ``*_`` state."""

    def get_params(self) -> dict[str, Any]:
        """Hyperparameters: the public attributes set in ``__init__``."""
        return {k: v for k, v in vars(self).items() if not k.startswith("_") and not k.endswith("_")}

    def terms(self, tags: sp.spmatrix) -> sp.csr_matrix:
        """The model's vocabulary for tag sets: the tags themselves unless a subclass adds terms.

        Parameters
        ----------
        tags : sparse matrix, shape (n_rows, n_tags)

        Returns
        -------
        sparse matrix, shape (n_rows, n_terms)
        """
        import scipy.sparse as sp

        return sp.csr_matrix(tags, dtype=np.float64)

    def transform(self, tags: sp.spmatrix) -> np.ndarray:
        """Fold tag sets into the model's space.

        Parameters
        ----------
        tags : sparse matrix, shape (n_queries, n_tags)
            Binary tag rows, columns as in the fitted catalogue.

        Returns
        -------
        ndarray, shape (n_queries, n_dims)
        """
        raise NotImplementedError(f"model {self.name!r} cannot fold in tag sets")

    @property
    def vector_search(self) -> bool:
        """True when neighbours are a plain metric on ``embedding_`` (so an ANN index works)."""
        return self.metric in ("cosine", "euclidean")

    @property
    def symmetric(self) -> bool:
        """True when d(i, j) = d(j, i) for every two manga (but for rounding)."""
        return self.vector_search or self.symmetric_distance

    @property
    def row_scaled_symmetric(self) -> bool:
        """True when the distance is not symmetric but both ends come from one symmetric product
        (``d(i, j) = f(c_i M_ij)``, ``M`` symmetric): :meth:`distance_pair` then gives a block
        both ways for the cost of one, and the exact search computes half the products."""
        return False

    def distance_pair(self, rows: np.ndarray, cols: np.ndarray, *,
                      twin_diagonal: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Distances between manga ``rows`` and ``cols`` both ways, from one product where the
        model can (:attr:`row_scaled_symmetric`).

        Returns
        -------
        there : ndarray, shape (n_rows, n_cols), float32
            ``d(rows[r], cols[c])``, as :meth:`distances`.
        back : ndarray, shape (n_rows, n_cols), float32
            ``d(cols[c], rows[r])``; the same array as ``there`` when the distance is symmetric.
        """
        there = self.distances(rows, cols, twin_diagonal=twin_diagonal)
        if self.symmetric:
            return there, there
        return there, self.distances(cols, rows, twin_diagonal=twin_diagonal).T

    def distances(self, rows: np.ndarray, cols: np.ndarray | None = None, *, twin_diagonal: bool = False) -> np.ndarray:
        """Distances from manga ``rows`` to every manga, or to manga ``cols`` only.

        Parameters
        ----------
        rows : ndarray of int, shape (n_rows,)
        cols : ndarray of int, shape (n_cols,), optional
            Distinct manga; all of them, in catalogue order, when left out.
        twin_diagonal : bool
            Give a manga's distance to itself as its distance to a twin (another manga with its
            tag set) instead of 0, so that one computed row serves every manga of the set (see
            ``rows_by_tag_set``). The same for models whose distance is a function of the vectors.

        Returns
        -------
        ndarray, shape (n_rows, n_manga) or (n_rows, n_cols), float32; lower is closer.
        """
        keys = self._keys()
        other = keys if cols is None else keys[cols]
        # In place on the product: at catalogue scale the block is hundreds of MB and memory
        # traffic, not arithmetic, is what costs.
        d = keys[rows] @ other.T
        if self.metric == "cosine":
            return np.subtract(np.float32(1.0), d, out=d)
        if self.metric == "euclidean":
            sq = np.einsum("ij,ij->i", keys, keys)
            d *= np.float32(-2.0)
            d += sq[rows][:, None]
            d += (sq if cols is None else sq[cols])[None, :]
            return np.sqrt(np.maximum(d, 0, out=d), out=d)
        raise NotImplementedError(f"model {self.name!r} must override distances()")

    def sparse_terms(self) -> tuple[sp.csr_matrix, np.ndarray] | None:
        """``embedding_`` as ``rows @ basis``, sparse rows (shape (n_manga, n_terms)) times a small
        dense basis (shape (n_terms, n_dims)), when the model keeps them until its search; else None.

        A cosine model that gives them is searched exactly over sparse keys
        (:meth:`sparse_product`, :mod:`sitegen.analysis.sparse_scan`): a manga's vector is its few
        term weights times the basis, so a distance costs a few multiply-adds, not ``n_dims``.
        """
        return None

    def sparse_product(self) -> SparseProduct | None:
        """The model's distance as dense queries times sparse keys, for the exact search
        (:func:`~sitegen.models.sparse_keys.cosine_product` of :meth:`sparse_terms` for a cosine
        model), cached until :meth:`release_search_state`; None when the model has no such form."""
        cached = self.__dict__.get("_sparse_cache")
        if cached is None and self.metric == "cosine":
            terms = self.sparse_terms()
            if terms is not None:
                cached = self._sparse_cache = cosine_product(*terms)
        return cached

    def same_lists_as(self, other: Model) -> bool:
        """True when this model's distance is fitted ``other``'s, exactly, so that its lists are
        ``other``'s without a search of their own (a blend at weight 0 and its base)."""
        return False

    def release_search_state(self) -> None:
        """Let go of what only :meth:`distances` needs, once the build has searched the model (at
        110,000 manga the custom models' query and key vectors are 100-150 MB each); the
        vectors (``embedding_``) and what folding in needs stay. A subclass whose distances need
        more than ``embedding_`` releases that too; :meth:`distances` then raises."""
        for name in ("_keys_cache", "_sparse_cache", "sparse_rows_"):
            self.__dict__.pop(name, None)

    def _keys(self) -> np.ndarray:
        """``embedding_`` as float32, unit rows for cosine (zero rows stay zero), cached."""
        cached = getattr(self, "_keys_cache", None)
        if cached is None:
            cached = np.ascontiguousarray(self.embedding_, dtype=np.float32)
            if self.metric == "cosine":
                norms = np.linalg.norm(cached, axis=1, keepdims=True)
                cached = cached / np.where(norms > 0, norms, 1)
            self._keys_cache = cached
        return cached
