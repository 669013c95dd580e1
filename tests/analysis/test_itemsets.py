"""Frequent tag itemsets, association rules, and the LSI / word2vec variants that use them."""

from __future__ import annotations

import itertools
import json
import re

import numpy as np
import pytest
import scipy.sparse as sp

from sitegen.analysis.itemsets import (
    MIN_SUPPORT,
    association_rules,
    frequent_itemsets,
    indicator,
    min_count,
    rules_json,
    top_itemsets,
)
from sitegen.config import BuildConfig, replace
from sitegen.models import REGISTRY
from sitegen.models.itemset_models import ItemsetLSI, ItemsetWord2Vec


def correlated_matrix(n=300, n_tags=8, seed=0) -> sp.csr_matrix:
    """Random binary rows where tags 0-2 and 3-4 tend to come together."""
    rng = np.random.default_rng(seed)
    dense = rng.random((n, n_tags)) < 0.15
    group = rng.random(n) < 0.3
    dense[group, 0:3] |= rng.random((group.sum(), 3)) < 0.8
    pair = rng.random(n) < 0.2
    dense[pair, 3:5] = True
    return sp.csr_matrix(dense.astype(np.float64))


def brute_force(matrix, threshold, max_size):
    dense = matrix.toarray() > 0
    found = {}
    for size in range(1, max_size + 1):
        for items in itertools.combinations(range(dense.shape[1]), size):
            count = int(np.all(dense[:, items], axis=1).sum())
            if count >= threshold:
                found[items] = count
    return found


@pytest.mark.parametrize("min_support, max_size", [(0.05, 3), (0.02, 4), (0.2, 2), (0.9, 3)])
def test_frequent_itemsets_match_brute_force(min_support, max_size):
    matrix = correlated_matrix()
    found = frequent_itemsets(matrix, min_support=min_support, max_size=max_size)
    expected = brute_force(matrix, min_count(matrix.shape[0], min_support), max_size)
    assert found.count_of == expected
    assert found.n_rows == 300
    # smallest first, lexicographic within a size
    assert list(found.items) == sorted(found.items, key=lambda s: (len(s), s))


def test_min_count_floor_keeps_single_manga_out():
    assert min_count(10, 0.0) == 2
    assert min_count(1000, 0.005) == 5
    assert min_count(64464, 0.005) == 323
    matrix = sp.csr_matrix(np.array([[1, 1, 0], [1, 0, 1], [0, 1, 1]], dtype=float))
    found = frequent_itemsets(matrix, min_support=0.0)
    assert all(len(s) == 1 for s in found.items)  # every pair occurs once only


def test_rules_support_confidence_lift_by_hand():
    # 10 manga: A on 6, B on 5, both on 4, C on 2 (always with A and B).
    rows = [[1, 1, 1]] * 2 + [[1, 1, 0]] * 2 + [[1, 0, 0]] * 2 + [[0, 1, 0]] + [[0, 0, 0]] * 3
    found = frequent_itemsets(sp.csr_matrix(np.array(rows, dtype=float)), min_support=0.1)
    rules = {(r.antecedent, r.consequent): r for r in association_rules(found)}
    ab = rules[((0,), (1,))]
    assert (ab.count, ab.support) == (4, pytest.approx(0.4))
    assert ab.confidence == pytest.approx(4 / 6)
    assert ab.lift == pytest.approx((4 / 6) / 0.5)
    c_to_ab = rules[((2,), (0, 1))]
    assert c_to_ab.confidence == pytest.approx(1.0)
    assert c_to_ab.lift == pytest.approx(1.0 / 0.4)
    strongest = association_rules(found, min_confidence=0.7)
    assert all(r.confidence >= 0.7 for r in strongest)
    assert [r.lift for r in strongest] == sorted((r.lift for r in strongest), reverse=True)


def test_indicator_marks_rows_with_every_tag():
    matrix = sp.csr_matrix(np.array([[1, 1, 1, 0], [1, 1, 0, 0], [0, 1, 1, 1], [0, 0, 0, 0]], dtype=float))
    ind = indicator(matrix, ((0, 1), (1, 2), (0, 1, 2), (1, 2, 3)))
    assert ind.shape == (4, 4)
    assert ind.toarray().tolist() == [[1, 1, 1, 0], [1, 0, 0, 0], [0, 1, 0, 1], [0, 0, 0, 0]]
    assert indicator(matrix, ()).shape == (4, 0)


def test_top_itemsets_by_support_then_size():
    found = frequent_itemsets(correlated_matrix(), min_support=0.02)
    top = top_itemsets(found, 5)
    assert len(top) == 5 and all(len(s) >= 2 for s in top)
    counts = [found.count_of[s] for s in top]
    assert counts == sorted(counts, reverse=True)
    assert counts[-1] >= max(found.count_of[s] for s in found.items if len(s) >= 2 and s not in top)


def test_rules_json_is_deterministic_and_consistent(demo_catalogue):
    out = rules_json(demo_catalogue, min_support=0.02, min_confidence=0.3, max_itemsets=50, max_rules=40)
    text = json.dumps(out, allow_nan=False, sort_keys=True)
    assert text == json.dumps(rules_json(demo_catalogue, min_support=0.02, min_confidence=0.3,
                                         max_itemsets=50, max_rules=40), allow_nan=False, sort_keys=True)
    assert out["n_manga"] == len(demo_catalogue)
    assert 0 < len(out["itemsets"]) <= 50 and len(out["rules"]) <= 40
    for item in out["itemsets"]:
        assert len(item["tags"]) >= 2 and item["count"] >= out["min_count"]
        assert item["support"] == pytest.approx(item["count"] / len(demo_catalogue), abs=1e-6)
        assert set(item["tags"]) <= set(out["tags"])
    for rule in out["rules"]:
        assert rule["confidence"] >= 0.3 and rule["lift"] > 0
        assert not set(rule["antecedent"]) & set(rule["consequent"])
    names = {t.id: t.name for t in demo_catalogue.tags}
    assert all(v["name"] == names[k] for k, v in out["tags"].items())


def test_itemset_lsi_extends_vocabulary_and_folds_in(demo_catalogue):
    model = ItemsetLSI(rank=12, min_support=0.01, max_terms=40).fit(demo_catalogue)
    n, n_tags = demo_catalogue.matrix.shape
    assert 0 < len(model.itemsets_) <= 40
    assert all(2 <= len(s) <= 3 for s in model.itemsets_)
    terms = model.terms(demo_catalogue.matrix)
    assert terms.shape == (n, n_tags + len(model.itemsets_))
    assert model.embedding_.shape == (n, 12) and model.embedding_.dtype == np.float32
    # A manga of the catalogue folds in to its own row (the LSI property, with itemsets).
    np.testing.assert_allclose(model.transform(demo_catalogue.matrix[:5]), model.embedding_[:5], atol=1e-5)
    plain = REGISTRY["lsi"](rank=12).fit(demo_catalogue)
    assert not np.allclose(plain.embedding_, model.embedding_)


def test_itemset_word2vec_is_reproducible(demo_catalogue):
    first = ItemsetWord2Vec(size=8, epochs=2, max_terms=30, seed=3).fit(demo_catalogue)
    second = ItemsetWord2Vec(size=8, epochs=2, max_terms=30, seed=3).fit(demo_catalogue)
    n_tags = demo_catalogue.matrix.shape[1]
    assert first.tag_vectors_.shape == (n_tags + len(first.itemsets_), 8)
    assert first.itemsets_ == second.itemsets_
    np.testing.assert_array_equal(first.embedding_, second.embedding_)
    assert np.abs(first.tag_vectors_[n_tags:]).sum() > 0  # itemset words were trained


def test_registry_and_config():
    for name in ("lsi_itemsets", "word2vec_itemsets"):
        cls = REGISTRY[name]
        assert re.fullmatch(r"[a-z0-9_]+", name) and cls.name == name
        assert cls.label and cls.summary
    config = replace(BuildConfig(seed=1), **{
        "models.lsi_itemsets.min_support": 0.03, "models.lsi_itemsets.max_size": 2,
        "models.lsi_itemsets.max_terms": 7, "models.lsi_itemsets.rank": 5,
        "models.word2vec_itemsets.min_support": 0.03, "models.word2vec_itemsets.max_size": 2,
        "models.word2vec_itemsets.max_terms": 7})
    model = ItemsetLSI.from_config(config)
    assert model.get_params() == {"seed": 1, "rank": 5, "min_support": 0.03, "max_size": 2, "max_terms": 7}
    w2v = ItemsetWord2Vec.from_config(config)
    assert (w2v.min_support, w2v.max_size, w2v.max_terms) == (0.03, 2, 7)
    # the shared miner settings are declared once, for both models and the tags page
    assert ItemsetLSI.params["min_support"] is ItemsetWord2Vec.params["min_support"] is MIN_SUPPORT
    assert BuildConfig().rules.min_support == MIN_SUPPORT.default
