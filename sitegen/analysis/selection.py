"""Which models a reader sees first: the build's own evaluation decides, and says why.

* **Off by default** is a model whose lists are dominated by hubs: a few manga in everybody's
  list, which a reader sees as the same recommendations everywhere. The test is the
  evaluation's own: coverage (share of manga recommended at least once) below ``min_coverage``,
  or concentration (Gini of how often each manga is recommended) above ``max_gini``. Such a model
  stays on the site, one click away, marked with its measured figures.
* **Not shown twice** is a model whose lists equal, manga for manga, those of a model listed
  before it (the popularity blend when its fitted weight is 0 is LSI): it is off by default and
  says which model it repeats.
* **The default list** comes from the model with the highest related-title recall among the
  models left on whose tag coherence is at least ``coherence_floor`` times that of the tags-only
  baseline (LSI, else the most coherent model): recall is the one measure with outside ground
  truth (MangaDex's own relations), and the floor keeps it from being bought with lists that no
  longer look like the manga. With no relations in the catalogue, the most coherent model leads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .evaluation import Evaluation
from .neighbours import Neighbours

BASELINE = "lsi"


@dataclass(frozen=True)
class Selection:
    """The default model, why, and the models off by default with the reason for each."""

    default: str
    reason: str
    off: Mapping[str, str] = field(default_factory=dict)
    floor: float = 0.0
    #: The reasons of ``off`` in two or three words, for a checkbox's label.
    off_short: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"default": self.default, "reason": self.reason, "off": dict(self.off), "floor": round(self.floor, 6)}


def _repeats(neighbours: Sequence[Neighbours]) -> dict[str, str]:
    """Models whose tables equal an earlier model's: name -> the earlier model's name."""
    out: dict[str, str] = {}
    for b, nb in enumerate(neighbours):
        for earlier in neighbours[:b]:
            if earlier.model not in out and np.array_equal(earlier.indices, nb.indices):
                out[nb.model] = earlier.model
                break
    return out


def select_models(evaluation: Evaluation, neighbours: Sequence[Neighbours], labels: Mapping[str, str], *,
                  min_coverage: float = 0.5, max_gini: float = 0.8, coherence_floor: float = 0.85) -> Selection:
    """Decide the default model and the models off by default (see the module docstring).

    Parameters
    ----------
    evaluation : Evaluation
        The build's evaluation of every model in ``neighbours``.
    neighbours : sequence of Neighbours
        In the site's order: a repeat is the later of two equal models.
    labels : mapping of str to str
        Model name -> label, for the reasons shown to readers.
    """
    scores = evaluation.models
    off: dict[str, str] = {}
    short: dict[str, str] = {}
    for name, earlier in _repeats(neighbours).items():
        off[name] = f"its lists are the same as {labels[earlier]}'s on this catalogue"
        short[name] = f"same as {labels[earlier]}"
    for nb in neighbours:
        s = scores[nb.model]
        if nb.model not in off and (s.coverage.value < min_coverage or s.gini.value > max_gini):
            off[nb.model] = (f"hubs: a few manga fill most lists (coverage {s.coverage.value:.0%}, "
                             f"needs {min_coverage:.0%}; Gini {s.gini.value:.2f}, needs at most {max_gini:.2f})")
            short[nb.model] = "hubs"
    on = [nb.model for nb in neighbours if nb.model not in off] or [nb.model for nb in neighbours]
    base = BASELINE if BASELINE in scores else max(on, key=lambda m: scores[m].coherence.value)
    floor = coherence_floor * scores[base].coherence.value
    eligible = [m for m in on if scores[m].coherence.value >= floor - 1e-12] or on
    with_recall = [m for m in eligible if scores[m].related_recall is not None]
    if with_recall:
        best = max(with_recall, key=lambda m: (scores[m].related_recall.value, -on.index(m)))
        reason = (f"highest related-title recall@{evaluation.k} ({scores[best].related_recall.value:.3f}) among the "
                  f"models whose tag coherence is at least {coherence_floor:.0%} of {labels[base]}'s ({floor:.3f})")
    else:
        best = max(eligible, key=lambda m: (scores[m].coherence.value, -on.index(m)))
        reason = f"no related titles in this catalogue: the most tag-coherent model ({scores[best].coherence.value:.3f})"
    return Selection(best, reason, off, floor, short)
