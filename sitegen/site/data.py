"""What the browser reads: the compact catalogue index and the neighbour shards, as plain data.

Everything here is pure (records in, JSON-ready dicts out); :mod:`sitegen.site.render` writes it.
Manga are referred to by their integer index into the catalogue index, which keeps shards small.
Titles and tags stay untrusted text in JSON (the pages insert them as text, never as HTML);
descriptions are the one field shown as HTML, so they are rendered and sanitized by
:mod:`sitegen.site.descriptions`. Every file's layout is the one :mod:`sitegen.site.contract` says.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..analysis.neighbours import Neighbours
from ..sources.catalogue import CONTENT_RATINGS, Catalogue
from .contract import versioned
from .descriptions import sanitize_description


@dataclass(frozen=True)
class ModelInfo:
    """What the site says about a fitted model."""

    name: str
    label: str
    summary: str
    metric: str
    method: str


def _rounded(value: float | None, digits: int = 2) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(value, digits)


def catalogue_index(catalogue: Catalogue, models: Sequence[ModelInfo], shard_size: int, k: int) -> dict[str, Any]:
    """The compact index the explore page searches: column arrays, one entry per manga.

    Returns
    -------
    dict
        ``version``, ``tags`` (name, group per column), ``models``, ``shard_size``, ``k``,
        ``synthetic``, and ``manga`` with parallel lists ``id``, ``title``, ``alt``, ``tags``
        (column indices), ``year``, ``status``, ``rating`` (index into
        :data:`~sitegen.sources.catalogue.CONTENT_RATINGS`), ``score``
        (bayesian rating), ``follows``, ``lang``.
    """
    cr_code = {c: i for i, c in enumerate(CONTENT_RATINGS)}  # the loader admits no other rating
    manga = catalogue.manga
    return versioned("catalogue", {
        "synthetic": catalogue.synthetic,
        "shard_size": shard_size,
        "k": k,
        "tags": [{"name": t.name, "group": t.group} for t in catalogue.tags],
        "models": [{"name": m.name, "label": m.label, "summary": m.summary, "metric": m.metric} for m in models],
        "manga": {
            "id": [m.id for m in manga],
            "title": [m.title for m in manga],
            "alt": [list(m.alt_titles) for m in manga],
            "tags": catalogue.tag_lists,
            "year": [m.year for m in manga],
            "status": [m.status for m in manga],
            "rating": [cr_code[m.content_rating] for m in manga],
            "score": [_rounded(m.bayesian) for m in manga],
            "follows": [m.follows for m in manga],
            "lang": [m.original_language for m in manga],
        },
    })


def shards(catalogue: Catalogue, neighbours: Sequence[Neighbours], shard_size: int) -> Iterator[tuple[int, dict[str, Any]]]:
    """Neighbour shards: manga ``[start, start + shard_size)`` under every model.

    Yields
    ------
    (shard number, dict)
        ``start``, ``models`` ({name: {"idx": rows of indices, "dist": rows of distances}}) and
        ``desc`` (sanitized description HTML per manga).
    """
    n = len(catalogue)
    for number, start in enumerate(range(0, n, shard_size)):
        stop = min(n, start + shard_size)
        yield number, versioned("shard", {
            "start": start,
            "models": {
                nb.model: {
                    "idx": nb.indices[start:stop].tolist(),
                    "dist": [[round(float(d), 3) for d in row] for row in nb.distances[start:stop]],
                }
                for nb in neighbours
            },
            "desc": [sanitize_description(m.description) for m in catalogue.manga[start:stop]],
        })


def model_details(models: Sequence[Any], infos: Sequence[ModelInfo]) -> list[dict[str, Any]]:
    """Each model's identity, hyperparameters and, where it made one, the choice it made in fit."""
    def plain(value: Any) -> Any:
        if isinstance(value, (int, float, str, bool, type(None))):
            return value
        if hasattr(value, "get_params"):  # a wrapped model: its name and its own parameters
            return {"model": value.name, **{k: plain(v) for k, v in sorted(value.get_params().items())}}
        if isinstance(value, (tuple, list)):
            return [plain(v) for v in value]
        return str(value)

    out = []
    for model, info in zip(models, infos):
        params = {k: plain(v) for k, v in sorted(model.get_params().items())}
        entry = {"name": info.name, "label": info.label, "summary": info.summary, "metric": info.metric,
                 "search": info.method, "params": params, "dims": int(model.embedding_.shape[1])}
        choice = getattr(model, "choice_", None)
        if choice is not None and hasattr(choice, "to_json"):
            entry["choice"] = choice.to_json()
        out.append(entry)
    return out


def tag_statistics(catalogue: Catalogue, rules: dict[str, Any]) -> dict[str, Any]:
    """Per-tag counts and shares, tags per manga, and the strongest rules with tag names."""
    counts = catalogue.matrix.sum(axis=0).A1.astype(int)
    per_manga = catalogue.matrix.sum(axis=1).A1.astype(int)
    n = max(len(catalogue), 1)
    names = {tag_id: info["name"] for tag_id, info in rules.get("tags", {}).items()}
    return {
        "tags": [{"name": t.name, "group": t.group, "count": int(c), "share": round(c / n, 4)}
                 for t, c in sorted(zip(catalogue.tags, counts), key=lambda tc: (tc[0].group, -tc[1], tc[0].name))],
        "per_manga": {"median": float(np.median(per_manga)) if len(per_manga) else 0.0,
                      "max": int(per_manga.max(initial=0)), "one": int((per_manga == 1).sum()),
                      "histogram": np.bincount(per_manga).tolist()},
        "rules": [{**r, "antecedent": [names[t] for t in r["antecedent"]], "consequent": [names[t] for t in r["consequent"]]}
                  for r in rules.get("rules", [])[:25]],
    }
