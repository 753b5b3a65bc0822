"""NHS numbers: 10 digits, modulus 11 check digit over weights 10..2 (NHS Data Dictionary, "NHS Number").

Numbers are allocated only from ranges no real person holds: ``NHS_TEST_BASES`` (999 000 0000 - 999 999 9999,
reserved for testing) or ``NHS_UNALLOCATED_BASES`` (900 - 998 million, outside every issued range listed in
uk-facts.md section F: England/Wales 400-499 m and 600-799 m, Northern Ireland 320-399 m, Scotland CHI 010-311 m).
"""

from __future__ import annotations

from functools import cache

import numpy as np
from numpy.typing import NDArray

from synthgen.kernel.identifiers.allocation import check_count, check_generator, sample_distinct
from synthgen.kernel.identifiers.byte_columns import (
    IS_DIGIT,
    StringValues,
    all_in,
    digit_bytes,
    fixed_width,
    int_column,
    strings_of,
)

#: 9-digit NHS number bases [lo, hi) of 999 000 0000 - 999 999 9999, the range reserved for testing.
#: Holds 909,091 valid numbers (one base in 11 has no valid check digit).
NHS_TEST_BASES: tuple[int, int] = (999_000_000, 1_000_000_000)
#: 9-digit bases of 900 000 0000 - 998 999 9999, in none of the issued ranges of uk-facts.md section F
#: (about 90 million valid numbers), for runs too large for the test range.
NHS_UNALLOCATED_BASES: tuple[int, int] = (900_000_000, 999_000_000)

_NHS_BASE_SPACE = 1_000_000_000  # 9-digit bases 000 000 000 - 999 999 999
_NHS_WEIGHTS = np.arange(10, 1, -1, dtype=np.int64)  # 10..2 on digits 1-9 (NHS Data Dictionary)


def nhs_check_digits(bases: NDArray[np.int64]) -> NDArray[np.int64]:
    """Mod-11 check digit for 9-digit bases: weights 10..2, check = 11 - (sum mod 11); 11 -> 0; 10 means
    invalid.

    NHS Data Dictionary, "NHS Number": the check digit makes every single-digit error and most transpositions
    detectable. A base whose check would be 10 is never issued, so 10 is returned as the marker for "no valid
    NHS number has this base".
    """
    column = int_column(bases, "bases", 0, _NHS_BASE_SPACE)
    total = np.zeros(column.shape[0], dtype=np.int64)
    rest = column.copy()
    for weight in range(2, 11):  # last digit of the base carries weight 2, first carries 10
        rest, digit = np.divmod(rest, 10)
        total += weight * digit
    check: NDArray[np.int64] = (11 - total % 11) % 11
    return check


def _nhs_base_ok(bases: NDArray[np.int64]) -> NDArray[np.bool_]:
    ok: NDArray[np.bool_] = nhs_check_digits(bases) != 10
    return ok


@cache
def _nhs_suffix_residues() -> tuple[tuple[int, ...], ...]:
    """For k = 0..9: how many digit strings for base positions k..8 have weighted sum r (mod 11), r < 11."""
    table: list[tuple[int, ...]] = [(1,) + (0,) * 10]  # the empty suffix has sum 0
    for position in range(8, -1, -1):
        weight = 10 - position
        after = np.array(table[0], dtype=np.int64)
        counts = np.stack([np.roll(after, weight * digit) for digit in range(10)]).sum(axis=0)
        table.insert(0, tuple(int(c) for c in counts))
    return tuple(table)


def _nhs_invalid_bases_below(limit: int) -> int:
    """How many bases b in [0, limit) have no valid check digit (weighted digit sum = 1 mod 11).

    Digit-by-digit count: for every prefix that matches `limit` so far and then falls below it, the remaining
    positions are free, and how many of them complete the sum to 1 (mod 11) is a precomputed table. Exact and
    independent of the range width, so even the 99-million-wide unallocated range costs nothing.
    """
    suffixes = _nhs_suffix_residues()
    if limit >= _NHS_BASE_SPACE:
        return suffixes[0][1]
    digits = [int(c) for c in f"{limit:09d}"]
    count = 0
    prefix_sum = 0
    for position, limit_digit in enumerate(digits):
        weight = 10 - position
        for digit in range(limit_digit):
            count += suffixes[position + 1][(1 - prefix_sum - weight * digit) % 11]
        prefix_sum += weight * limit_digit
    return count


def _check_nhs_bases(bases: tuple[int, int]) -> tuple[int, int]:
    lo, hi = bases
    if not 0 <= lo <= hi <= _NHS_BASE_SPACE:
        raise ValueError(f"NHS bases must satisfy 0 <= lo <= hi <= {_NHS_BASE_SPACE}, got [{lo}, {hi})")
    return lo, hi


def nhs_capacity(bases: tuple[int, int]) -> int:
    """Number of valid NHS numbers whose 9-digit base lies in [bases[0], bases[1]).

    Each base has exactly one candidate check digit, and about one base in 11 has none (check 10), so the
    capacity is the width of the range minus the invalid bases, counted exactly with a digit-by-digit table.
    """
    lo, hi = _check_nhs_bases(bases)
    return (hi - lo) - (_nhs_invalid_bases_below(hi) - _nhs_invalid_bases_below(lo))


def allocate_nhs_numbers(rng: np.random.Generator, n: int, bases: tuple[int, int]) -> NDArray[np.object_]:
    """n distinct valid 10-digit NHS numbers drawn uniformly from the valid numbers whose 9-digit base lies in
    [bases[0], bases[1]).

    Pass ``NHS_TEST_BASES`` (or a :func:`segment` of it) so that no real person's number can appear: the range
    999 000 0000 - 999 999 9999 is reserved for testing. It holds 909,091 valid numbers; larger runs can use
    ``NHS_UNALLOCATED_BASES``. Returned as an object array of 10-character ``str`` without spaces, in random
    order. Raises ValueError (message says how many were asked for and how many exist) when the part holds
    fewer than n valid numbers.
    """
    check_generator(rng)
    check_count(n)
    lo, hi = _check_nhs_bases(bases)
    capacity = nhs_capacity(bases)
    if n > capacity:
        raise ValueError(f"asked for {n} NHS numbers but bases [{lo}, {hi}) hold only {capacity} valid NHS numbers")
    chosen = sample_distinct(rng, lo, hi, n, capacity, _nhs_base_ok)
    return strings_of(digit_bytes(chosen * 10 + nhs_check_digits(chosen), 10))


def is_valid_nhs_number(values: StringValues) -> NDArray[np.bool_]:
    """True for 10 ASCII digits whose last digit is the mod-11 check of the first nine (NHS Data Dictionary).

    The canonical unspaced form only: ``"943 476 5919"`` (display form) is False, as are None and non-strings.
    """
    fits, matrix = fixed_width(values, 10)
    ok = fits & all_in(IS_DIGIT, matrix)
    digits = matrix.astype(np.int64) - 48
    check = (11 - (digits[:, :9] @ _NHS_WEIGHTS) % 11) % 11
    result: NDArray[np.bool_] = ok & (check != 10) & (check == digits[:, 9])
    return result
