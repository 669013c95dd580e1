"""Which model leads Explore, and which are off by default, decided from the evaluation."""

from __future__ import annotations

import numpy as np

from sitegen.analysis.evaluation import Evaluation, ModelScores, Score
from sitegen.analysis.neighbours import Neighbours
from sitegen.analysis.selection import select_models


def scores(coherence, coverage, gini, recall):
    return ModelScores(Score(coherence, 0.1), Score(coverage, 1.0), Score(gini, 0.1),
                       None if recall is None else Score(recall, 0.0))


def evaluation(models):
    return Evaluation(100, 20, 0, 99, 50, 10, 0.01, {}, models, ())


def tables(*names, same=()):
    rng = np.random.default_rng(0)
    out = {name: Neighbours(name, rng.integers(0, 100, (100, 20)).astype(np.int32), np.zeros((100, 20), np.float32), "exact")
           for name in names}
    for copy, of in same:
        out[copy] = Neighbours(copy, out[of].indices.copy(), out[of].distances, "exact")
    return [out[n] for n in names]


LABELS = {"lsi": "LSI", "text": "Text", "hubby": "Hubby", "twin": "Twin", "loose": "Loose"}


def test_the_default_is_the_best_recall_above_the_coherence_floor():
    ev = evaluation({"lsi": scores(0.65, 0.9, 0.4, 0.30), "text": scores(0.58, 1.0, 0.3, 0.62),
                     "loose": scores(0.40, 1.0, 0.3, 0.70)})
    chosen = select_models(ev, tables("lsi", "text", "loose"), LABELS, coherence_floor=0.85)
    assert chosen.default == "text"  # loose finds more related titles, but its lists stopped looking alike
    assert abs(chosen.floor - 0.85 * 0.65) < 1e-9
    assert "0.620" in chosen.reason and "LSI" in chosen.reason
    assert chosen.off == {}


def test_hub_models_and_repeats_are_off_by_default_with_their_figures():
    ev = evaluation({"lsi": scores(0.65, 0.9, 0.4, 0.30), "hubby": scores(0.7, 0.06, 0.98, 0.9),
                     "twin": scores(0.65, 0.9, 0.4, 0.30)})
    chosen = select_models(ev, tables("lsi", "hubby", "twin", same=[("twin", "lsi")]), LABELS)
    assert set(chosen.off) == {"hubby", "twin"}
    assert "coverage 6%" in chosen.off["hubby"] and "Gini 0.98" in chosen.off["hubby"]
    assert "LSI" in chosen.off["twin"]
    assert chosen.default == "lsi"  # hubby's recall does not count: it is off


def test_without_relations_the_most_coherent_model_leads():
    ev = evaluation({"lsi": scores(0.65, 0.9, 0.4, None), "text": scores(0.70, 1.0, 0.3, None)})
    chosen = select_models(ev, tables("lsi", "text"), LABELS)
    assert chosen.default == "text" and "no related titles" in chosen.reason
    assert chosen.to_json()["default"] == "text"
