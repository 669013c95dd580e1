"""The tie grid and the running top-k list every search ranks with.

Distances are rounded to a grid of 2**-17 so that float noise cannot split a tie, and equal
distances are ordered by index (:mod:`.neighbours` says why).
"""

from __future__ import annotations

import numba

GRID = float(2**17)


@numba.njit(inline="always", cache=True, nogil=True)
def keep(best_d, best_i, filled, d, j):  # pragma: no cover - compiled
    """Put (``d``, ``j``) into the running list ``best_d``, ``best_i`` (sorted by distance, then
    index; ``filled`` entries, at most its length), unless the list is full and it does not come
    before the last; returns how many entries the list holds then."""
    k = best_d.shape[0]
    if filled == k and (d > best_d[k - 1] or (d == best_d[k - 1] and j >= best_i[k - 1])):
        return filled
    q = filled if filled < k else k - 1
    while q > 0 and (best_d[q - 1] > d or (best_d[q - 1] == d and best_i[q - 1] > j)):
        best_d[q] = best_d[q - 1]
        best_i[q] = best_i[q - 1]
        q -= 1
    best_d[q] = d
    best_i[q] = j
    return filled if filled == k else filled + 1
