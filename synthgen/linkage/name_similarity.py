"""Names compared the way a clerk would, over whole arrays: Jaro-Winkler, soundex, and the nickname and variant
lists of the reference data.

Jaro-Winkler (Winkler 1990) is computed exactly, as jellyfish does, vectorised over padded byte matrices of the
two names: one pass per character position of the first name finds its first unmatched equal character within
the match window of the second, so the loop is over at most the matrix width, never over pairs.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen import reference
from synthgen.linkage.array_types import Float, Int
from synthgen.quality.edits import buffers


def byte_matrix(values: pa.Array, width: int) -> tuple[NDArray[np.uint8], Int]:
    """Each string (no nulls) as a row of its first `width` bytes padded with zeros, and its full length. An
    empty dictionary gives one empty row, so that gathering at code 0 for missing values stays in bounds."""
    offsets, data = buffers(values)
    length = np.diff(offsets)
    if not length.size:
        return np.zeros((1, width), np.uint8), np.zeros(1, np.int64)
    if not data.size:
        return np.zeros((len(length), width), np.uint8), length
    position = np.arange(width, dtype=np.int64)
    index = np.minimum(offsets[:-1, None] + position[None, :], data.size - 1)
    matrix: NDArray[np.uint8] = np.where(position[None, :] < length[:, None], data[index], 0).astype(np.uint8)
    return matrix, length


_SOUNDEX = np.full(256, 7, np.int64)
"""Soundex digit per byte: vowels and Y 0, H and W 8 (skipped), anything else 7 (not a letter: no digit)."""
for _digit, _group in enumerate(("AEIOUY", "BFPV", "CGJKQSXZ", "DT", "L", "MN", "R")):
    _SOUNDEX[np.frombuffer(_group.encode("ascii"), np.uint8)] = _digit
_SOUNDEX[np.frombuffer(b"HW", np.uint8)] = 8


def soundex(matrix: NDArray[np.uint8], length: Int) -> Int:
    """American soundex of upper-case A-Z names as an integer (first letter * 1000 + three digits), -1 for an
    empty name, vectorised over a byte matrix (columns: the whole name).

    The standard rules: letters after the first become digits, vowels separate equal digits but H and W do not,
    a digit equal to the one before (the first letter's included) is dropped, and three digits are kept, padded
    with zeros (Robert and Rupert R163, Ashcraft A261, Pfister P236). As a blocking key it keeps Smith/Smyth,
    Mohammed/Muhammad and most typos after the first letter together while splitting a surname's block."""
    rows, width = matrix.shape
    code = _SOUNDEX[matrix]
    position = np.arange(width)
    code[position[None, :] >= length[:, None]] = 8
    # For each position, the code of the nearest earlier letter that is not H or W (-1 at the start).
    kept = np.maximum.accumulate(np.where(code != 8, position[None, :], -1), axis=1)
    before = np.full((rows, width), -1, np.int64)
    before[:, 1:] = kept[:, :-1]
    previous_code = np.where(before >= 0, np.take_along_axis(code, np.maximum(before, 0), axis=1), -1)
    digit = (position[None, :] >= 1) & (code >= 1) & (code <= 6) & (code != previous_code)
    rank = np.cumsum(digit, axis=1)
    result = matrix[:, 0].astype(np.int64) * 1000 if width else np.zeros(rows, np.int64)
    for place, scale in ((1, 100), (2, 10), (3, 1)):
        result += np.where(digit & (rank == place), code, 0).max(axis=1, initial=0) * scale
    return np.where(length > 0, result, -1)


def jaro_winkler(a: NDArray[np.uint8], a_length: Int, b: NDArray[np.uint8], b_length: Int) -> Float:
    """Jaro-Winkler similarity of each row of `a` with the same row of `b` (zero-padded byte matrices of equal
    width, lengths at most that width), as jellyfish computes it: matches within max(len) // 2 - 1 positions,
    half the out-of-order matches (rounded down) are transpositions, and a common prefix of up to 4 characters
    raises a similarity above 0.7 by a tenth of the gap to 1 per character."""
    rows, width = a.shape
    if not rows:
        return np.zeros(0, np.float64)
    position = np.arange(width)
    window = np.maximum(np.maximum(a_length, b_length) // 2 - 1, 0)
    usable_b = position[None, :] < b_length[:, None]
    matched_a = np.zeros((rows, width), bool)
    matched_b = np.zeros((rows, width), bool)
    for i in range(width):
        candidate = (b == a[:, i : i + 1]) & usable_b & ~matched_b
        candidate &= np.abs(position[None, :] - i) <= window[:, None]
        candidate &= (i < a_length)[:, None]
        found = candidate.any(axis=1)
        hit = np.flatnonzero(found)
        matched_b[hit, candidate[hit].argmax(axis=1)] = True
        matched_a[:, i] = found
    matches = matched_a.sum(axis=1)
    # The matched characters of each side in order, compared position by position.
    in_order_a = np.take_along_axis(a, np.argsort(~matched_a, axis=1, kind="stable"), axis=1)
    in_order_b = np.take_along_axis(b, np.argsort(~matched_b, axis=1, kind="stable"), axis=1)
    transpositions = ((in_order_a != in_order_b) & (position[None, :] < matches[:, None])).sum(axis=1) // 2
    jaro = np.where(
        matches > 0,
        (
            matches / np.maximum(a_length, 1)
            + matches / np.maximum(b_length, 1)
            + (matches - transpositions) / np.maximum(matches, 1)
        )
        / 3.0,
        0.0,
    )
    head = min(4, width)
    same = (a[:, :head] == b[:, :head]) & (position[None, :head] < np.minimum(a_length, b_length)[:, None])
    prefix = np.cumprod(same, axis=1).sum(axis=1)
    result: Float = np.where(jaro > 0.7, jaro + prefix * 0.1 * (1.0 - jaro), jaro)
    return result


def _letters(name: str) -> str:
    return "".join(ch for ch in name.upper() if "A" <= ch <= "Z")


@cache
def _related_names(part: str) -> tuple[tuple[str, str], ...]:
    """Pairs of normalised names a clerk takes for one name (both directions): for given names a formal name and
    its nicknames, and spelling, phonetic and transliteration variants; for family names the variants."""
    pairs: set[tuple[str, str]] = set()
    for kind in ("spelling", "phonetic", "transliteration"):
        for name, variants in reference.name_variants(kind, part).items():
            pairs.update((name, variant) for variant in variants)
    if part == "given":
        for name, nicknames in reference.nicknames().items():
            pairs.update((name, nickname) for nickname in nicknames)
    normalised = {(_letters(a), _letters(b)) for a, b in pairs}
    both = {(a, b) for a, b in normalised if a and b and a != b} | {(b, a) for a, b in normalised if a and b and a != b}
    return tuple(sorted(both))


def related_keys(part: str, names: pa.Array) -> Int:
    """The related-name pairs found in the view's name dictionary, as sorted keys a * len(names) + b."""
    pairs = _related_names(part)
    if not pairs or not len(names):
        return np.zeros(0, np.int64)
    index = [
        pc.fill_null(pc.index_in(pa.array([p[side] for p in pairs], pa.string()), value_set=names), -1)
        .to_numpy(zero_copy_only=False)
        .astype(np.int64)
        for side in (0, 1)
    ]
    keep = (index[0] >= 0) & (index[1] >= 0)
    return np.unique(index[0][keep] * len(names) + index[1][keep])
