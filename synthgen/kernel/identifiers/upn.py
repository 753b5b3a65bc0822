"""Unique pupil numbers (DfE, "Unique pupil numbers (UPN): guidance for schools and local authorities"): a check
letter followed by LA number, establishment number, year of allocation and serial; modulus 23 check letter.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from synthgen.kernel.identifiers.byte_columns import (
    IS_DIGIT,
    StringValues,
    all_in,
    alphabet_bytes,
    byte_set,
    digit_bytes,
    fixed_width,
    int_column,
    strings_of,
)

_UPN_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"  # 23 letters: no I, O, S (DfE UPN guidance)
_UPN_WEIGHTS = np.arange(2, 14, dtype=np.int64)  # weights 2..13 on characters 2-13
_IS_UPN_LETTER = byte_set(_UPN_ALPHABET)
_UPN_ALPHABET_BYTES = alphabet_bytes(_UPN_ALPHABET)

# UPN character values: digits are their own value, letters their index in the UPN alphabet; -1 = not allowed.
_UPN_VALUE = np.full(256, -1, dtype=np.int64)
_UPN_VALUE[alphabet_bytes("0123456789")] = np.arange(10)
_UPN_VALUE[_UPN_ALPHABET_BYTES] = np.arange(len(_UPN_ALPHABET))


def _upn_letters_from_values(values: NDArray[np.int64]) -> NDArray[np.uint8]:
    """Check-letter bytes for an (n, 12) matrix of UPN character values (DfE UPN guidance, modulus 23)."""
    letters: NDArray[np.uint8] = _UPN_ALPHABET_BYTES[(values @ _UPN_WEIGHTS) % 23]
    return letters


def upn_check_letters(bodies: StringValues) -> NDArray[np.object_]:
    """DfE UPN check letter over characters 2-13 (here the 12-char body: 3-digit LA number, 4-digit
    establishment, 2-digit year, 3-digit serial): weights 2..13, letters valued by index in
    ABCDEFGHJKLMNPQRTUVWXYZ; sum mod 23 indexes that alphabet. Example: B801200005001 is valid.

    Bodies may end in a letter of that alphabet (temporary UPNs); any other character, a wrong length or a
    missing body raises ValueError, since a check letter for a malformed body would be meaningless.
    Returns an object array of one-letter ``str``.
    """
    fits, matrix = fixed_width(bodies, 12)
    values = _UPN_VALUE[matrix]
    bad = ~(fits & (values >= 0).all(axis=1))
    if bad.any():
        raise ValueError(
            f"UPN bodies must be 12 characters of digits or {_UPN_ALPHABET}; "
            f"{int(bad.sum())} are not (first at position {int(np.flatnonzero(bad)[0])})"
        )
    return strings_of(_upn_letters_from_values(values)[:, None])


def make_upns(
    la_numbers: NDArray[np.int64],
    establishments: NDArray[np.int64],
    years: NDArray[np.int64],
    serials: NDArray[np.int64],
) -> NDArray[np.object_]:
    """13-character permanent UPNs: check letter, 3-digit LA number, 4-digit establishment (DfE number),
    2-digit year of allocation, 3-digit serial (DfE UPN guidance).

    `years` may be full years or their last two digits; only the last two digits are used. Distinctness is the
    caller's business: it follows from distinct (LA, establishment, year, serial) tuples, which is how schools
    allocate them. Returns an object array of ``str``.
    """
    la = int_column(la_numbers, "la_numbers", 0, 1_000)
    establishment = int_column(establishments, "establishments", 0, 10_000)
    year = int_column(years, "years", 0, 10_000) % 100
    serial = int_column(serials, "serials", 0, 1_000)
    n = la.shape[0]
    if not establishment.shape[0] == year.shape[0] == serial.shape[0] == n:
        raise ValueError(
            "la_numbers, establishments, years and serials must have the same length, got "
            f"{n}, {establishment.shape[0]}, {year.shape[0]}, {serial.shape[0]}"
        )
    body = np.hstack([digit_bytes(la, 3), digit_bytes(establishment, 4), digit_bytes(year, 2), digit_bytes(serial, 3)])
    letters = _upn_letters_from_values(body.astype(np.int64) - 48)
    return strings_of(np.hstack([letters[:, None], body]))


def is_valid_upn(values: StringValues) -> NDArray[np.bool_]:
    """True for permanent UPNs: check letter from ABCDEFGHJKLMNPQRTUVWXYZ, 12 digits, check letter correct.

    Temporary UPNs (last character a letter) are False: they are placeholders, not identifiers.
    """
    fits, matrix = fixed_width(values, 13)
    ok = fits & _IS_UPN_LETTER[matrix[:, 0]] & all_in(IS_DIGIT, matrix[:, 1:])
    expected = _upn_letters_from_values(matrix[:, 1:].astype(np.int64) - 48)
    result: NDArray[np.bool_] = ok & (expected == matrix[:, 0])
    return result
