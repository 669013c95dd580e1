"""The contract every registered model follows, run against each of them."""

from __future__ import annotations

import re

import numpy as np
import pytest

from sitegen.analysis.neighbours import exact
from sitegen.errors import ConfigError
from sitegen.models import REGISTRY
from sitegen.models.network import QueryKeyModel
from support.helpers import assert_same_neighbours

K = 10


@pytest.fixture(params=sorted(REGISTRY))
def model_pair(request, demo_catalogue):
    cls = REGISTRY[request.param]
    return cls(seed=11).fit(demo_catalogue), cls(seed=11).fit(demo_catalogue)


def test_identity(model_pair):
    model, _ = model_pair
    assert re.fullmatch(r"[a-z0-9_]+", model.name)
    assert REGISTRY[model.name] is type(model)
    assert model.label and model.summary
    assert model.metric in {"cosine", "euclidean", "custom"}


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_parameters_are_declared_once_checked_and_named(name):
    cls = REGISTRY[name]
    model = cls()
    assert set(cls.params) <= set(model.get_params())
    for key, param in cls.params.items():
        assert param.help.strip() and param.check is not None, key
        assert getattr(model, key) == param.default
        bad = "not a number" if not isinstance(param.default, str) else ""
        assert param.problem(bad), key
        with pytest.raises(ConfigError, match=rf"^Config value 'models\.{name}\.{key}': "):
            cls(**{key: bad})
    with pytest.raises(ConfigError, match=rf"'models\.{name}\.no_such': model '{name}' has no such parameter"):
        cls(no_such=1)


def test_fit_returns_self_and_learned_state_ends_in_underscore(demo_catalogue):
    for name, cls in REGISTRY.items():
        model = cls(seed=1)
        assert model.fit(demo_catalogue) is model, name
        learned = [k for k in vars(model) if k.endswith("_")]
        assert "embedding_" in learned, name
        assert all(not k.endswith("_") for k in model.get_params()), name


def test_embedding_shape_and_finite(model_pair, demo_catalogue):
    model, _ = model_pair
    assert model.embedding_.ndim == 2 and model.embedding_.shape[0] == len(demo_catalogue)
    assert np.isfinite(model.embedding_).all()


def test_deterministic_for_a_seed(model_pair):
    a, b = model_pair
    assert np.array_equal(a.embedding_, b.embedding_)
    rows = np.arange(0, 50)
    assert np.array_equal(a.distances(rows), b.distances(rows))


def test_distances_have_one_finite_row_per_query(model_pair, demo_catalogue):
    model, _ = model_pair
    rows = np.array([0, 5, 17, len(demo_catalogue) - 1])
    d = model.distances(rows)
    assert d.shape == (len(rows), len(demo_catalogue))
    assert np.isfinite(d).all()


def test_neighbours_exclude_self_and_are_deterministic(model_pair, demo_catalogue):
    a, b = model_pair
    n = len(demo_catalogue)
    na, nb = exact(a, n, K, progress=False), exact(b, n, K, progress=False)
    assert na.indices.shape == (n, K)
    assert not (na.indices == np.arange(n)[:, None]).any()
    assert ((na.indices >= 0) & (na.indices < n)).all()
    assert np.array_equal(na.indices, nb.indices) and np.array_equal(na.distances, nb.distances)
    assert (np.diff(na.distances, axis=1) >= 0).all()


def test_models_sharing_rows_by_tag_set_really_do(model_pair, demo_catalogue):
    model, _ = model_pair
    groups = demo_catalogue.tag_groups
    twins = np.flatnonzero(groups != np.arange(len(groups)))[:20]
    if not model.rows_by_tag_set or not len(twins):
        pytest.skip("model does not claim tag-set rows")
    d_twin, d_first = model.distances(twins), model.distances(groups[twins])
    others = np.ones(d_twin.shape, dtype=bool)
    others[np.arange(len(twins)), twins] = others[np.arange(len(twins)), groups[twins]] = False
    assert np.allclose(d_twin[others], d_first[others], atol=1e-6)
    shared = exact(model, len(groups), K, groups=groups, progress=False)
    plain = exact(model, len(groups), K, progress=False)
    assert_same_neighbours(shared, plain)


def test_a_model_that_says_its_distance_is_symmetric_has_one(model_pair, demo_catalogue):
    model, _ = model_pair
    if not model.symmetric:
        pytest.skip("searched row by row: its distance need not be symmetric")
    rows = np.arange(0, len(demo_catalogue), 7)
    there, back = model.distances(rows, rows), model.distances(rows, rows).T
    off = ~np.eye(len(rows), dtype=bool)
    assert np.allclose(there[off], back[off], atol=2e-6)


def test_distances_both_ways_are_the_distances(model_pair, demo_catalogue):
    model, _ = model_pair
    n = len(demo_catalogue)
    rows, cols = np.arange(0, n, 7), np.arange(3, n, 5)
    there, back = model.distance_pair(rows, cols)
    assert np.allclose(there, model.distances(rows, cols), atol=2e-6)
    assert np.allclose(back, model.distances(cols, rows).T, atol=2e-6)
    # silencing's network is invertible on the demo: both ends from one product
    assert model.row_scaled_symmetric == (model.name == "silencing")


def test_only_the_popularity_blend_and_silencing_are_searched_row_by_row():
    # the two whose distance depends on which end is the query: a later model that is not
    # symmetric must say so, and one that is gains half its search by saying so
    assert {name for name, cls in REGISTRY.items() if not cls(seed=0).symmetric} == {"lsi_popularity", "silencing"}


def _per_manga_arrays(value, n, seen):
    """Bytes of the arrays of n rows that ``value`` holds, through its attributes, each once."""
    if id(value) in seen:
        return 0
    seen.add(id(value))
    if isinstance(value, np.ndarray):
        return value.nbytes if value.ndim and n in value.shape else 0
    if isinstance(value, (list, tuple)):
        return sum(_per_manga_arrays(v, n, seen) for v in value)
    if hasattr(value, "__dict__") and not isinstance(value, type):
        return sum(_per_manga_arrays(v, n, seen) for v in vars(value).values())
    return 0


def test_releasing_the_search_state_keeps_the_vectors(model_pair, demo_catalogue):
    model, twin = model_pair
    model.release_search_state()
    assert np.array_equal(model.embedding_, twin.embedding_)
    # what stays for the rest of the build is the vectors and a few numbers a manga (the blend's
    # popularity): at 1,000,000 manga each byte a manga held by every model is 12 MB
    n = len(demo_catalogue)
    held = _per_manga_arrays(model, n, {id(model.embedding_)})
    assert held <= 16 * n, f"{model.name} holds {held / n:.0f} bytes a manga besides its vectors"
    if isinstance(twin, QueryKeyModel):  # the custom models built on one product drop their vectors for it
        twin.distances(np.arange(3))
        assert "queries_" in vars(twin) and "keys_" in vars(twin)
        assert not set(model.search_only) & set(vars(model))
        with pytest.raises(RuntimeError, match="released"):
            model.distances(np.arange(3))


def test_a_network_model_makes_its_search_state_when_searched(demo_catalogue):
    """Fitted, the models built on one product hold their vectors only: the build fits every
    model, then searches one at a time, and their queries and keys (n x ~80 float32 each) would
    otherwise all be held at once. Made when first read, they give the same distances."""
    n = len(demo_catalogue)
    for name, cls in REGISTRY.items():
        if not issubclass(cls, QueryKeyModel):
            continue
        model = cls(seed=0).fit(demo_catalogue)
        # the Laplacian models keep their factors until the search: the state is made from them
        held = _per_manga_arrays(model, n, {id(model.embedding_), id(vars(model).get("factors_"))})
        assert held <= 16 * n, f"{name} holds {held / n:.0f} bytes a manga besides its vectors"
        assert not set(model.search_only) & set(vars(model)), name
        rows = np.arange(0, n, 7)
        first = model.distances(rows)  # made here
        assert set(model.search_only) - {"pair_base_", "pair_scale_"} <= set(vars(model)), name
        again = cls(seed=0).fit(demo_catalogue)
        again.sparse_product()  # made by another door
        assert np.array_equal(first, again.distances(rows)), name
