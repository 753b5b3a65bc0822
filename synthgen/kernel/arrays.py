"""Small whole-column operations that several modules need: runs and groups in sorted columns, pairs within
groups, ranks within groups, one draw per row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray


def ranges(starts: NDArray[np.int64], lengths: NDArray[np.int64]) -> NDArray[np.int64]:
    """Concatenated aranges: starts[i] .. starts[i] + lengths[i] - 1, for every i, in order."""
    lengths = lengths.astype(np.int64)
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(lengths)
    shift = np.repeat(starts.astype(np.int64) - (ends - lengths), lengths)
    result: NDArray[np.int64] = np.arange(total, dtype=np.int64) + shift
    return result


def first_of_runs(values: NDArray[np.generic]) -> NDArray[np.bool_]:
    """True at the first element of each run of equal values (of a sorted array: each distinct value once)."""
    first = np.empty(len(values), dtype=np.bool_)
    first[:1] = True
    np.not_equal(values[1:], values[:-1], out=first[1:])
    return first


def last_of_runs(values: NDArray[np.generic]) -> NDArray[np.bool_]:
    """True at the last element of each run of equal values."""
    last = np.empty(len(values), dtype=np.bool_)
    last[-1:] = True
    np.not_equal(values[1:], values[:-1], out=last[:-1])
    return last


def pairs_within(key: NDArray[np.int64], max_group: int | None = None) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Every pair of rows (left < right) with equal non-negative keys, leaving out groups over `max_group` rows.

    Sorting puts each group's rows side by side; the row at rank r of a group of s pairs with the s - r - 1 rows
    after it, so the pairs come from one repeat and one arange, however many groups there are."""
    rows = np.flatnonzero(key >= 0)
    order = rows[np.argsort(key[rows], kind="stable")]
    if order.size < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    starts = np.flatnonzero(first_of_runs(key[order]))
    sizes = np.diff(np.r_[starts, order.size])
    group = np.repeat(np.arange(starts.size), sizes)
    size = sizes[group]
    later = size - (np.arange(order.size) - starts[group]) - 1
    if max_group is not None:
        later = np.where(size <= max_group, later, 0)
    first = np.repeat(np.arange(order.size), later)
    second = first + 1 + ranges(np.zeros(later.size, np.int64), later)
    # a stable sort keeps each group's rows ascending, so left < right already
    return order[first].astype(np.int64), order[second].astype(np.int64)


def rank_within(groups: NDArray[np.int64], order_by: NDArray[np.generic] | None = None) -> NDArray[np.int64]:
    """Each element's place (0, 1, 2, ...) among the elements of its group, in `order_by` order (else array order)."""
    order = np.argsort(groups, kind="stable") if order_by is None else np.lexsort((order_by, groups))
    sorted_groups = groups[order]
    starts = np.maximum.accumulate(np.where(first_of_runs(sorted_groups), np.arange(len(groups)), 0))
    ranks = np.empty(len(groups), np.int64)
    ranks[order] = np.arange(len(groups)) - starts
    return ranks


def categorical(rng: np.random.Generator, weights: NDArray[np.float64]) -> NDArray[np.int64]:
    """One draw per row of a (rows, options) weight matrix, each option in proportion to its weight."""
    return categorical_by_cumulative(rng, np.cumsum(weights, axis=1))


def categorical_by_cumulative(rng: np.random.Generator, cumulative: NDArray[np.float64]) -> NDArray[np.int64]:
    """`categorical` of a weight matrix from its rows' running sums (`np.cumsum(weights, axis=1)`): the same draws,
    for weights whose sums can be made once (a row's running sum is the same gathered or not)."""
    u = rng.random(len(cumulative))[:, None] * cumulative[:, -1:]
    result: NDArray[np.int64] = np.minimum((u >= cumulative).sum(axis=1), cumulative.shape[1] - 1)
    return result


def cumulative_shares(shares: NDArray[np.float64]) -> NDArray[np.float64]:
    """What numpy's `Generator.choice` makes of its `p` on every call (cumulative, the last exactly 1), made once
    for shares drawn from many times."""
    cumulative: NDArray[np.float64] = np.cumsum(np.asarray(shares, dtype=np.float64))
    cumulative /= cumulative[-1]
    return cumulative


def choice_by_cumulative(
    rng: np.random.Generator, cumulative: NDArray[np.float64], size: int | tuple[int, ...]
) -> NDArray[np.int64]:
    """`rng.choice(len(shares), size, p=shares)`, the same draws and the same state after, from
    `cumulative_shares(shares)`: choice checks and sums its `p` on every call, some 60 microseconds, and the
    forenames are drawn a pool at a time, several hundred pools a shard."""
    result: NDArray[np.int64] = cumulative.searchsorted(rng.random(size), side="right").astype(np.int64, copy=False)
    return result


def per_kind(kinds: NDArray[np.generic], value: Callable[[str], float], dtype: type[np.generic]) -> NDArray[Any]:
    """value(kind) for every row of a column of a few distinct labels, worked out once a label, not once a row."""
    if not len(kinds):
        return np.zeros(0, dtype)
    distinct, inverse = np.unique(kinds, return_inverse=True)
    result: NDArray[Any] = np.array([value(str(kind)) for kind in distinct], dtype=dtype)[inverse.reshape(-1)]
    return result


def top(scores: NDArray[np.float64], count: int) -> NDArray[np.bool_]:
    """The `count` highest scores as a mask (ties to the earlier row): exact shares, with who decided by score."""
    chosen = np.zeros(len(scores), bool)
    chosen[np.argsort(-scores, kind="stable")[:count]] = True
    return chosen


def weighted_sample(rng: np.random.Generator, weights: NDArray[np.float64], count: int) -> NDArray[np.int64]:
    """`count` distinct indices drawn with chances in proportion to the weights (Efraimidis and Spirakis 2006),
    in draw order; rows of zero weight never, and nothing is drawn when there is nothing to choose."""
    count = min(count, int((weights > 0).sum()))
    if count <= 0:
        return np.zeros(0, np.int64)
    keys = np.log(rng.random(len(weights))) / np.maximum(weights, 1e-300)  # the floor only spares zero weights
    keys[weights <= 0] = -np.inf
    result: NDArray[np.int64] = np.argsort(-keys, kind="stable")[:count]
    return result


def mean_or_one(values: NDArray[np.float64]) -> float:
    """The mean, as a divisor that keeps a share's average: 1 where there is nothing to average (a tiny shard)."""
    return float(values.mean()) if len(values) else 1.0
