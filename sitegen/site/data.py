"""What the browser reads: the catalogue index, list columns, id buckets, pick shards and model lists.

Everything here is pure (records in, JSON-ready dicts out); :mod:`sitegen.site.render` writes it.
Manga are referred to by their integer index into the catalogue index, which keeps shards small.
Titles and tags stay untrusted text in JSON (the pages insert them as text, never as HTML);
descriptions are the one field shown as HTML, so they are rendered and sanitized by
:mod:`sitegen.site.descriptions`. Every file's layout is the one :mod:`sitegen.site.contract` says.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import TYPE_CHECKING, Any

import numpy as np

from ..analysis.neighbours import Neighbours
from ..analysis.series import direct_relations, same_series_block, series_ids
from ..sources.catalogue import CONTENT_RATINGS, Catalogue
from .contract import versioned
from .descriptions import sanitize_description
from .facets import Facets
from .packed import NONE, Scale, index_bytes, pack, quantize

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
    """Person id -> the manga they wrote or drew, most followed first."""
    works: dict[str, list[int]] = {}
    for i in catalogue.follows_order.tolist():
        for person in catalogue.manga[i].people:
            works.setdefault(person.id, []).append(i)
    return works


def _by(catalogue: Catalogue, works: dict[str, list[int]], i: int) -> list[list[Any]]:
    """``[name, role, other titles (at most MORE_BY), how many others]`` per person of manga ``i``."""
    out = []
    for person in catalogue.manga[i].people:
        titles = works[person.id]
        # Only the head of a prolific person's list is shown: filtering all of it for each of their
        # titles took 50 s of a 1,000,000-manga site's writing. ``i`` is in it once (a manga names
        # a person once), and the first MORE_BY others are within MORE_BY + that many.
        mine = titles.count(i)
        out.append([person.name, person.role, [j for j in titles[:MORE_BY + mine] if j != i][:MORE_BY],
                    len(titles) - mine])
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
    # None for NaN and infinity: the pick shards are written by orjson, which does not refuse them
    if value is None or not math.isfinite(value):
        return None
    return round(value, digits)


def _model_entries(models: Sequence[ModelInfo], model_scales: Sequence[Scale]) -> list[dict[str, Any]]:
    return [{"name": m.name, "label": m.label, "summary": m.summary, "metric": m.metric, "lo": sc.lo, "step": sc.step,
             "on": m.on, "note": m.note} for m, sc in zip(models, model_scales)]


def catalogue_index(catalogue: Catalogue, models: Sequence[ModelInfo], layout: Layout, k: int,
                    model_scales: Sequence[Scale], *, show: int | None = None,
                    selection: Selection | None = None, titles: dict[str, Any] | None = None) -> dict[str, Any]:
    """What every page reads first: the catalogue's shape, its tags and models, and where the rest is.

    It holds nothing per manga (that is in :func:`columns`, the title fragments of
    :mod:`sitegen.site.titles`, the id buckets of :func:`id_buckets` and the pick shards), so it
    stays a few kilobytes at any catalogue size.

    Returns
    -------
    dict
        ``n`` (manga), ``synthetic``, ``shard_size`` (manga per pick shard), ``compare_size``
        (manga per model neighbour file), ``id_buckets``, ``k`` (neighbours stored), ``show``
        (neighbours shown), ``tags`` (name, group per column), ``guard_tags`` (columns of
        :data:`GUARDED_TAGS` and the content group), ``doujinshi`` (that tag's column or -1),
        ``models`` (with the ``lo`` and ``step`` that turn distance bytes into distances, ``on``
        when shown by default and a ``note`` saying why not), ``default`` and ``default_reason``,
        ``facets`` (the values of the coded columns), ``years`` (``[first, last]`` or null) and
        ``titles`` (the title index's header, :meth:`~sitegen.site.titles.TitleIndex.header`).
    """
    years = [m.year for m in catalogue.manga if m.year]
    facets = Facets.of(catalogue)
    return versioned("catalogue", {
        "n": len(catalogue),
        "synthetic": catalogue.synthetic,
        "shard_size": layout.shard_size,
        "compare_size": layout.compare_size,
        "id_buckets": layout.id_buckets,
        "k": k,
        "show": min(show or k, k),
        "tags": [{"name": t.name, "group": t.group} for t in catalogue.tags],
        "guard_tags": [j for j, t in enumerate(catalogue.tags) if t.name in GUARDED_TAGS or t.group == "content"],
        "doujinshi": next((j for j, t in enumerate(catalogue.tags) if t.name == DOUJINSHI_TAG), -1),
        "models": _model_entries(models, model_scales),
        "default": selection.default if selection is not None else (models[0].name if models else ""),
        "default_reason": selection.reason if selection is not None else "the first model",
        "facets": facets.to_json(),
        "years": [min(years), max(years)] if years else None,
        "titles": titles or {},
    })


#: The header fields every manga has in the list columns too (the rest are in its pick shard only).
COLUMNS = ("title", "year", "tags", "rating", "lang", "status", "demo")


def columns(catalogue: Catalogue, headers: dict[str, list[Any]] | None = None) -> dict[str, Any]:
    """What a list shows and filters by, for every manga: parallel lists in index order, for the
    pages whose lists name any manga (Compare, Maps, the Feed); a pick's shard carries its own.

    ``title``, ``year`` (null unknown), ``tags`` (column indices), ``rating`` (index into
    :data:`~sitegen.sources.catalogue.CONTENT_RATINGS`), and ``lang``, ``status``, ``demo`` coded
    by the catalogue index's ``facets`` (-1 unknown): the pick shards' header fields of the same
    names. No ids and no alternative titles: a page needs those only for the manga it shows in
    full, and they are in its pick shard. ``headers``: :func:`header_fields`, when made already.
    """
    headers = headers if headers is not None else header_fields(catalogue)
    return versioned("columns", {key: headers[key] for key in COLUMNS})


def id_bucket(manga_id: str, buckets: int) -> int:
    """The id bucket of a MangaDex id: its first four hex digits modulo ``buckets`` (as the page)."""
    return int(manga_id[:4], 16) % buckets


def id_buckets(catalogue: Catalogue, buckets: int) -> Iterator[tuple[int, dict[str, Any]]]:
    """(number, ``{ids, index}``) per bucket: the page's way from an id in a link or a library to
    the catalogue index, without loading every id."""
    grouped: list[tuple[list[str], list[int]]] = [([], []) for _ in range(buckets)]
    for i, m in enumerate(catalogue.manga):
        ids, index = grouped[id_bucket(m.id, buckets)]
        ids.append(m.id)
        index.append(i)
    for number, (ids, index) in enumerate(grouped):
        yield number, versioned("ids", {"ids": ids, "index": index})


def header_fields(catalogue: Catalogue) -> dict[str, list[Any]]:
    """Every manga's header fields (see :func:`shards`), once: a shard takes its slice, the list
    columns (:func:`columns`) some of them whole."""
    facets = Facets.of(catalogue)
    cr_code = {c: i for i, c in enumerate(CONTENT_RATINGS)}  # the loader admits no other rating
    manga = catalogue.manga
    codes = {name: facets.codes(name) for name in ("lang", "status", "demo")}
    return {
        "id": [m.id for m in manga], "title": [m.title for m in manga], "alt": [list(m.alt_titles) for m in manga],
        "year": [m.year for m in manga], "tags": catalogue.tag_lists,
        "rating": [cr_code[m.content_rating] for m in manga],
        "status": [codes["status"].get(m.status, -1) for m in manga],
        "demo": [codes["demo"].get(m.demographic, -1) for m in manga],
        "lang": [codes["lang"].get(m.original_language, -1) for m in manga],
        "follows": [m.follows or None for m in manga], "score": [_rounded(m.bayesian) for m in manga],
    }


#: Manga whose default lists are packed at once for the pick shards (:func:`_packed_lists`).
LIST_BLOCK = 32768


def _packed_lists(default: Neighbours, scale: Scale, start: int, stop: int) -> tuple[list[str], list[str]]:
    """The default model's lists of manga ``[start, stop)``, each as two base64 texts: the indices
    (3 bytes each, little-endian) and the distance bytes, the empty places (always last) left out.
    Packed so, a pick shard's lists take 10 kB instead of 19 kB of JSON numbers. Called for blocks
    of :data:`LIST_BLOCK` manga: a shard's 32 at a time cost more in numpy's calls than in the work."""
    idx = default.indices[start:stop]
    q = quantize(default.distances[start:stop], idx, scale)
    counts = ((idx >= 0) & (q != NONE)).sum(axis=1).tolist()
    encode = base64.b64encode
    return ([encode(w[:c].tobytes()).decode() for w, c in zip(index_bytes(idx), counts)],
            [encode(r[:c].tobytes()).decode() for r, c in zip(q, counts)])


def unpack_list(indices: str, distances: str) -> tuple[list[int], list[int]]:
    """The inverse of a pick shard's packed list: (indices, distance bytes)."""
    raw, dist = base64.b64decode(indices), base64.b64decode(distances)
    return [int.from_bytes(raw[p:p + 3], "little") for p in range(0, len(raw), 3)], list(dist)


def _near(headers: dict[str, list[Any]], start: int, stop: int, named: set[int]) -> dict[str, list[Any]]:
    """The list columns (:data:`COLUMNS`) of the manga ``named`` outside ``[start, stop)``, by index ``i``."""
    others = sorted(j for j in named if not start <= j < stop)
    return {"i": others, **{key: _take(headers[key], others) for key in COLUMNS}}


def _take(column: list[Any], rows: list[int]) -> list[Any]:
    if len(rows) < 2:  # itemgetter of one item gives the item, not a tuple
        return [column[j] for j in rows]
    return list(itemgetter(*rows)(column))  # in C: a third faster than map (1,000,000 manga: 64 s)


def shards(catalogue: Catalogue, shard_size: int, neighbours: Sequence[Neighbours] = (),
           default: Neighbours | None = None, scale: Scale | None = None,
           descriptions: Sequence[str] | None = None,
           headers: dict[str, list[Any]] | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """Everything one pick shows but the other models' lists, for manga ``[start, start + shard_size)``.

    Yields
    ------
    (shard number, dict)
        ``start``; per manga its header (``id``, ``title``, ``alt``, ``year``, ``tags``,
        ``rating``, ``status``, ``demo``, ``lang`` coded as in :func:`columns`, ``follows`` and
        ``score``, null unknown), ``desc`` (sanitized description HTML), ``rel`` (its related
        titles on MangaDex as ``[index, label]``, :func:`~sitegen.analysis.series.direct_relations`),
        ``same`` (the manga of its own series among its listed neighbours, which Explore leaves
        out unless asked), ``by`` (per author or artist: name, role, their other titles, how
        many), and the default model's list: ``list`` (indices) and ``dist`` (distance bytes,
        ``lo + byte * step`` of that model's scale), without the empty places, each packed in
        base64 (:func:`unpack_list`). Then ``near``: the list columns (``i``, then
        :data:`COLUMNS`) of every other manga those lists, relations and people name, so that a
        pick needs no other file (:mod:`sitegen.site.numbering` keeps them few).
        ``descriptions``, when given, are every manga's already sanitized
        (:mod:`sitegen.site.textwork`). ``headers``: :func:`header_fields`, when made already.
    """
    n = len(catalogue)
    related, series, works = direct_relations(catalogue), series_ids(catalogue), people_works(catalogue)
    headers = headers if headers is not None else header_fields(catalogue)
    block = shard_size * max(1, LIST_BLOCK // shard_size)  # a shard never straddles two blocks
    packed: tuple[list[str], list[str]] = ([], [])
    for number, start in enumerate(range(0, n, shard_size)):
        stop = min(n, start + shard_size)
        named: set[int] = set()
        lists: dict[str, list[Any]] = {"list": [], "dist": []}
        if default is not None and scale is not None:
            if start % block == 0:
                packed = _packed_lists(default, scale, start, start + block)
            at = start % block
            lists = {"list": packed[0][at:at + stop - start], "dist": packed[1][at:at + stop - start]}
            listed = default.indices[start:stop]
            named.update(listed[listed >= 0].tolist())
        by = [_by(catalogue, works, i) for i in range(start, stop)]
        named.update(j for i in range(start, stop) for j, _ in related[i])
        named.update(j for people in by for person in people for j in person[2])
        yield number, versioned("shard", {
            "start": start,
            **{key: column[start:stop] for key, column in headers.items()},
            "desc": (descriptions[start:stop] if descriptions is not None
                     else [sanitize_description(m.description) for m in catalogue.manga[start:stop]]),
            "rel": [[list(pair) for pair in related[i]] for i in range(start, stop)],
            "same": (same_series_block(series, start, [nb.indices[start:stop] for nb in neighbours]) if neighbours
                     else [[] for _ in range(start, stop)]),
            "by": by,
            **lists,
            "near": _near(headers, start, stop, named),
        })


def neighbour_shards(neighbours: Sequence[Neighbours], n: int, size: int,
                     model_scales: Sequence[Scale], skip: str | None = None) -> Iterator[tuple[str, int, bytes]]:
    """Per model, its lists in binary files (:mod:`sitegen.site.packed`, one model each), to be
    stored gzipped (:func:`~sitegen.site.packed.compress`), ``size`` manga a file: ``(model name,
    file number, bytes)``. Compare fetches only the models
    it shows; the model ``skip`` (the default, whose lists are in the pick shards) gets none."""
    for nb, scale in zip(neighbours, model_scales):
        if nb.model == skip:
            continue
        for number, start in enumerate(range(0, n, size)):
            stop = min(n, start + size)
            yield nb.model, number, pack(start, [nb.indices[start:stop]], [nb.distances[start:stop]], [scale])


@dataclass(frozen=True)
class Layout:
    """How the per-manga data is cut into files (from the site config)."""

    shard_size: int
    compare_size: int
    id_buckets: int


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
