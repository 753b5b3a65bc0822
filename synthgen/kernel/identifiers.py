"""Agency identifiers: allocation without collisions, and validation, over whole columns.

Each agency in the synthetic world holds people under its own identifiers (NHS number, UPN, NINO, PNC ID,
local-authority child id). Linkage evaluation only means something if those identifiers behave like the
real ones: the right shape, the right check character, and no two people sharing one. The rules implemented
here are the published ones, summarised in ``/work/shared/reference/uk-facts.md`` section F:

* NHS number -- NHS Data Dictionary, "NHS Number": 10 digits, modulus 11 check digit over weights 10..2.
  Numbers are allocated only from ranges no real person holds: ``NHS_TEST_BASES`` (999 000 0000 -
  999 999 9999, reserved for testing) or ``NHS_UNALLOCATED_BASES`` (900 - 998 million, outside every issued
  range listed in section F: England/Wales 400-499 m and 600-799 m, Northern Ireland 320-399 m, Scotland CHI
  010-311 m).
* UPN -- DfE, "Unique pupil numbers (UPN): guidance for schools and local authorities": a check letter
  followed by LA number, establishment number, year of allocation and serial; modulus 23 check letter.
* NINO -- HMRC National Insurance Manual NIM39110: two prefix letters, six digits, suffix A-D, with letters
  and prefixes that are never issued.
* PNC ID -- Police National Computer person identifier ``YYYY/NNNNNNNC`` with a modulus 23 check character.
* LA child id -- DfE Children in Need census ``LAchildID``: up to 15 alphanumeric characters chosen by the
  local authority; synthgen uses ``C`` followed by 7 digits.
* Postcode -- the UK postcode formats and letter restrictions (BS 7666 / Royal Mail).

Design choices:

* **Columns, not rows.** Every function takes and returns whole arrays. Strings are assembled as fixed-width
  ASCII byte matrices (one numpy column per character position) and turned into strings in one step;
  validation gathers the bytes of every value into such a matrix and checks all positions with lookup
  tables. There is no per-value Python loop (the only exception is a fallback for object arrays holding
  non-string garbage such as ints, where each element's type must be inspected).
* **Return type.** Identifiers come back as one-dimensional ``numpy.ndarray`` of dtype ``object`` holding
  Python ``str``: they mask, index and concatenate like every other numpy column, and ``pyarrow.array``
  converts them to a string column quickly when a writer needs one. Validators accept such arrays, numpy
  unicode arrays, Python sequences of ``str``/``None`` and pyarrow string arrays, and return
  ``NDArray[np.bool_]``; a missing value (``None``, null, NaN) or a non-string is simply invalid.
* **Sharding without coordination.** Every allocator draws from part ``index`` of ``count`` equal contiguous
  parts of its identifier space (see :func:`segment`), so shards generated in separate processes from
  separate seeds never hand out the same identifier.
* **Determinism.** All randomness comes from the ``numpy.random.Generator`` passed in; the same generator
  state gives the same identifiers, in the same order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

__all__ = [
    "NHS_TEST_BASES",
    "NHS_UNALLOCATED_BASES",
    "NINO_PREFIXES",
    "StringValues",
    "allocate_la_child_ids",
    "allocate_nhs_numbers",
    "allocate_ninos",
    "allocate_pnc_ids",
    "is_valid_la_child_id",
    "is_valid_nhs_number",
    "is_valid_nino",
    "is_valid_outward_code",
    "is_valid_pnc_id",
    "is_valid_postcode",
    "is_valid_upn",
    "make_upns",
    "nhs_capacity",
    "nhs_check_digits",
    "pnc_check_letters",
    "segment",
    "upn_check_letters",
]

#: Anything the validators accept: a numpy array (object or unicode), a sequence of ``str``/``None``, or a
#: pyarrow (chunked) string array.
StringValues: TypeAlias = "NDArray[Any] | Sequence[str | None] | pa.Array | pa.ChunkedArray"

# ----------------------------------------------------------------------------------------------------------
# Identifier spaces
# ----------------------------------------------------------------------------------------------------------

#: 9-digit NHS number bases [lo, hi) of 999 000 0000 - 999 999 9999, the range reserved for testing.
#: Holds 909,091 valid numbers (one base in 11 has no valid check digit).
NHS_TEST_BASES: tuple[int, int] = (999_000_000, 1_000_000_000)
#: 9-digit bases of 900 000 0000 - 998 999 9999, in none of the issued ranges of uk-facts.md section F
#: (about 90 million valid numbers), for runs too large for the test range.
NHS_UNALLOCATED_BASES: tuple[int, int] = (900_000_000, 999_000_000)

_NHS_BASE_SPACE = 1_000_000_000  # 9-digit bases 000 000 000 - 999 999 999
_NHS_WEIGHTS = np.arange(10, 1, -1, dtype=np.int64)  # 10..2 on digits 1-9 (NHS Data Dictionary)

_UPN_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"  # 23 letters: no I, O, S (DfE UPN guidance)
_UPN_WEIGHTS = np.arange(2, 14, dtype=np.int64)  # weights 2..13 on characters 2-13

_PNC_ALPHABET = "ZABCDEFGHJKLMNPQRTUVWXY"  # index = (YY followed by 7-digit serial) mod 23
_PNC_SERIAL_SPACE = 10_000_000

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

_LA_CHILD_ID_SPACE = 10_000_000

# ----------------------------------------------------------------------------------------------------------
# Byte-level lookup tables (index = ASCII byte value)
# ----------------------------------------------------------------------------------------------------------


def _byte_set(chars: str) -> NDArray[np.bool_]:
    table = np.zeros(256, dtype=np.bool_)
    table[np.frombuffer(chars.encode("ascii"), dtype=np.uint8)] = True
    return table


def _alphabet_bytes(chars: str) -> NDArray[np.uint8]:
    return np.frombuffer(chars.encode("ascii"), dtype=np.uint8).copy()


_IS_DIGIT = _byte_set("0123456789")
_IS_UPPER = _byte_set(_UPPER)
_IS_UPN_LETTER = _byte_set(_UPN_ALPHABET)
_IS_PNC_LETTER = _byte_set(_PNC_ALPHABET)
_IS_NINO_SUFFIX = _byte_set("ABCD")
_UPN_ALPHABET_BYTES = _alphabet_bytes(_UPN_ALPHABET)
_PNC_ALPHABET_BYTES = _alphabet_bytes(_PNC_ALPHABET)
_NINO_PREFIX_BYTES = _alphabet_bytes("".join(NINO_PREFIXES)).reshape(-1, 2)

# UPN character values: digits are their own value, letters their index in the UPN alphabet; -1 = not allowed.
_UPN_VALUE = np.full(256, -1, dtype=np.int64)
_UPN_VALUE[_alphabet_bytes("0123456789")] = np.arange(10)
_UPN_VALUE[_UPN_ALPHABET_BYTES] = np.arange(len(_UPN_ALPHABET))

# Allowed NINO prefix as a (first byte, second byte) table.
_NINO_PAIR_OK = np.zeros((256, 256), dtype=np.bool_)
_NINO_PAIR_OK[_NINO_PREFIX_BYTES[:, 0], _NINO_PREFIX_BYTES[:, 1]] = True

# Postcode patterns (RE2 syntax, anchored). Outward: A9, A99, A9A, AA9, AA99, AA9A with the first letter not
# Q, V, X and the second letter not I, J, Z; inward: digit and two letters, none of C, I, K, M, O, V.
_OUTWARD = "[A-PR-UWYZ][A-HK-Y]?[0-9][0-9A-Z]?"
_INWARD = "[0-9][ABD-HJLNP-UW-Z]{2}"
_POSTCODE_RE = f"^{_OUTWARD} {_INWARD}$"
_OUTWARD_RE = f"^{_OUTWARD}$"

# ----------------------------------------------------------------------------------------------------------
# Shared helpers
# ----------------------------------------------------------------------------------------------------------


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


def _check_generator(rng: np.random.Generator) -> None:
    # A legacy RandomState or the global numpy state would break the one-seed-one-output guarantee.
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")


def _check_count(n: int) -> None:
    if n < 0:
        raise ValueError(f"n must be non-negative, got {n}")


def _int_column(values: NDArray[np.int64], name: str, lo: int, hi: int) -> NDArray[np.int64]:
    """`values` as a 1-D int64 array, every element in [lo, hi), or ValueError naming the column."""
    column = np.asarray(values)
    if column.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {column.shape}")
    if column.size and column.dtype.kind not in "iu":
        raise ValueError(f"{name} must hold integers, got dtype {column.dtype}")
    column = column.astype(np.int64, copy=False)
    bad = (column < lo) | (column >= hi)
    if bad.any():
        raise ValueError(f"{name} must be in [{lo}, {hi}); {int(bad.sum())} are not, e.g. {column[bad][0]}")
    return column


def _sample_distinct(
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


def _digit_bytes(values: NDArray[np.int64], width: int) -> NDArray[np.uint8]:
    """Zero-padded decimal ASCII of non-negative `values`: an (n, width) byte matrix, one column per digit."""
    out = np.empty((values.shape[0], width), dtype=np.uint8)
    rest = values.copy()
    for position in range(width - 1, -1, -1):
        rest, digit = np.divmod(rest, 10)
        out[:, position] = digit + 48
    return out


def _digit_value(columns: NDArray[np.uint8]) -> NDArray[np.int64]:
    """Integer value of ASCII digit columns (an (n, k) byte matrix already known to hold digits)."""
    value = np.zeros(columns.shape[0], dtype=np.int64)
    for position in range(columns.shape[1]):
        value = value * 10 + (columns[:, position].astype(np.int64) - 48)
    return value


def _strings(rows: NDArray[np.uint8]) -> NDArray[np.object_]:
    """Rows of an (n, width) ASCII byte matrix as an object array of ``str``.

    The matrix is already a valid Arrow string data buffer; wrapping it with fixed offsets and letting Arrow
    create the Python strings is faster than a numpy unicode round trip.
    """
    n, width = rows.shape
    data = np.ascontiguousarray(rows)
    offsets = np.arange(0, n * width + 1, width, dtype=np.int64)
    column = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))
    result: NDArray[np.object_] = column.to_numpy(zero_copy_only=False)
    return result


def _as_arrow_strings(values: StringValues) -> Any:
    """`values` as a pyarrow string or large_string array; non-strings and missing values become null."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        kind = values.type
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            return values
        if pa.types.is_string_view(kind) or (
            pa.types.is_dictionary(kind)
            and (pa.types.is_string(kind.value_type) or pa.types.is_large_string(kind.value_type))
        ):
            return values.cast(pa.string())
        return pa.nulls(len(values), type=pa.string())
    column = np.asarray(values) if not isinstance(values, np.ndarray) else values
    if column.ndim != 1:
        raise ValueError(f"expected a one-dimensional array of strings, got shape {column.shape}")
    if column.dtype.kind == "U":
        return pa.array(column, type=pa.string())
    if column.dtype.kind != "O":
        return pa.nulls(len(column), type=pa.string())
    try:
        return pa.array(column, type=pa.string(), from_pandas=True)
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        # Slow path, only for object arrays mixing strings with other objects: inspect each element's type.
        is_str = np.frompyfunc(lambda v: isinstance(v, str), 1, 1)(column).astype(np.bool_)
        strings_only = column.copy()
        strings_only[~is_str] = None
        return pa.array(strings_only, type=pa.string())


def _fixed_width(values: StringValues, width: int) -> tuple[NDArray[np.bool_], NDArray[np.uint8]]:
    """Bytes of every value as an (n, width) matrix, with a mask of the values that are exactly `width` bytes.

    Rows outside the mask are zero (which no lookup table accepts). A value of `width` bytes containing a
    non-ASCII character has bytes >= 128, which also no table accepts, so byte length stands in for length.
    """
    column = _as_arrow_strings(values)
    n = len(column)
    matrix = np.zeros((n, width), dtype=np.uint8)
    if n == 0:
        return np.zeros(0, dtype=np.bool_), matrix
    _, offset_buffer, data_buffer = column.buffers()
    offset_type = np.int64 if pa.types.is_large_string(column.type) else np.int32
    offsets: NDArray[np.int64] = np.frombuffer(offset_buffer, dtype=offset_type)[
        column.offset : column.offset + n + 1
    ].astype(np.int64)
    starts = offsets[:-1]
    fits: NDArray[np.bool_] = (offsets[1:] - starts) == width
    if column.null_count:
        fits = fits & column.is_valid().to_numpy(zero_copy_only=False)
    positions = np.arange(width, dtype=np.int64)
    if fits.all():
        matrix = np.frombuffer(data_buffer, dtype=np.uint8)[starts[:, None] + positions]
    elif fits.any():
        matrix[fits] = np.frombuffer(data_buffer, dtype=np.uint8)[starts[fits, None] + positions]
    return fits, matrix


def _all_in(table: NDArray[np.bool_], columns: NDArray[np.uint8]) -> NDArray[np.bool_]:
    """True where every byte of the row is in `table`."""
    result: NDArray[np.bool_] = np.asarray(table[columns].all(axis=1), dtype=np.bool_)
    return result


def _matches(values: StringValues, pattern: str) -> NDArray[np.bool_]:
    column = _as_arrow_strings(values)
    matched = pc.fill_null(pc.match_substring_regex(column, pattern), False)
    result: NDArray[np.bool_] = matched.to_numpy(zero_copy_only=False).astype(np.bool_, copy=False)
    return result


# ----------------------------------------------------------------------------------------------------------
# NHS number
# ----------------------------------------------------------------------------------------------------------


def nhs_check_digits(bases: NDArray[np.int64]) -> NDArray[np.int64]:
    """Mod-11 check digit for 9-digit bases: weights 10..2, check = 11 - (sum mod 11); 11 -> 0; 10 means
    invalid.

    NHS Data Dictionary, "NHS Number": the check digit makes every single-digit error and most transpositions
    detectable. A base whose check would be 10 is never issued, so 10 is returned as the marker for "no valid
    NHS number has this base".
    """
    column = _int_column(bases, "bases", 0, _NHS_BASE_SPACE)
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
    _check_generator(rng)
    _check_count(n)
    lo, hi = _check_nhs_bases(bases)
    capacity = nhs_capacity(bases)
    if n > capacity:
        raise ValueError(f"asked for {n} NHS numbers but bases [{lo}, {hi}) hold only {capacity} valid NHS numbers")
    chosen = _sample_distinct(rng, lo, hi, n, capacity, _nhs_base_ok)
    return _strings(_digit_bytes(chosen * 10 + nhs_check_digits(chosen), 10))


def is_valid_nhs_number(values: StringValues) -> NDArray[np.bool_]:
    """True for 10 ASCII digits whose last digit is the mod-11 check of the first nine (NHS Data Dictionary).

    The canonical unspaced form only: ``"943 476 5919"`` (display form) is False, as are None and non-strings.
    """
    fits, matrix = _fixed_width(values, 10)
    ok = fits & _all_in(_IS_DIGIT, matrix)
    digits = matrix.astype(np.int64) - 48
    check = (11 - (digits[:, :9] @ _NHS_WEIGHTS) % 11) % 11
    result: NDArray[np.bool_] = ok & (check != 10) & (check == digits[:, 9])
    return result


# ----------------------------------------------------------------------------------------------------------
# Unique pupil number (UPN)
# ----------------------------------------------------------------------------------------------------------


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
    fits, matrix = _fixed_width(bodies, 12)
    values = _UPN_VALUE[matrix]
    bad = ~(fits & (values >= 0).all(axis=1))
    if bad.any():
        raise ValueError(
            f"UPN bodies must be 12 characters of digits or {_UPN_ALPHABET}; "
            f"{int(bad.sum())} are not (first at position {int(np.flatnonzero(bad)[0])})"
        )
    return _strings(_upn_letters_from_values(values)[:, None])


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
    la = _int_column(la_numbers, "la_numbers", 0, 1_000)
    establishment = _int_column(establishments, "establishments", 0, 10_000)
    year = _int_column(years, "years", 0, 10_000) % 100
    serial = _int_column(serials, "serials", 0, 1_000)
    n = la.shape[0]
    if not establishment.shape[0] == year.shape[0] == serial.shape[0] == n:
        raise ValueError(
            "la_numbers, establishments, years and serials must have the same length, got "
            f"{n}, {establishment.shape[0]}, {year.shape[0]}, {serial.shape[0]}"
        )
    body = np.hstack(
        [_digit_bytes(la, 3), _digit_bytes(establishment, 4), _digit_bytes(year, 2), _digit_bytes(serial, 3)]
    )
    letters = _upn_letters_from_values(body.astype(np.int64) - 48)
    return _strings(np.hstack([letters[:, None], body]))


def is_valid_upn(values: StringValues) -> NDArray[np.bool_]:
    """True for permanent UPNs: check letter from ABCDEFGHJKLMNPQRTUVWXYZ, 12 digits, check letter correct.

    Temporary UPNs (last character a letter) are False: they are placeholders, not identifiers.
    """
    fits, matrix = _fixed_width(values, 13)
    ok = fits & _IS_UPN_LETTER[matrix[:, 0]] & _all_in(_IS_DIGIT, matrix[:, 1:])
    expected = _upn_letters_from_values(matrix[:, 1:].astype(np.int64) - 48)
    result: NDArray[np.bool_] = ok & (expected == matrix[:, 0])
    return result


# ----------------------------------------------------------------------------------------------------------
# National Insurance number (NINO)
# ----------------------------------------------------------------------------------------------------------


def allocate_ninos(rng: np.random.Generator, n: int, index: int, count: int) -> NDArray[np.object_]:
    """n distinct NINOs (format AA999999A, suffix A-D drawn at random) from part `index` of `count` equal
    parts of the (prefix, 6-digit number) space, so shards never collide. Identity is prefix+digits (the
    suffix does not make a NINO distinct), so distinctness is on prefix+digits.

    The space is keyed ``prefix index * 10**6 + number`` over :data:`NINO_PREFIXES`, so a part is a contiguous
    run of prefixes. Returns an object array of 9-character ``str`` in random order.
    """
    _check_generator(rng)
    _check_count(n)
    lo, hi = segment(0, _NINO_SPACE, index, count)
    if n > hi - lo:
        raise ValueError(f"asked for {n} NINOs but part {index} of {count} holds only {hi - lo}")
    keys = _sample_distinct(rng, lo, hi, n, hi - lo)
    suffixes = rng.integers(0, 4, size=n, dtype=np.int64).astype(np.uint8) + ord("A")
    prefix, number = np.divmod(keys, _NINO_NUMBER_SPACE)
    return _strings(np.hstack([_NINO_PREFIX_BYTES[prefix], _digit_bytes(number, 6), suffixes[:, None]]))


def is_valid_nino(values: StringValues) -> NDArray[np.bool_]:
    """True for ``AA999999A`` with an issuable prefix (:data:`NINO_PREFIXES`) and suffix A-D (HMRC NIM39110).

    The canonical unspaced upper-case form only; ``"AB 12 34 56 C"`` is False.
    """
    fits, matrix = _fixed_width(values, 9)
    result: NDArray[np.bool_] = (
        fits
        & _NINO_PAIR_OK[matrix[:, 0], matrix[:, 1]]
        & _all_in(_IS_DIGIT, matrix[:, 2:8])
        & _IS_NINO_SUFFIX[matrix[:, 8]]
    )
    return result


# ----------------------------------------------------------------------------------------------------------
# Police National Computer ID
# ----------------------------------------------------------------------------------------------------------


def _pnc_letter_bytes(two_digit_years: NDArray[np.int64], serials: NDArray[np.int64]) -> NDArray[np.uint8]:
    letters: NDArray[np.uint8] = _PNC_ALPHABET_BYTES[(two_digit_years * _PNC_SERIAL_SPACE + serials) % 23]
    return letters


def pnc_check_letters(years: NDArray[np.int64], serials: NDArray[np.int64]) -> NDArray[np.object_]:
    """PNC ID check: "ZABCDEFGHJKLMNPQRTUVWXY"[int(YY + 7-digit serial) mod 23] where YY = last 2 digits of
    the year. Examples 2008/0056560Z and 1979/0163001B are valid.

    Returns an object array of one-letter ``str``.
    """
    year = _int_column(years, "years", 0, 10_000)
    serial = _int_column(serials, "serials", 0, _PNC_SERIAL_SPACE)
    if year.shape != serial.shape:
        raise ValueError(f"years and serials must have the same length, got {year.shape[0]}, {serial.shape[0]}")
    return _strings(_pnc_letter_bytes(year % 100, serial)[:, None])


def allocate_pnc_ids(rng: np.random.Generator, years: NDArray[np.int64], index: int, count: int) -> NDArray[np.object_]:
    """One distinct PNC ID 'YYYY/NNNNNNNC' per element of `years` (year of first arrest), serials from part
    `index` of `count` parts of the 7-digit serial space, distinct within the result and across parts.

    As on the PNC, the serial runs within a year, so distinctness is on (year, serial): each year may use the
    whole part, and people arrested first in different years may share a serial. Serials are drawn uniformly
    without replacement within each year (a loop over the distinct years, not over people). Raises
    ValueError when more people share a year than the part holds serials. Returns an object array of
    13-character ``str``.
    """
    _check_generator(rng)
    year = _int_column(years, "years", 0, 10_000)
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
        + [_sample_distinct(rng, lo, hi, int(k), hi - lo) for k in per_year]  # loop over years only
    )
    serial = np.empty_like(serial_sorted)
    serial[order] = serial_sorted
    slash = np.full((year.shape[0], 1), ord("/"), dtype=np.uint8)
    letters = _pnc_letter_bytes(year % 100, serial)[:, None]
    return _strings(np.hstack([_digit_bytes(year, 4), slash, _digit_bytes(serial, 7), letters]))


def is_valid_pnc_id(values: StringValues) -> NDArray[np.bool_]:
    """True for ``YYYY/NNNNNNNC`` with the correct check character.

    Only the full form is accepted; the short written form (``08/56560Z``) is False.
    """
    fits, matrix = _fixed_width(values, 13)
    ok = (
        fits
        & _all_in(_IS_DIGIT, matrix[:, :4])
        & (matrix[:, 4] == ord("/"))
        & _all_in(_IS_DIGIT, matrix[:, 5:12])
        & _IS_PNC_LETTER[matrix[:, 12]]
    )
    # Rows that failed the shape checks give meaningless numbers here; `ok` masks them out.
    two_digit_year = _digit_value(matrix[:, 2:4])
    serial = _digit_value(matrix[:, 5:12])
    result: NDArray[np.bool_] = ok & (_pnc_letter_bytes(two_digit_year, serial) == matrix[:, 12])
    return result


# ----------------------------------------------------------------------------------------------------------
# Local-authority child id
# ----------------------------------------------------------------------------------------------------------


def allocate_la_child_ids(rng: np.random.Generator, n: int, index: int, count: int) -> NDArray[np.object_]:
    """Local-authority child ids: 'C' followed by 7 digits, distinct, from part `index` of `count` parts of
    the 10^7 space (CIN census LAchildID allows up to 15 alphanumeric characters; LAs use their own system's
    ids).

    Returns an object array of 8-character ``str`` in random order.
    """
    _check_generator(rng)
    _check_count(n)
    lo, hi = segment(0, _LA_CHILD_ID_SPACE, index, count)
    if n > hi - lo:
        raise ValueError(f"asked for {n} LA child ids but part {index} of {count} holds only {hi - lo}")
    numbers = _sample_distinct(rng, lo, hi, n, hi - lo)
    prefix = np.full((n, 1), ord("C"), dtype=np.uint8)
    return _strings(np.hstack([prefix, _digit_bytes(numbers, 7)]))


def is_valid_la_child_id(values: StringValues) -> NDArray[np.bool_]:
    """True for synthgen's LA child id format, ``C`` followed by 7 digits.

    Stricter than the census rule (any 1-15 alphanumerics), on purpose: it checks what synthgen generates.
    """
    fits, matrix = _fixed_width(values, 8)
    result: NDArray[np.bool_] = fits & (matrix[:, 0] == ord("C")) & _all_in(_IS_DIGIT, matrix[:, 1:])
    return result


# ----------------------------------------------------------------------------------------------------------
# Postcode
# ----------------------------------------------------------------------------------------------------------


def is_valid_postcode(values: StringValues) -> NDArray[np.bool_]:
    """UK postcode format, with a single space before the 3-char inward code: A9 9AA, A99 9AA, A9A 9AA,
    AA9 9AA, AA99 9AA, AA9A 9AA; first letter not Q,V,X; second letter not I,J,Z; inward letters not
    C,I,K,M,O,V.

    Format only (upper case, as Royal Mail writes them): a well-formed postcode need not exist. The special
    non-geographic code GIR 0AA does not fit these rules and is False.
    """
    return _matches(values, _POSTCODE_RE)


def is_valid_outward_code(values: StringValues) -> NDArray[np.bool_]:
    """The outward part of a postcode alone (A9, A99, A9A, AA9, AA99, AA9A), same letter rules."""
    return _matches(values, _OUTWARD_RE)
