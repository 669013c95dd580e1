"""The neighbour shards' binary layout: every model's lists for a run of manga, packed.

As JSON, a neighbour is a catalogue index and a distance written out in text, about 12 bytes;
at 110,000 manga, 11 models and 20 neighbours that is 290 MB, most of a GitHub Pages site. Packed,
it is 4 bytes: the index in 3 bytes (catalogues up to 16.7 million manga) and the distance in one,
quantized per model to 255 steps between the model's smallest and largest listed distance. The
lists' order is the search's, so quantizing changes only the figure shown, never the order.

Layout (little-endian)::

    magic "MRNB" | version u8 | index bytes u8 | k u16 | start u32 | count u32 | models u16 | 0 u16
    then per model, in the catalogue index's order:
        indices: count * k unsigned integers of ``index bytes`` each, row by row (all ones: none)
        distances: count * k bytes, row by row (255: none)

The distance of byte ``q`` is ``lo + q * step`` with the model's ``lo`` and ``step`` from the
catalogue index (:func:`scales`).
"""

from __future__ import annotations

import gzip
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import RenderError
from .contract import FILES

MAGIC = b"MRNB"
GZIP_MAGIC = b"\x1f\x8b"
VERSION = FILES["neighbours"].version
INDEX_BYTES = 3
HEADER = struct.Struct("<4sBBHIIHH")
#: Distance byte meaning "no neighbour here" (fewer than k listed).
NONE = 255
STEPS = 254


@dataclass(frozen=True)
class Scale:
    """How one model's distances map to bytes: ``distance = lo + byte * step``."""

    lo: float
    step: float


def scales(distances: Sequence[np.ndarray]) -> list[Scale]:
    """Each model's scale from its finite listed distances (shape (n, k) arrays)."""
    out = []
    for d in distances:
        finite = d[np.isfinite(d)]
        lo = float(finite.min()) if finite.size else 0.0
        hi = float(finite.max()) if finite.size else 0.0
        out.append(Scale(lo, (hi - lo) / STEPS if hi > lo else 1.0))
    return out


def pack(start: int, indices: Sequence[np.ndarray], distances: Sequence[np.ndarray], model_scales: Sequence[Scale]) -> bytes:
    """One shard: rows ``[start, start + count)`` of every model's lists.

    Parameters
    ----------
    start : int
    indices : sequence of ndarray, each shape (count, k), integer (-1: none)
    distances : sequence of ndarray, each shape (count, k), float
    model_scales : sequence of Scale
    """
    count, k = indices[0].shape if indices else (0, 0)
    parts = [HEADER.pack(MAGIC, VERSION, INDEX_BYTES, k, start, count, len(indices), 0)]
    for idx, dist, scale in zip(indices, distances, model_scales):
        parts.append(index_bytes(idx).tobytes())
        parts.append(quantize(dist, idx, scale).tobytes())
    return b"".join(parts)


def index_bytes(idx: np.ndarray) -> np.ndarray:
    """Each index in :data:`INDEX_BYTES` little-endian bytes (all ones: none), shape
    ``idx.shape + (INDEX_BYTES,)``, uint8."""
    if idx.size and int(idx.max()) >= (1 << 8 * INDEX_BYTES) - 1:
        raise RenderError(f"Neighbour shards hold indices below {(1 << 8 * INDEX_BYTES) - 1}, got {int(idx.max())}")
    wide = np.where(idx < 0, (1 << 8 * INDEX_BYTES) - 1, idx).astype("<u4")
    return wide.view(np.uint8).reshape(*idx.shape, 4)[..., :INDEX_BYTES]


def quantize(dist: np.ndarray, idx: np.ndarray, scale: Scale) -> np.ndarray:
    """Each listed distance as its byte under ``scale`` (:data:`NONE` where nothing is listed),
    same shape, uint8."""
    q = np.rint((np.asarray(dist, dtype=np.float64) - scale.lo) / scale.step)
    return np.where(np.isfinite(dist) & (idx >= 0), np.clip(q, 0, STEPS), NONE).astype(np.uint8)


def compress(data: bytes) -> bytes:
    """``data`` gzipped, byte-identical for the same input (no time or name in the header).

    Static hosts (GitHub Pages among them) compress text but send ``.bin`` files as they are, so
    the shards are stored compressed and the browser inflates them (``DecompressionStream``):
    measured on the demo, about half the bytes of a pick. Level 4: the lists of 110,000 manga
    (792 files, 145 MB) took 3.6 s against 6.7 s at level 6, for 68.3 against 67.3 MB; level 9
    took twice as long as 6 for 0.4% fewer bytes. The pick shards (:func:`.render.gzipped`, 185 MB
    of JSON at 110,000 manga) took 3.9 s against 6.9 s, for 60.5 against 58.4 MB; at 1,000,000
    manga the site writer's thread had spent 132 s of the writing gzipping them at level 6.
    """
    return gzip.compress(data, compresslevel=4, mtime=0)


def unpack(data: bytes, model_scales: Sequence[Scale]) -> tuple[int, list[np.ndarray], list[np.ndarray]]:
    """The inverse of :func:`pack`: ``start``, per model indices (-1: none) and distances (nan: none).

    Raises
    ------
    RenderError
        When ``data`` is not a shard of this layout.
    """
    if data[:2] == GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as err:
            raise RenderError(f"Neighbour shard is not valid gzip: {err}") from None
    if len(data) < HEADER.size:
        raise RenderError("Neighbour shard is shorter than its header")
    magic, version, width, k, start, count, models, _ = HEADER.unpack_from(data)
    if magic != MAGIC or version != VERSION or width != INDEX_BYTES:
        raise RenderError(f"Neighbour shard has magic {magic!r}, version {version}, index bytes {width}: not this layout")
    cells = count * k
    if len(data) != HEADER.size + models * cells * (width + 1) or models != len(model_scales):
        raise RenderError("Neighbour shard's size does not match its header")
    offset, indices, distances = HEADER.size, [], []
    for scale in model_scales:
        raw = np.frombuffer(data, dtype=np.uint8, count=cells * width, offset=offset).reshape(-1, width)
        wide = np.zeros((cells, 4), dtype=np.uint8)
        wide[:, :width] = raw
        idx = wide.view("<u4").ravel().astype(np.int64)
        idx[idx == (1 << 8 * width) - 1] = -1
        offset += cells * width
        q = np.frombuffer(data, dtype=np.uint8, count=cells, offset=offset).astype(np.float64)
        offset += cells
        indices.append(idx.reshape(count, k))
        distances.append(np.where(q == NONE, np.nan, scale.lo + q * scale.step).reshape(count, k))
    return start, indices, distances
