"""Identifier spaces split between shards, and distinct identifiers drawn from a part of one.

Every allocator draws from part ``index`` of ``count`` equal contiguous parts of its identifier space (see
:func:`segment`), so shards generated in separate processes from separate seeds never hand out the same
identifier. All randomness comes from the ``numpy.random.Generator`` passed in; the same generator state gives
the same identifiers, in the same order.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray


def segment(lo: int, hi: int, index: int, count: int) -> tuple[int, int]:
    """Split [lo, hi) into `count` equal contiguous parts and return part `index`.

    Used so that each shard of a run allocates identifiers from its own disjoint part of a space: unique
    across shards with no coordination. Part sizes differ by at most one when ``hi - lo`` is not a multiple
    of `count`; the parts tile [lo, hi) exactly.
    """
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    if not 0 <= index < count:
        raise ValueError(f"index must be in [0, {count}), got {index}")
    if hi < lo:
        raise ValueError(f"empty range: hi ({hi}) is below lo ({lo})")
    size = hi - lo
    return lo + size * index // count, lo + size * (index + 1) // count


def check_generator(rng: np.random.Generator) -> None:
    # A legacy RandomState or the global numpy state would break the one-seed-one-output guarantee.
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")


def check_count(n: int) -> None:
    if n < 0:
        raise ValueError(f"n must be non-negative, got {n}")


def sample_distinct(
    rng: np.random.Generator,
    lo: int,
    hi: int,
    n: int,
    capacity: int,
    accept: Callable[[NDArray[np.int64]], NDArray[np.bool_]] | None = None,
) -> NDArray[np.int64]:
    """n distinct integers of [lo, hi) that pass `accept`, uniformly at random and in random order.

    `capacity` is the exact number of accepted integers in [lo, hi) (callers check n against it first).
    When n is a large share of a modest range, the accepted integers are listed and sampled without
    replacement. Otherwise integers are drawn with replacement in rounds, oversampled for the expected
    rejections and repeats; the first occurrences, in draw order, are a uniformly random ordered sample
    without replacement, and each round only tops up what is still missing. Memory stays proportional to n,
    not to the range.
    """
    size = hi - lo
    if n == 0:
        return np.empty(0, dtype=np.int64)
    if size <= 1 << 16 or (size <= 1 << 25 and 8 * n >= capacity):
        candidates = np.arange(lo, hi, dtype=np.int64)
        if accept is not None:
            candidates = candidates[accept(candidates)]
        return rng.choice(candidates, size=n, replace=False, shuffle=True)
    chosen = np.empty(0, dtype=np.int64)
    while chosen.size < n:
        missing = n - chosen.size
        free_share = (capacity - chosen.size) / size  # chance that one draw is new and accepted
        draws = min(int(missing / free_share * 1.05) + 64, 1 << 24)
        fresh = rng.integers(lo, hi, size=draws, dtype=np.int64)
        if accept is not None:
            fresh = fresh[accept(fresh)]
        pooled = np.concatenate([chosen, fresh])
        _, first = np.unique(pooled, return_index=True)
        first.sort()  # back to draw order: `chosen` (distinct, drawn earlier) stays in front
        chosen = pooled[first[:n]]
    return chosen
