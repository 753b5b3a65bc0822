"""Local-authority child ids (DfE Children in Need census ``LAchildID``: up to 15 alphanumeric characters chosen
by the local authority); synthgen uses ``C`` followed by 7 digits.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from synthgen.kernel.identifiers.allocation import check_count, check_generator, sample_distinct, segment
from synthgen.kernel.identifiers.byte_columns import (
    IS_DIGIT,
    StringValues,
    all_in,
    digit_bytes,
    fixed_width,
    strings_of,
)

_LA_CHILD_ID_SPACE = 10_000_000


def allocate_la_child_ids(rng: np.random.Generator, n: int, index: int, count: int) -> NDArray[np.object_]:
    """Local-authority child ids: 'C' followed by 7 digits, distinct, from part `index` of `count` parts of
    the 10^7 space (CIN census LAchildID allows up to 15 alphanumeric characters; LAs use their own system's
    ids).

    Returns an object array of 8-character ``str`` in random order.
    """
    check_generator(rng)
    check_count(n)
    lo, hi = segment(0, _LA_CHILD_ID_SPACE, index, count)
    if n > hi - lo:
        raise ValueError(f"asked for {n} LA child ids but part {index} of {count} holds only {hi - lo}")
    numbers = sample_distinct(rng, lo, hi, n, hi - lo)
    prefix = np.full((n, 1), ord("C"), dtype=np.uint8)
    return strings_of(np.hstack([prefix, digit_bytes(numbers, 7)]))


def is_valid_la_child_id(values: StringValues) -> NDArray[np.bool_]:
    """True for synthgen's LA child id format, ``C`` followed by 7 digits.

    Stricter than the census rule (any 1-15 alphanumerics), on purpose: it checks what synthgen generates.
    """
    fits, matrix = fixed_width(values, 8)
    result: NDArray[np.bool_] = fits & (matrix[:, 0] == ord("C")) & all_in(IS_DIGIT, matrix[:, 1:])
    return result
