"""National Insurance numbers (HMRC National Insurance Manual NIM39110): two prefix letters, six digits, suffix
A-D, with letters and prefixes that are never issued.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from synthgen.kernel.identifiers.allocation import check_count, check_generator, sample_distinct, segment
from synthgen.kernel.identifiers.byte_columns import (
    IS_DIGIT,
    StringValues,
    all_in,
    alphabet_bytes,
    byte_set,
    digit_bytes,
    fixed_width,
    strings_of,
)

_NINO_FIRST_BANNED = frozenset("DFIQUV")
_NINO_SECOND_BANNED = frozenset("DFIOQUV")
_NINO_PAIRS_BANNED = frozenset({"GB", "NK", "TN", "ZZ", "BG", "KN", "NT"})
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

#: Every two-letter NINO prefix HMRC can issue (NIM39110), sorted: first letter not D, F, I, Q, U, V; second
#: letter not D, F, I, O, Q, U, V; and not GB, NK, TN, ZZ, BG, KN, NT.  373 prefixes.
NINO_PREFIXES: tuple[str, ...] = tuple(
    a + b
    for a in _UPPER
    for b in _UPPER
    if a not in _NINO_FIRST_BANNED and b not in _NINO_SECOND_BANNED and a + b not in _NINO_PAIRS_BANNED
)
_NINO_NUMBER_SPACE = 1_000_000
_NINO_SPACE = len(NINO_PREFIXES) * _NINO_NUMBER_SPACE  # keys: prefix index * 10^6 + 6-digit number

_IS_NINO_SUFFIX = byte_set("ABCD")
_NINO_PREFIX_BYTES = alphabet_bytes("".join(NINO_PREFIXES)).reshape(-1, 2)

# Allowed NINO prefix as a (first byte, second byte) table.
_NINO_PAIR_OK = np.zeros((256, 256), dtype=np.bool_)
_NINO_PAIR_OK[_NINO_PREFIX_BYTES[:, 0], _NINO_PREFIX_BYTES[:, 1]] = True


def allocate_ninos(rng: np.random.Generator, n: int, index: int, count: int) -> NDArray[np.object_]:
    """n distinct NINOs (format AA999999A, suffix A-D drawn at random) from part `index` of `count` equal
    parts of the (prefix, 6-digit number) space, so shards never collide. Identity is prefix+digits (the
    suffix does not make a NINO distinct), so distinctness is on prefix+digits.

    The space is keyed ``prefix index * 10**6 + number`` over :data:`NINO_PREFIXES`, so a part is a contiguous
    run of prefixes. Returns an object array of 9-character ``str`` in random order.
    """
    check_generator(rng)
    check_count(n)
    lo, hi = segment(0, _NINO_SPACE, index, count)
    if n > hi - lo:
        raise ValueError(f"asked for {n} NINOs but part {index} of {count} holds only {hi - lo}")
    keys = sample_distinct(rng, lo, hi, n, hi - lo)
    suffixes = rng.integers(0, 4, size=n, dtype=np.int64).astype(np.uint8) + ord("A")
    prefix, number = np.divmod(keys, _NINO_NUMBER_SPACE)
    return strings_of(np.hstack([_NINO_PREFIX_BYTES[prefix], digit_bytes(number, 6), suffixes[:, None]]))


def is_valid_nino(values: StringValues) -> NDArray[np.bool_]:
    """True for ``AA999999A`` with an issuable prefix (:data:`NINO_PREFIXES`) and suffix A-D (HMRC NIM39110).

    The canonical unspaced upper-case form only; ``"AB 12 34 56 C"`` is False.
    """
    fits, matrix = fixed_width(values, 9)
    result: NDArray[np.bool_] = (
        fits
        & _NINO_PAIR_OK[matrix[:, 0], matrix[:, 1]]
        & all_in(IS_DIGIT, matrix[:, 2:8])
        & _IS_NINO_SUFFIX[matrix[:, 8]]
    )
    return result
