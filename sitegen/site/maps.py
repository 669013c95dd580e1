"""The Maps page's files: a small JSON index and compact binary files the page loads on demand.

- ``data/projections.json`` (the index): the projections made, their parameters, the tags and
  their groups, per model its maps (file number, cluster labels), and each mapped manga's
  demographic as one digit (``demographic``: 110,000 characters, 37 kB gzipped): the first map is
  coloured by demographic, so it needs neither the manga file below (420 kB on the wire at
  110,000 manga) nor the catalogue, which the page loads once that map is on screen.
- ``data/maps/{n}.bin`` (one per model and projection, loaded only when shown; file 0 is the first
  model's first map, the page's default, which it fetches with the index): the coordinates,
  quantised to 16 bits per axis: 4 bytes a manga, 440 kB for 110,000 manga before gzip. A map is
  2 wide, so a step is 3e-5 of it: a sixteenth of a pixel on a 2,000-pixel plot zoomed 30 times.
- ``data/maps/manga.bin.gz`` (once): each mapped manga's tags, demographic and popularity, for
  the other colourings, hover and selections (most followed listed first), loaded after the first map (or before it, when the address
  asks for a colouring by tag). Static
  hosts (GitHub Pages, ``sitegen.serve``) gzip text, not binary files, so this one is stored gzipped
  (748 kB -> 422 kB at 110,000 manga, measured) and the page inflates it (``DecompressionStream``).
  The map files are not: 16-bit coordinates barely compress (440 kB -> 438 kB).

Binary layout, little-endian, after a 16-byte header ``magic(4) version(u8) width(u8) 0(u16)
count(u32) total(u32)`` (the version at byte 4, as in the neighbour shards):

- map: ``x`` as ``count`` uint16, then ``y`` as ``count`` uint16 (columns gzip better than pairs);
  coordinate = q / 65535 * 2 - 1.
- manga: ``demographic`` as ``count`` uint8 (index into the index's ``demographics``), ``tag
  count`` as ``count`` uint8, ``popularity`` as ``count`` uint8 (:func:`popularity`), then the
  ``total`` tag columns, ``width`` bytes each, manga after manga.
"""

from __future__ import annotations

import gzip
import struct
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..analysis.projections import STEPS
from . import contract

if TYPE_CHECKING:
    from ..analysis.projections import Projection
    from ..config import ProjectionConfig
    from ..sources.catalogue import Catalogue

HEADER = struct.Struct("<4sBBHII")
MAP_MAGIC = b"MRMP"
MANGA_MAGIC = b"MRMT"
#: MangaDex's publication demographics; index 0 is "none".
DEMOGRAPHICS = ("none", "shounen", "shoujo", "seinen", "josei")


def quantise(coords: np.ndarray) -> np.ndarray:
    """Coordinates in [-1, 1] as uint16 steps, shape (2, m): x row, then y row."""
    q = np.round((np.clip(coords, -1, 1) + 1) / 2 * STEPS)
    return q.T.astype("<u2")


def pack_map(coords: np.ndarray) -> bytes:
    """One map's file: header, then x and y columns (see the module docstring).

    Parameters
    ----------
    coords : ndarray, shape (m, 2), in [-1, 1]
    """
    version = contract.FILES["map"].version
    return HEADER.pack(MAP_MAGIC, version, 2, 0, len(coords), 0) + quantise(coords).tobytes()


def unpack_map(data: bytes) -> np.ndarray:
    """The coordinates of a map file, shape (m, 2), float64 (for tests and checks)."""
    magic, version, width, _, count, _ = HEADER.unpack_from(data)
    if magic != MAP_MAGIC or version != contract.FILES["map"].version or width != 2:
        raise ValueError("not a map file of this version")
    q = np.frombuffer(data, dtype="<u2", offset=HEADER.size, count=2 * count).reshape(2, count)
    return q.T.astype(np.float64) / STEPS * 2 - 1


def popularity(follows: Sequence[int]) -> np.ndarray:
    """Follows on a log scale in a byte, 8 steps a doubling (0: none; 255 past 2**31): what the
    maps sort a selection by. The manga are numbered by likeness (:mod:`sitegen.site.numbering`),
    not by follows, and the exact counts (uint32) would cost the maps' manga file 166 kB gzipped at
    110,000 manga; this, 86 kB (measured)."""
    f = np.asarray(follows, dtype=np.float64).reshape(-1)
    return np.clip(np.round(8 * np.log2(1 + np.maximum(f, 0))), 0, 255).astype(np.uint8)


def pack_manga(tag_lists: Sequence[Sequence[int]], demographics: Sequence[str], n_tags: int,
               follows: Sequence[int] | None = None) -> bytes:
    """The mapped manga's tags, demographics and popularity (see the module docstring).

    Parameters
    ----------
    tag_lists : sequence of m lists of int
        Tag columns of each manga, ascending; at most 255 each.
    demographics : sequence of m str
        MangaDex's publication demographic ("" or one not in :data:`DEMOGRAPHICS` is "none").
    n_tags : int
        Tags in the vocabulary: columns take one byte below 256, two from there.
    follows : sequence of m int, optional
        Each manga's follows (none known: 0).
    """
    width = 1 if n_tags < 256 else 2
    code = {d: i for i, d in enumerate(DEMOGRAPHICS)}
    demo = np.array([code.get(d, 0) for d in demographics], dtype=np.uint8)
    counts = np.array([min(len(t), 255) for t in tag_lists], dtype=np.uint8)
    flat = np.array([c for tags in tag_lists for c in list(tags)[:255]], dtype="<u1" if width == 1 else "<u2")
    head = HEADER.pack(MANGA_MAGIC, contract.FILES["map_manga"].version, width, 0, len(tag_lists), len(flat))
    known = popularity(follows if follows is not None else np.zeros(len(tag_lists)))
    return head + demo.tobytes() + counts.tobytes() + known.tobytes() + flat.tobytes()


def demographic_digits(demographics: Sequence[str]) -> str:
    """Each manga's demographic as one digit, its index in :data:`DEMOGRAPHICS` (0: none or unknown)."""
    code = {d: str(i) for i, d in enumerate(DEMOGRAPHICS)}
    return "".join(code.get(d, "0") for d in demographics)


def maps_index(catalogue: Catalogue, maps: Sequence[Sequence[Projection]], config: ProjectionConfig,
               seed: int, tagmaps: dict[str, Any] | None = None) -> tuple[dict[str, Any], list[np.ndarray]]:
    """The index and, in file-number order, the coordinates each map file holds.

    Returns
    -------
    index : dict
        ``methods`` (projections made), ``params``, ``manga`` (mapped count, a catalogue
        prefix), ``tags`` ({name, group} per column), ``demographics``, ``demographic`` (each mapped
        manga's, one digit each: :func:`demographic_digits`), ``models``: a list of
        {name, maps: {method: {file, labels, epochs (UMAP only)}}}, in the build's
        model order; ``tagmaps``
        (:func:`sitegen.analysis.tagmap.tag_maps`; empty maps when not given).
    coords : list of ndarray, shape (m, 2) each
    """
    files: list[np.ndarray] = []
    models = []
    for per_model in maps:
        entry: dict[str, Any] = {}
        for p in per_model:
            entry[p.method] = {"file": len(files), "labels": p.labels, **({"epochs": p.epochs} if p.epochs else {})}
            files.append(p.coords)
        models.append({"name": per_model[0].model, "maps": entry})
    methods = sorted({p.method for per_model in maps for p in per_model}, key=("umap", "pca").index)
    m = len(files[0]) if files else 0
    index = contract.versioned("projections", {
        "methods": methods,
        "params": {"n_neighbors": config.n_neighbors, "min_dist": config.min_dist, "n_epochs": config.n_epochs,
                   "seed": seed},
        "manga": m,
        "tags": [{"name": t.name, "group": t.group} for t in catalogue.tags],
        "demographics": list(DEMOGRAPHICS),
        "demographic": demographic_digits([x.demographic for x in catalogue.manga[:m]]),
        "models": models,
        "tagmaps": tagmaps if tagmaps is not None else {"counts": [], "cooccur": [], "maps": []},
    })
    return index, files


def map_files(catalogue: Catalogue, maps: Sequence[Sequence[Projection]], config: ProjectionConfig,
              seed: int, tagmaps: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything the build writes for the Maps page: ``{"index": dict, "files": {path: bytes}}``."""
    index, coords = maps_index(catalogue, maps, config, seed, tagmaps)
    m = index["manga"]
    files = {contract.FILES["map"].name(i): pack_map(c) for i, c in enumerate(coords)}
    manga = pack_manga(catalogue.tag_lists[:m], [x.demographic for x in catalogue.manga[:m]], len(catalogue.tags),
                       [x.follows for x in catalogue.manga[:m]])
    files[contract.FILES["map_manga"].name()] = gzip.compress(manga, compresslevel=9, mtime=0)  # same bytes each build
    return {"index": index, "files": files}
