"""Small whole-column operations that several modules need: ranks within groups, one draw per row."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def rank_within(groups: NDArray[np.int64], order_by: NDArray[np.generic] | None = None) -> NDArray[np.int64]:
    """Each element's place (0, 1, 2, ...) among the elements of its group, in `order_by` order (else array order)."""
    order = np.argsort(groups, kind="stable") if order_by is None else np.lexsort((order_by, groups))
    sorted_groups = groups[order]
    first = np.r_[True, sorted_groups[1:] != sorted_groups[:-1]]
    starts = np.maximum.accumulate(np.where(first, np.arange(len(groups)), 0))
    ranks = np.empty(len(groups), np.int64)
    ranks[order] = np.arange(len(groups)) - starts
    return ranks


def categorical(rng: np.random.Generator, weights: NDArray[np.float64]) -> NDArray[np.int64]:
    """One draw per row of a (rows, options) weight matrix, each option in proportion to its weight."""
    cumulative = np.cumsum(weights, axis=1)
    u = rng.random(len(weights))[:, None] * cumulative[:, -1:]
    result: NDArray[np.int64] = np.minimum((u >= cumulative).sum(axis=1), weights.shape[1] - 1)
    return result
