"""Comparison levels: how far two records agree on each field, best level first, for every candidate pair.

A level is -1 when either value is missing, which is neutral (weight 0, left out of the estimates). Similarities
that depend only on the two names (nickname and variant lists, Jaro-Winkler, hyphen parts) are computed once per
distinct pair of names: a city's ten million pairs hold well under a million distinct name pairs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from synthgen.kernel.arrays import first_of_runs, ranges
from synthgen.linkage.array_types import Bool, Code, Float, Int, Levels
from synthgen.linkage.coded_view import NAME_WIDTH, CodedView
from synthgen.linkage.name_similarity import jaro_winkler

CHUNK = 1 << 18
"""Distinct name pairs per Jaro-Winkler batch, bounding its working memory to some tens of MB."""


@dataclass(frozen=True)
class Comparison:
    name: str
    levels: tuple[str, ...]
    """Level names, best first; a pair's level is its index here, or -1 when either value is missing."""


COMPARISONS = (
    Comparison(
        "given_name",
        (
            "exact",
            "nickname or variant",
            "swapped with family name",
            "jaro-winkler >= 0.92",
            "same first 3 letters",
            "jaro-winkler >= 0.8",
            "else",
        ),
    ),
    Comparison(
        "family_name",
        (
            "exact",
            "variant",
            "shares a part of a double-barrelled name",
            "swapped with given name",
            "jaro-winkler >= 0.92",
            "jaro-winkler >= 0.8",
            "else",
        ),
    ),
    Comparison("middle_names", ("exact", "same initial", "else")),
    Comparison("date_of_birth", ("exact", "day and month swapped", "one of year, month, day differs", "else")),
    Comparison("sex", ("same", "different")),
    Comparison(
        "postcode",
        (
            "postcode and address line exact",
            "exact",
            "one character differs",
            "same sector",
            "same outward code",
            "else",
        ),
    ),
    Comparison("nhs_number", ("exact", "different")),
    Comparison("upn", ("exact", "different")),
)
"""Nicknames and variants come from `synthgen.reference` (the lists a clerk would use); a given name is
"swapped" when it equals the other record's family name, and a family name likewise."""


def _per_value_pair(a: Code, b: Code, function: Callable[[Int, Int], NDArray[Any]]) -> NDArray[Any]:
    """`function` of two arrays of value codes (>= 0), evaluated once per distinct unordered pair of codes."""
    low, high = np.minimum(a, b).astype(np.int64), np.maximum(a, b).astype(np.int64)
    width = int(high.max(initial=0)) + 1
    key = low * width + high
    order = np.argsort(key)
    sorted_key = key[order]
    first = first_of_runs(sorted_key)
    unique = sorted_key[first]
    values = np.asarray(function(unique // width, unique % width))
    result = np.empty(key.size, values.dtype)
    result[order] = values[np.cumsum(first) - 1]
    return result


def _contains(sorted_keys: Int, keys: Int) -> Bool:
    """Whether each key is in a sorted array (a binary search each; np.isin would sort all the keys)."""
    if not sorted_keys.size:
        return np.zeros(keys.size, bool)
    index = np.minimum(np.searchsorted(sorted_keys, keys), sorted_keys.size - 1)
    result: Bool = sorted_keys[index] == keys
    return result


def _levels(conditions: list[Bool], missing: Bool) -> Levels:
    """The index of the first true condition (len(conditions) when none is), -1 where `missing`."""
    level = np.full(missing.shape, len(conditions), np.int8)
    for index in range(len(conditions) - 1, -1, -1):
        level[conditions[index]] = index
    level[missing] = -1
    return level


def _similarity(records: CodedView, a: Code, b: Code, undecided: Bool) -> Float:
    """Jaro-Winkler of names a and b where `undecided` (0 elsewhere), once per distinct pair of names."""

    def batches(x: Int, y: Int) -> Float:
        result = np.empty(x.size, np.float64)
        for start in range(0, x.size, CHUNK):
            i, j = x[start : start + CHUNK], y[start : start + CHUNK]
            result[start : start + CHUNK] = jaro_winkler(
                records.name_matrix[i],
                np.minimum(records.name_length[i], NAME_WIDTH),
                records.name_matrix[j],
                np.minimum(records.name_length[j], NAME_WIDTH),
            )
        return result

    result = np.zeros(a.size, np.float64)
    rows = np.flatnonzero(undecided)
    if rows.size:
        result[rows] = _per_value_pair(a[rows], b[rows], batches)
    return result


def _shares_part(records: CodedView, a: Int, b: Int) -> Bool:
    """Whether two raw family names (codes) have a part in common (parts split at hyphens and spaces): Smith-Jones
    against Smith, Jones, Jones-Smith or Smith Jones."""
    offsets, parts = records.part_offsets, records.part_codes
    count_a, count_b = offsets[a + 1] - offsets[a], offsets[b + 1] - offsets[b]
    pair_a, pair_b = np.repeat(np.arange(a.size), count_a), np.repeat(np.arange(b.size), count_b)
    part_a, part_b = parts[ranges(offsets[a], count_a)], parts[ranges(offsets[b], count_b)]
    width = int(parts.max(initial=0)) + 1
    key_b = np.sort((pair_b * width + part_b)[part_b >= 0])
    hits = (part_a >= 0) & _contains(key_b, pair_a * width + part_a)
    result: Bool = np.bincount(pair_a[hits], minlength=a.size) > 0
    return result


def compare(records: CodedView, left: Int, right: Int) -> Levels:
    """The level of each comparison in `COMPARISONS` for each pair: one int8 column per comparison."""
    out = np.empty((left.size, len(COMPARISONS)), np.int8)
    out[:, 0], out[:, 1] = _name_levels(records, left, right)

    m_l, m_r = records.middle[left], records.middle[right]
    initials = records.middle_initial[left] == records.middle_initial[right]
    out[:, 2] = _levels([m_l == m_r, initials], (m_l < 0) | (m_r < 0))

    year = records.year[left] == records.year[right]
    month_l, month_r = records.month[left], records.month[right]
    day_l, day_r = records.day[left], records.day[right]
    same = year.astype(np.int8) + (month_l == month_r) + (day_l == day_r)
    swapped = year & (month_l == day_r) & (day_l == month_r) & (month_l != day_l)
    out[:, 3] = _levels([same == 3, swapped, same == 2], (records.dob[left] < 0) | (records.dob[right] < 0))

    sex_l, sex_r = records.sex[left], records.sex[right]
    out[:, 4] = _levels([sex_l == sex_r], (sex_l < 0) | (sex_r < 0))

    p_l, p_r = records.postcode[left], records.postcode[right]
    p_missing = (p_l < 0) | (p_r < 0)
    p_exact = p_l == p_r
    address_l, address_r = records.address[left], records.address[right]
    differing = (records.postcode_word[np.maximum(p_l, 0)] ^ records.postcode_word[np.maximum(p_r, 0)]).view(np.uint8)
    typo = (differing.reshape(-1, 8) != 0).sum(axis=1) == 1
    typo &= records.postcode_length[np.maximum(p_l, 0)] == records.postcode_length[np.maximum(p_r, 0)]
    out[:, 5] = _levels(
        [
            p_exact & (address_l == address_r) & (address_l >= 0),
            p_exact,
            typo,
            records.sector[left] == records.sector[right],
            records.outward[left] == records.outward[right],
        ],
        p_missing,
    )

    for index, identifier in ((6, records.nhs), (7, records.upn)):
        x, y = identifier[left], identifier[right]
        out[:, index] = _levels([x == y], (x < 0) | (y < 0))
    return out


def _name_levels(records: CodedView, left: Int, right: Int) -> tuple[Levels, Levels]:
    """Given-name and family-name levels. The costly ones (Jaro-Winkler, hyphen parts) only for pairs no cheaper
    level has settled, and once per distinct pair of names."""
    names = max(len(records.names), 1)
    g_l, g_r = records.given[left], records.given[right]
    f_l, f_r = records.family[left], records.family[right]
    g_missing, f_missing = (g_l < 0) | (g_r < 0), (f_l < 0) | (f_r < 0)

    g_exact = g_l == g_r
    g_related = _contains(records.given_related, g_l.astype(np.int64) * names + g_r)
    g_swapped = ((g_l == f_r) & (f_r >= 0)) | ((g_r == f_l) & (f_l >= 0))
    safe_l, safe_r = np.maximum(g_l, 0), np.maximum(g_r, 0)
    g_prefix = (
        (records.name_length[safe_l] >= 3)
        & (records.name_length[safe_r] >= 3)
        & (records.name_matrix[safe_l, :3] == records.name_matrix[safe_r, :3]).all(axis=1)
    )
    g_similarity = _similarity(records, g_l, g_r, ~g_missing & ~g_exact & ~g_related & ~g_swapped)
    given = _levels([g_exact, g_related, g_swapped, g_similarity >= 0.92, g_prefix, g_similarity >= 0.8], g_missing)

    f_exact = f_l == f_r
    f_related = _contains(records.family_related, f_l.astype(np.int64) * names + f_r)
    f_swapped = ((f_l == g_r) & (g_r >= 0)) | ((f_r == g_l) & (g_l >= 0))
    raw_l, raw_r = records.raw_family[left], records.raw_family[right]
    part_count = records.part_count
    open_pairs = ~f_missing & ~f_exact & ~f_related
    double = open_pairs & ((part_count[raw_l] > 1) | (part_count[raw_r] > 1))
    f_part = np.zeros(left.size, bool)
    rows = np.flatnonzero(double)
    if rows.size:
        f_part[rows] = _per_value_pair(raw_l[rows], raw_r[rows], lambda x, y: _shares_part(records, x, y))
    f_similarity = _similarity(records, f_l, f_r, open_pairs & ~f_part & ~f_swapped)
    family = _levels([f_exact, f_related, f_part, f_swapped, f_similarity >= 0.92, f_similarity >= 0.8], f_missing)
    return given, family
