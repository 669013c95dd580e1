"""The exact search over sparse keys finds the lists of the dense product, blocks and ties included."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from sitegen.analysis import sparse_scan
from sitegen.analysis.neighbours import GRID, Neighbours, exact
from sitegen.analysis.search import search
from sitegen.models import REGISTRY
from sitegen.models.network import QueryKeyModel
from sitegen.models.sparse_keys import SparseKeys
from support.helpers import assert_same_neighbours

NETWORK = ("adjacency_cosine", "deconvolution", "laplacian_cosine", "laplacian_euclidean", "silencing")
#: Cosine models whose vectors are sparse term weights times a small matrix of term vectors, and
#: the spectral embedding, whose few numbers a manga go through an identity basis.
TERMS = ("lsi", "word2vec", "lsi_itemsets", "word2vec_itemsets", "spectral")
SPARSE = NETWORK + TERMS


class Dense:
    """A model searched through its dense product whatever keys it has."""

    def sparse_product(self):
        return None

    def __init__(self, model):
        self._model = model

    def __getattr__(self, name):
        return getattr(self._model, name)


class Integers(QueryKeyModel):
    """Queries and keys of small integers: both products are exact, so the lists must be equal."""

    name = "integers"
    label = "Integers"
    summary = "integer queries and keys"
    symmetric_distance = True

    def __init__(self, tags, finish):
        super().__init__(seed=0)
        self.tags = tags
        self.finish = finish

    def fit(self, catalogue=None):
        rng = np.random.default_rng(5)
        n, m = self.tags.shape
        mix = rng.integers(-2, 3, size=(m, m)).astype(np.float64)
        mix = mix + mix.T  # a symmetric form: q_i . k_j = b_i M b_j
        scale = rng.integers(1, 3, size=n).astype(np.float64)
        rows = sp.csr_matrix(self.tags * scale[:, None])
        self.keys_ = np.hstack([rows.toarray(), np.ones((n, 1))]).astype(np.float32)
        self.queries_ = np.hstack([rows.toarray() @ mix / 64, np.full((n, 1), 0.5)]).astype(np.float32)
        self.sparse_keys_ = SparseKeys.from_parts(rows, np.eye(m), np.ones((n, 1)))
        self.embedding_ = self.keys_
        return self


def test_the_network_and_term_models_have_sparse_keys(demo_catalogue):
    have = {name for name, cls in REGISTRY.items()
            if sparse_scan.sparse_product(cls(seed=0).fit(demo_catalogue)) is not None}
    assert have == set(SPARSE)


@pytest.mark.parametrize("finish", ["none", "cap1", "sqrt"])
@pytest.mark.parametrize("block", [1024, 7])  # one block; many, each merged into the later manga's lists
def test_exact_products_give_identical_lists(finish, block, monkeypatch):
    monkeypatch.setattr(sparse_scan, "BLOCK_ROWS", block)
    rng = np.random.default_rng(1)
    tags = (rng.random((300, 9)) < 0.3).astype(np.float64)
    tags[::17] = tags[3]  # twins: ties everywhere
    model = Integers(tags, finish).fit()
    sparse = exact(model, 300, 12, progress=False)
    dense = exact(Dense(model), 300, 12, progress=False)
    assert sparse.method == dense.method == "exact"
    assert np.array_equal(sparse.indices, dense.indices)
    assert np.array_equal(sparse.distances, dense.distances)
    assert not (sparse.indices == np.arange(300)[:, None]).any()


def assert_leaves_out_as_dense(model, n, groups):
    """Manga left out are neither listed nor given a list, as the dense search leaves them out."""
    without = np.arange(0, n, 9)
    found = [search(m, n, 15, method="exact", groups=groups, without=without) for m in (model, Dense(model))]
    assert (found[0].indices[without] == -1).all() and not np.isin(found[0].indices, without).any()
    kept = np.setdiff1d(np.arange(n), without)
    assert_same_neighbours(*(Neighbours(f.model, f.indices[kept], np.where(np.isinf(f.distances), 2, f.distances)[kept],
                                        f.method) for f in found))


@pytest.mark.parametrize("name", SPARSE)
def test_sparse_models_get_the_lists_of_their_dense_product(name, demo_catalogue, monkeypatch):
    monkeypatch.setattr(sparse_scan, "BLOCK_ROWS", 64)
    model = REGISTRY[name](seed=0).fit(demo_catalogue)
    n, groups = len(demo_catalogue), demo_catalogue.tag_groups
    for g in (None, groups):
        assert_same_neighbours(exact(model, n, 15, groups=g, progress=False),
                               exact(Dense(model), n, 15, groups=g, progress=False))
    assert_leaves_out_as_dense(model, n, groups)


@pytest.mark.parametrize("name", SPARSE)
def test_sparse_keys_are_the_keys(name, demo_catalogue):
    model = REGISTRY[name](seed=0).fit(demo_catalogue)
    queries, keys, row_scale, col_add = model.sparse_product()
    assert col_add is None
    assert (row_scale is not None) == model.row_scaled_symmetric
    assert keys.data.dtype == np.float32 and keys.basis.dtype == np.float32
    assert (keys.data != 0).all()  # explicit zeros dropped: they would cost a multiply-add each
    if name in NETWORK:
        # silencing's product leaves out the keys' last column (the 1 its distances add)
        dense_keys = model.keys_[:, :keys.basis.shape[1]]
        assert dense_keys.shape[1] >= model.keys_.shape[1] - 1
    else:  # a cosine distance: unit vectors and a constant column, 1 - u_i . u_j
        dense_keys = np.hstack([model._keys(), np.ones((len(demo_catalogue), 1), dtype=np.float32)])
    product = keys.matrix().astype(np.float64) @ keys.basis.astype(np.float64)
    assert np.allclose(product, dense_keys, rtol=1e-5, atol=1e-6 * np.abs(dense_keys).max())
    # the distances they give are the model's, to float32 rounding
    rows = np.arange(0, len(demo_catalogue), 11)
    made = (keys.matrix() @ keys.project(queries[rows])).T
    dense = queries[rows] @ dense_keys.T
    assert np.abs(made - dense).max() < 4 / GRID


def test_search_state_lets_the_term_rows_go(demo_catalogue):
    model = REGISTRY["lsi"](seed=0).fit(demo_catalogue)
    assert model.sparse_product() is model.sparse_product()  # made once
    model.release_search_state()
    assert model.sparse_product() is None and "sparse_rows_" not in vars(model)
    assert model.transform(demo_catalogue.matrix[:3]).shape == (3, model.embedding_.shape[1])  # folding in stays


def test_the_popularity_blend_is_searched_over_its_base_keys(demo_catalogue, monkeypatch):
    monkeypatch.setattr(sparse_scan, "BLOCK_ROWS", 64)
    model = REGISTRY["lsi_popularity"](seed=0, weight=0.1).fit(demo_catalogue)
    product = model.sparse_product()
    assert product is not None and not product.halves  # a term of the listed manga: every pair is made
    n, groups = len(demo_catalogue), demo_catalogue.tag_groups
    sparse = exact(model, n, 15, groups=groups, progress=False)
    assert_same_neighbours(sparse, exact(Dense(model), n, 15, groups=groups, progress=False))
    assert not (sparse.indices == np.arange(n)[:, None]).any()
    # popularity moves the lists: they are not LSI's
    assert (sparse.indices != exact(model.base_, n, 15, groups=groups, progress=False).indices).any()
    assert_leaves_out_as_dense(model, n, groups)
    with pytest.raises(ValueError, match="not symmetric"):
        sparse_scan.scan_sparse(model, product, np.arange(n), False, 5, False)


def test_the_popularity_blend_at_weight_0_has_no_product_of_its_own(demo_catalogue):
    assert REGISTRY["lsi_popularity"](seed=0, weight=0.0).fit(demo_catalogue).sparse_product() is None


def test_float32_bounds_round_up_so_that_the_quick_pass_never_drops_a_column_the_list_takes():
    """The scan passes over float32 distances by comparing with float32 copies of the bounds: each
    is the least float32 at or above its float64 bound, so no distance at or under it is passed over."""
    rng = np.random.default_rng(3)
    bounds = np.concatenate([rng.normal(size=2000) * 10.0 ** rng.integers(-8, 8, size=2000),
                             rng.normal(size=200).astype(np.float32).astype(np.float64),  # float32s exactly
                             [0.0, -0.0, np.inf, -np.inf, 1e-45, 3.5e38]])
    up = np.array([sparse_scan._up32(b) for b in bounds], dtype=np.float32)
    assert (up.astype(np.float64) >= bounds).all()
    below = np.nextafter(up, np.float32(-np.inf))
    finite_low = bounds > -np.inf  # (no list's bound is -inf: distances are numbers or NaN)
    assert (below.astype(np.float64) < bounds)[finite_low].all()  # nothing lower would do
    # at or under its bound a distance is kept, NaN too (it sorts last); over it, even by less
    # than a float32 step, it is not
    b = bounds[(up.astype(np.float64) > bounds) & (np.abs(bounds) < 1e30)][:2]
    limit = np.array([b[0], np.inf, b[1], b[1]])
    acc = np.array([np.nextafter(np.float32(b[0]), np.float32(-np.inf)) if np.float32(b[0]) > b[0] else np.float32(b[0]),
                    np.nan, sparse_scan._up32(b[1]), np.nextafter(sparse_scan._up32(b[1]), np.float32(-np.inf))],
                   dtype=np.float32)
    bd, bi = np.full((4, 2), np.inf), np.full((4, 2), 9, dtype=np.int64)
    sparse_scan._into_rows(acc, 5, -1, False, GRID, limit.copy(),
                           np.array([sparse_scan._up32(x) for x in limit], dtype=np.float32), bd, bi)
    assert bi[:, 0].tolist() == [5, 5, 9, 5]
