"""Evaluation of neighbour lists on hand-made cases, and the evaluation JSON."""

from __future__ import annotations

import json
import uuid

import numpy as np
import pytest

from sitegen.analysis.evaluation import evaluate
from sitegen.analysis.measures import (
    coherence_rows,
    expected_null_jaccard,
    gini,
    list_jaccard,
    null_neighbours,
    overlap_test,
    related_matrix,
    related_recall,
    tag_bits,
)
from sitegen.analysis.neighbours import Neighbours
from sitegen.sources.catalogue import Manga, Relation, build_catalogue
from sitegen.sources.vocabulary import VOCABULARY

VOCAB = {t.id: t for t in VOCABULARY}
TAG = {t.name: t.id for t in VOCABULARY}


def mid(i: int) -> str:
    return str(uuid.UUID(int=i + 1))


def catalogue_of(tag_names, relations=None):
    """Manga i has tags ``tag_names[i]``; follows descend so index order is list order."""
    relations = relations or {}
    manga = [
        Manga(id=mid(i), title=f"m{i}", tag_ids=tuple(TAG[t] for t in tags), follows=1000 - i,
              relations=tuple(Relation(mid(j), kind) for j, kind in relations.get(i, ())))
        for i, tags in enumerate(tag_names)
    ]
    cat = build_catalogue(manga, VOCAB)
    assert [m.id for m in cat.manga] == [mid(i) for i in range(len(manga))]
    return cat


def nb(name, table):
    table = np.asarray(table, dtype=np.int32)
    return Neighbours(name, table, np.zeros(table.shape, dtype=np.float32))


def test_list_jaccard_identical_disjoint_and_partial():
    a = np.array([[1, 2, 3], [4, 5, 6], [1, 2, 3], [7, -1, -1]])
    assert list_jaccard(a, a).tolist() == [1.0, 1.0, 1.0, 1.0]
    b = np.array([[4, 5, 6], [1, 2, 3], [2, 3, 4], [-1, -1, 8]])
    assert list_jaccard(a, b).tolist() == [0.0, 0.0, 0.5, 0.0]
    assert list_jaccard(a, b[:, ::-1]).tolist() == [0.0, 0.0, 0.5, 0.0]  # order does not matter


def test_list_jaccard_matches_sets_on_random_tables():
    """The merge of sorted rows against Python's sets, with short lists (-1 padding) and empty ones."""
    rng = np.random.default_rng(3)
    n, k = 300, 7
    a = np.array([rng.choice(40, size=k, replace=False) for _ in range(n)])
    b = np.array([rng.choice(40, size=k + 2, replace=False) for _ in range(n)])
    a[rng.random((n, k)) < 0.2] = -1
    b[rng.random((n, k + 2)) < 0.2] = -1
    a[:5], b[3:8] = -1, -1
    expected = []
    for x, y in zip(a.tolist(), b.tolist()):
        sx, sy = {v for v in x if v >= 0}, {v for v in y if v >= 0}
        expected.append(len(sx & sy) / len(sx | sy) if sx | sy else 1.0)
    np.testing.assert_allclose(list_jaccard(a, b), expected)
    np.testing.assert_allclose(list_jaccard(b, a), expected)


def test_null_model_is_k_distinct_others_and_seeded():
    for n, k in [(5000, 20), (12, 11), (40, 10)]:
        table = null_neighbours(n, k, seed=9)
        assert table.shape == (n, k) and table.dtype == np.int32
        assert table.min() >= 0 and table.max() < n
        assert not (table == np.arange(n)[:, None]).any()
        assert all(len(set(row)) == k for row in table.tolist())
        np.testing.assert_array_equal(table, null_neighbours(n, k, seed=9))
    assert not np.array_equal(null_neighbours(500, 5, 1), null_neighbours(500, 5, 2))
    assert sorted(null_neighbours(12, 20, 0)[3].tolist()) == [i for i in range(12) if i != 3]


def test_null_model_expected_jaccard():
    n, k = 20_000, 20
    fixed = (np.arange(n)[:, None] + np.arange(1, k + 1)[None, :]) % n  # any fixed lists
    null = null_neighbours(n, k, seed=4)
    observed = list_jaccard(fixed, null).mean()
    expected = expected_null_jaccard(n, k)
    assert observed == pytest.approx(expected, rel=0.1)
    # Overlap is hypergeometric: |A & B| / k is about k / n, the Jaccard index about k / (2n).
    assert expected == pytest.approx(k / (2 * n), rel=0.05)
    common = (fixed[:, :, None] == null[:, None, :]).sum(axis=(1, 2)).mean() / k
    assert common == pytest.approx(k / n, rel=0.1)


def test_overlap_test_permutations():
    rng = np.random.default_rng(0)
    n, m, permutations = 1000, 200, 199
    perms = rng.permuted(np.tile(np.arange(m), (permutations, 1)), axis=1)
    a = null_neighbours(n, 10, seed=1)[:m]
    observed, permuted, p = overlap_test(a, a, n, perms)
    assert observed == 1.0 and permuted < 0.05 and p == pytest.approx(1 / (permutations + 1))
    b = null_neighbours(n, 10, seed=2)[:m]
    observed, permuted, p = overlap_test(a, b, n, perms)
    assert observed < 0.05 and p > 0.05


def test_tag_coherence_by_hand():
    cat = catalogue_of([("Romance", "Comedy"), ("Romance", "Comedy"), ("Drama",), ("Comedy", "Drama")])
    bits = tag_bits(cat.matrix)
    rows = np.array([0, 0, 0, 2])
    table = np.array([[1], [2], [3], [-1]])
    assert coherence_rows(bits, rows, table).tolist() == pytest.approx([1.0, 0.0, 1 / 3, 0.0])
    assert coherence_rows(bits, np.array([0]), np.array([[1, 2, 3]]))[0] == pytest.approx((1 + 0 + 1 / 3) / 3)


def test_gini():
    assert gini(np.array([3, 3, 3, 3])) == pytest.approx(0.0)
    assert gini(np.array([0, 0, 0, 4])) == pytest.approx(0.75)
    assert gini(np.zeros(5)) == 0.0


def test_planted_related_pair_is_found():
    tags = [("Romance",), ("Comedy",), ("Drama",), ("Action",), ("Horror",), ("Sports",)]
    # 0 -> 3 is a sequel; only 0 records it. 1 -> 4 is a doujinshi (not the same story);
    # 2 links to a manga outside the catalogue.
    rel = {0: [(3, "sequel")], 1: [(4, "doujinshi")], 2: [(99, "prequel")]}
    cat = catalogue_of(tags, rel)
    related = related_matrix(cat)
    assert related.nnz == 2 and related[0, 3] and related[3, 0]
    rows = np.flatnonzero(np.diff(related.indptr))
    assert rows.tolist() == [0, 3]
    table = np.array([[3, 1], [2, 5]])  # 0 finds its sequel; 3 misses its prequel
    assert related_recall(related, rows, table).tolist() == [1.0, 0.0]


def test_evaluate_on_hand_made_tables():
    tags = [("Romance", "Comedy")] * 3 + [("Action", "Horror")] * 3
    cat = catalogue_of(tags, {0: [(1, "sequel")], 3: [(4, "spin_off")]})
    same_tags = [[1, 2], [0, 2], [0, 1], [4, 5], [3, 5], [3, 4]]
    other_tags = [[3, 4], [3, 4], [3, 4], [0, 1], [0, 1], [0, 1]]
    tables = {"a": nb("a", same_tags), "b": nb("b", same_tags), "c": nb("c", other_tags)}
    ev = evaluate(cat, tables, k=2, seed=0, permutations=99)
    pairs = {(p.a, p.b): p for p in ev.pairs}
    assert pairs["a", "b"].jaccard == 1.0 and pairs["a", "c"].jaccard == 0.0
    a, c = ev.models["a"], ev.models["c"]
    assert a.coherence.value == 1.0 and c.coherence.value == 0.0
    assert a.related_recall.value == 1.0 and c.related_recall.value == 0.0
    assert a.coverage.value == 1.0 and c.coverage.value == pytest.approx(4 / 6)
    assert a.gini.value == pytest.approx(0.0) and c.gini.value > 0.3
    assert ev.related_manga == 4 and ev.k == 2


def test_evaluation_json_deterministic_and_safe(demo_catalogue):
    n = len(demo_catalogue)
    tables = {
        "first": nb("first", null_neighbours(n, 10, seed=11)),
        "second": nb("second", np.roll(null_neighbours(n, 10, seed=11), 1, axis=1)),
        "third": nb("third", null_neighbours(n, 12, seed=12)),
    }
    out = evaluate(demo_catalogue, tables, k=10, seed=5, permutations=49, sample=200)
    text = json.dumps(out.to_json(), allow_nan=False, sort_keys=True)
    again = evaluate(demo_catalogue, tables, k=10, seed=5, permutations=49, sample=200)
    assert json.dumps(again.to_json(), allow_nan=False, sort_keys=True) == text
    data = out.to_json()
    assert set(data) >= {"n_manga", "k", "seed", "permutations", "sample", "null", "models", "pairs"}
    assert list(data["models"]) == ["first", "second", "third"] and len(data["pairs"]) == 3
    assert data["pairs"][0]["jaccard"] == 1.0 and data["pairs"][0]["p_value"] == pytest.approx(0.02)
    # random "models" are no better than the null model
    assert data["pairs"][1]["p_value"] > 0.01
    assert abs(data["models"]["third"]["coherence"]["value"] - data["null"]["coherence"]) < 0.05
    summary = out.summary()
    assert "\n" not in summary and "3 models" in summary and f"{n} manga" in summary


def test_evaluation_without_relations():
    cat = catalogue_of([("Romance",), ("Comedy",), ("Drama",), ("Action",)])
    ev = evaluate(cat, {"x": nb("x", [[1], [2], [3], [0]])}, k=5, seed=0, permutations=9)
    assert ev.k == 1 and ev.models["x"].related_recall is None
    data = json.loads(json.dumps(ev.to_json(), allow_nan=False))
    assert data["models"]["x"]["related_recall"] is None and data["pairs"] == []
    assert "related" not in ev.summary()
