"""Small linear-algebra helpers shared by the models and the maps."""

from __future__ import annotations

import numpy as np


def fixed_signs(vectors: np.ndarray) -> np.ndarray:
    """Flip each column so that its largest-magnitude entry is positive.

    Eigen- and singular vectors are defined up to sign; fixing it makes fits reproducible
    across LAPACK builds.

    Parameters
    ----------
    vectors : ndarray, shape (n, d)
    """
    pivots = np.argmax(np.abs(vectors), axis=0)
    signs = np.sign(vectors[pivots, np.arange(vectors.shape[1])])
    signs[signs == 0] = 1
    return vectors * signs
