"""Lists under several blends at once are the lists of each blended block."""

from __future__ import annotations

import numpy as np
import pytest

from sitegen.analysis.blended import blend_scales, blended_top_k
from sitegen.analysis.neighbours import top_k


def one_at_a_time(a, b, weights, rows, k):
    """Blend the block for one weight, as the models' blends do, and rank it with top_k."""
    out = np.empty((len(weights), len(a), k), dtype=np.int64)
    dist = np.empty((len(a), k))
    for w, weight in enumerate(weights):
        block = np.broadcast_to(b, a.shape) if weight >= 1 else np.broadcast_to(
            b * np.float32(weight / (1 - weight)), a.shape) + a
        top_k(np.ascontiguousarray(block, dtype=np.float32), rows, k, out[w], dist)
    return out


@pytest.mark.parametrize("shared", [False, True])
def test_every_weight_gets_the_lists_of_its_own_blended_block(shared):
    rng = np.random.default_rng(4)
    n, m, k = 3000, 40, 12
    a = np.round(rng.random((m, n)), 3).astype(np.float32)  # rounded: many ties, broken by index
    b = np.round(rng.random((1 if shared else m, n)), 3).astype(np.float32)
    weights = (0.0, 0.02, 0.3, 0.5, 1.0)
    rows = rng.choice(n, m, replace=False)
    rows[0] = -1  # leaves nothing out
    got = np.empty((len(weights), m, k), dtype=np.int32)
    blended_top_k(a, b, *blend_scales(weights), rows, k, got)
    assert np.array_equal(got, one_at_a_time(a, b, weights, rows, k))
    assert not (got == rows[None, :, None]).any()


def test_blend_scales():
    alphas, betas = blend_scales((0.0, 0.5, 1.0))
    assert alphas.tolist() == [1.0, 1.0, 0.0] and betas.tolist() == [0.0, 1.0, 1.0]
