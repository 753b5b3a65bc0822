"""Police National Computer person identifiers, ``YYYY/NNNNNNNC`` with a modulus 23 check character."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from synthgen.kernel.identifiers.allocation import check_generator, sample_distinct, segment
from synthgen.kernel.identifiers.byte_columns import (
    IS_DIGIT,
    StringValues,
    all_in,
    alphabet_bytes,
    byte_set,
    digit_bytes,
    digit_value,
    fixed_width,
    int_column,
    strings_of,
)

_PNC_ALPHABET = "ZABCDEFGHJKLMNPQRTUVWXY"  # index = (YY followed by 7-digit serial) mod 23
_PNC_SERIAL_SPACE = 10_000_000
_IS_PNC_LETTER = byte_set(_PNC_ALPHABET)
_PNC_ALPHABET_BYTES = alphabet_bytes(_PNC_ALPHABET)


def _pnc_letter_bytes(two_digit_years: NDArray[np.int64], serials: NDArray[np.int64]) -> NDArray[np.uint8]:
    letters: NDArray[np.uint8] = _PNC_ALPHABET_BYTES[(two_digit_years * _PNC_SERIAL_SPACE + serials) % 23]
    return letters


def pnc_check_letters(years: NDArray[np.int64], serials: NDArray[np.int64]) -> NDArray[np.object_]:
    """PNC ID check: "ZABCDEFGHJKLMNPQRTUVWXY"[int(YY + 7-digit serial) mod 23] where YY = last 2 digits of
    the year. Examples 2008/0056560Z and 1979/0163001B are valid.

    Returns an object array of one-letter ``str``.
    """
    year = int_column(years, "years", 0, 10_000)
    serial = int_column(serials, "serials", 0, _PNC_SERIAL_SPACE)
    if year.shape != serial.shape:
        raise ValueError(f"years and serials must have the same length, got {year.shape[0]}, {serial.shape[0]}")
    return strings_of(_pnc_letter_bytes(year % 100, serial)[:, None])


def allocate_pnc_ids(rng: np.random.Generator, years: NDArray[np.int64], index: int, count: int) -> NDArray[np.object_]:
    """One distinct PNC ID 'YYYY/NNNNNNNC' per element of `years` (year of first arrest), serials from part
    `index` of `count` parts of the 7-digit serial space, distinct within the result and across parts.

    As on the PNC, the serial runs within a year, so distinctness is on (year, serial): each year may use the
    whole part, and people arrested first in different years may share a serial. Serials are drawn uniformly
    without replacement within each year (a loop over the distinct years, not over people). Raises
    ValueError when more people share a year than the part holds serials. Returns an object array of
    13-character ``str``.
    """
    check_generator(rng)
    year = int_column(years, "years", 0, 10_000)
    lo, hi = segment(0, _PNC_SERIAL_SPACE, index, count)
    distinct_years, inverse, per_year = np.unique(year, return_inverse=True, return_counts=True)
    if per_year.size and per_year.max() > hi - lo:
        worst = int(np.argmax(per_year))
        raise ValueError(
            f"asked for {int(per_year[worst])} PNC IDs in year {int(distinct_years[worst])} but part {index} "
            f"of {count} holds only {hi - lo} serials per year"
        )
    order = np.argsort(inverse, kind="stable")  # people grouped by year, in input order within a year
    serial_sorted = np.concatenate(
        [np.empty(0, dtype=np.int64)]
        + [sample_distinct(rng, lo, hi, int(k), hi - lo) for k in per_year]  # loop over years only
    )
    serial = np.empty_like(serial_sorted)
    serial[order] = serial_sorted
    slash = np.full((year.shape[0], 1), ord("/"), dtype=np.uint8)
    letters = _pnc_letter_bytes(year % 100, serial)[:, None]
    return strings_of(np.hstack([digit_bytes(year, 4), slash, digit_bytes(serial, 7), letters]))


def is_valid_pnc_id(values: StringValues) -> NDArray[np.bool_]:
    """True for ``YYYY/NNNNNNNC`` with the correct check character.

    Only the full form is accepted; the short written form (``08/56560Z``) is False.
    """
    fits, matrix = fixed_width(values, 13)
    ok = (
        fits
        & all_in(IS_DIGIT, matrix[:, :4])
        & (matrix[:, 4] == ord("/"))
        & all_in(IS_DIGIT, matrix[:, 5:12])
        & _IS_PNC_LETTER[matrix[:, 12]]
    )
    # Rows that failed the shape checks give meaningless numbers here; `ok` masks them out.
    two_digit_year = digit_value(matrix[:, 2:4])
    serial = digit_value(matrix[:, 5:12])
    result: NDArray[np.bool_] = ok & (_pnc_letter_bytes(two_digit_year, serial) == matrix[:, 12])
    return result
