"""What the browser reads: the compact catalogue index, description shards and neighbour shards.

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
from typing import TYPE_CHECKING, Any

import numpy as np

from ..analysis.neighbours import Neighbours
from ..analysis.series import direct_relations, same_series, series_ids
from ..sources.catalogue import CONTENT_RATINGS, Catalogue
from .contract import versioned
from .descriptions import sanitize_description
from .packed import Scale, compress, pack

if TYPE_CHECKING:
    from ..analysis.selection import Selection

#: Tags a reader should only meet when they chose them: MangaDex's content warnings (its
#: ``content`` group: Gore, Sexual Violence) and the themes its readers most often filter out of
#: search. A title carrying one is recommended only from a manga that carries it too.
GUARDED_TAGS = frozenset({"Gore", "Sexual Violence", "Incest", "Loli", "Shota"})
#: Fan works are recommended only from a fan work: a reader of an original wants originals.
DOUJINSHI_TAG = "Doujinshi"
#: Titles listed under "More by" a person in a pick's shard (the most followed first).
MORE_BY = 12


def people_works(catalogue: Catalogue) -> dict[str, list[int]]:
    """Person id -> the manga they wrote or drew, in catalogue order (most followed first)."""
    works: dict[str, list[int]] = {}
    for i, m in enumerate(catalogue.manga):
        for person in m.people:
            works.setdefault(person.id, []).append(i)
    return works


def _by(catalogue: Catalogue, works: dict[str, list[int]], i: int) -> list[list[Any]]:
    """``[name, role, other titles (at most MORE_BY), how many others]`` per person of manga ``i``."""
    out = []
    for person in catalogue.manga[i].people:
        others = [j for j in works[person.id] if j != i]
        out.append([person.name, person.role, others[:MORE_BY], len(others)])
    return out


@dataclass(frozen=True)
class ModelInfo:
    """What the site says about a fitted model."""

    name: str
    label: str
    summary: str
    metric: str
    method: str
    recall: float | None = None
    on: bool = True  # shown by default (the evaluation's choice)
    note: str | None = None  # why not
    note_short: str | None = None


def _rounded(value: float | None, digits: int = 2) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(value, digits)


def _model_entries(models: Sequence[ModelInfo], model_scales: Sequence[Scale]) -> list[dict[str, Any]]:
    return [{"name": m.name, "label": m.label, "summary": m.summary, "metric": m.metric, "lo": sc.lo, "step": sc.step,
             "on": m.on, "note": m.note} for m, sc in zip(models, model_scales)]


def catalogue_index(catalogue: Catalogue, models: Sequence[ModelInfo], shard_size: int, k: int,
                    model_scales: Sequence[Scale], *, show: int | None = None,
                    selection: Selection | None = None) -> dict[str, Any]:
    """The compact index the explore page searches: column arrays, one entry per manga.

    Returns
    -------
    dict
        ``version``, ``tags`` (name, group per column), ``models`` (with the ``lo`` and ``step`` that
        turn their shards' distance bytes into distances, ``on`` when shown by default and a
        ``note`` saying why not), ``default`` (the model of the default list) and
        ``default_reason``, ``shard_size``, ``k`` (neighbours stored), ``show`` (neighbours shown),
        ``guard_tags`` (columns of :data:`GUARDED_TAGS`), ``doujinshi`` (that tag's column or -1),
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
        "show": min(show or k, k),
        "tags": [{"name": t.name, "group": t.group} for t in catalogue.tags],
        "guard_tags": [j for j, t in enumerate(catalogue.tags) if t.name in GUARDED_TAGS or t.group == "content"],
        "doujinshi": next((j for j, t in enumerate(catalogue.tags) if t.name == DOUJINSHI_TAG), -1),
        "models": _model_entries(models, model_scales),
        "default": selection.default if selection is not None else (models[0].name if models else None),
        "default_reason": selection.reason if selection is not None else "the first model",
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


def shards(catalogue: Catalogue, shard_size: int,
           neighbours: Sequence[Neighbours] = ()) -> Iterator[tuple[int, dict[str, Any]]]:
    """What one pick needs besides the lists, for manga ``[start, start + shard_size)``.

    Yields
    ------
    (shard number, dict)
        ``start``; per manga ``desc`` (sanitized description HTML), ``rel`` (its related titles
        on MangaDex as ``[index, label]``, :func:`~sitegen.analysis.series.direct_relations`) and
        ``same`` (the manga of its own series among its listed neighbours, which Explore leaves
        out unless asked), ``by`` (per author or artist: name, role, their other titles, how many).
    """
    n = len(catalogue)
    related, series, works = direct_relations(catalogue), series_ids(catalogue), people_works(catalogue)
    for number, start in enumerate(range(0, n, shard_size)):
        stop = min(n, start + shard_size)
        yield number, versioned("shard", {
            "start": start,
            "desc": [sanitize_description(m.description) for m in catalogue.manga[start:stop]],
            "rel": [[list(pair) for pair in related[i]] for i in range(start, stop)],
            "same": [same_series(series, i, [nb.indices[i] for nb in neighbours]) for i in range(start, stop)],
            "by": [_by(catalogue, works, i) for i in range(start, stop)],
        })


def neighbour_shards(neighbours: Sequence[Neighbours], n: int, shard_size: int,
                     model_scales: Sequence[Scale]) -> Iterator[tuple[int, bytes]]:
    """Binary neighbour shards (:mod:`sitegen.site.packed`), gzipped, the same runs of manga as :func:`shards`."""
    for number, start in enumerate(range(0, n, shard_size)):
        stop = min(n, start + shard_size)
        yield number, compress(pack(start, [nb.indices[start:stop] for nb in neighbours],
                                    [nb.distances[start:stop] for nb in neighbours], model_scales))


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
                 "search": info.method, "recall": _rounded(info.recall, 4), "params": params,
                 "dims": int(model.embedding_.shape[1])}
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
