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
    return vectors * sign_flips(vectors)


def sign_flips(vectors: np.ndarray) -> np.ndarray:
    """The signs :func:`fixed_signs` multiplies the columns of ``vectors`` by, shape (d,)."""
    pivots = np.argmax(np.abs(vectors), axis=0)
    signs = np.sign(vectors[pivots, np.arange(vectors.shape[1])])
    signs[signs == 0] = 1
    return signs
