"""The probabilistic reference linker: Fellegi & Sunter (1969) with m and u by EM, in the style of Splink.

Written from scratch over whole numpy/pyarrow arrays, so that the reference does not depend on a linkage
package's version and runs on a million records in seconds. The steps, each over whole columns:

1. **Prepare.** Sort the view by record_id (so nothing depends on input order), normalise names (upper case,
   A-Z only) and identifiers, and turn every field into integer codes. Given and family names share one
   dictionary, so a given name can be compared with a family name (name swaps) by integer equality, and
   everything computed per name (byte matrix, soundex, initial) is computed once per distinct name.
2. **Block.** Candidate pairs are pairs of records with equal keys under any of `BLOCKING_RULES`, found by
   sorting each key and pairing within runs of equal keys. Each rule covers the errors the others miss: exact
   identifiers; date of birth with either initial (a misspelt or changed name); date of birth with postcode (both
   names changed, or swapped); family-name soundex with birth year (day/month swaps and other date errors);
   postcode with given-name initial (a wrong year); both soundexes (a wrong date and a move). Blocks of more than
   `max_block_size` records are skipped (their pairs are left to the other rules): a common name born in one year
   in a city would otherwise add hundreds of thousands of pairs that the other rules already narrow down.
3. **Compare.** Each candidate pair gets a level per comparison in `COMPARISONS` (best first; -1 when either
   value is missing, which is neutral: it contributes weight 0 and is left out of the estimates). Similarities
   that depend only on the two values (nickname lists, Jaro-Winkler, hyphen parts, postcode typos) are computed
   once per distinct pair of values, not per record pair.
4. **Estimate.** The level vectors are counted by distinct pattern (a few thousand patterns however many pairs),
   and EM fits a two-class mixture with conditionally independent comparisons: u starts from the level shares
   among random record pairs (almost all non-matches), m from a prior that puts 0.9 on the best level, the match
   share lambda from 1 in 20; each iteration re-estimates lambda, m and u from the posterior match probability of
   each pattern, with half a pair of additive smoothing so no level gets probability 0, until no parameter moves
   by more than `EM_TOLERANCE` or after `EM_ITERATIONS`. Both m and u are re-estimated on the candidate pairs,
   because blocking makes non-matches agree far more often there (on date of birth above all) than at random.
5. **Link.** A pair's match weight is log2(lambda / (1 - lambda)) + sum of log2(m / u) over its levels, and its
   match probability 2^w / (1 + 2^w); pairs at `threshold` (default 0.9) or above are linked, and clusters are the
   connected components of the links (`synthgen.evaluation.metrics.connected_components`).

Jaro-Winkler (Winkler 1990) is computed exactly, vectorised over padded byte matrices of the two names: one pass
per character position of the first name finds its first unmatched equal character within the match window in
the second, so the loop is over at most `NAME_WIDTH` positions, never over pairs. Names are truncated to
`NAME_WIDTH` characters for it (exact comparison uses the whole name).

References: Fellegi, I. P. & Sunter, A. B. (1969) A theory for record linkage. JASA 64, 1183-1210. Winkler, W. E.
(1990) String comparator metrics and enhanced decision rules in the Fellegi-Sunter model of record linkage.
Proc. Section on Survey Research Methods, ASA. Jaro, M. A. (1989) Advances in record-linkage methodology as
applied to matching the 1985 Census of Tampa, Florida. JASA 84, 414-420. Linacre, R. et al. (2022) Splink.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen import reference
from synthgen.linkers.exact import (
    clusters,
    codes,
    column,
    combine,
    day_codes,
    normalise_identifier,
    normalise_name,
    sorted_view,
)
from synthgen.quality.edits import buffers, ranges

Int = NDArray[np.int64]
Bool = NDArray[np.bool_]

THRESHOLD = 0.9
"""Link at a match probability of 0.9 or more: a false link merges two people's records in front of a
caseworker, which is worse than a missed one, so a link has to be nine times likelier than not."""
MAX_BLOCK_SIZE = 1000
"""Blocks of more records than this are skipped (at most ~500,000 pairs from any one block)."""
RANDOM_PAIRS = 200_000
"""Random record pairs for the starting u probabilities."""
EM_ITERATIONS = 100
EM_TOLERANCE = 1e-6
SMOOTHING = 0.5
"""Pseudo-count added to every level's expected count in each M step."""
PRIOR_MATCH_SHARE = 0.05
PRIOR_BEST_LEVEL = 0.9
NAME_WIDTH = 20
"""Characters of each name compared by Jaro-Winkler."""
CHUNK = 1 << 18
"""Distinct value pairs per Jaro-Winkler batch, bounding its working memory to a few tens of MB."""
SEED = 20240401
STRATIFY_ON = ("date_of_birth", "family_name")
"""Comparisons whose agreement the non-match class is stratified by (see the module docstring)."""

BLOCKING_RULES = (
    "nhs_number",
    "upn",
    "date_of_birth + given_name initial",
    "date_of_birth + family_name initial",
    "date_of_birth + postcode",
    "family_name soundex + birth year + given_name initial",
    "postcode + given_name initial",
    "given_name soundex + family_name soundex + birth month",
)


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


@dataclass(frozen=True)
class Model:
    """The fitted mixture, as flat parameter vectors (see `_Layout`): m per comparison level, u per stratum and
    level, and the match share lambda among the candidate pairs."""

    stratify_on: tuple[str, ...]
    m: NDArray[np.float64]
    u: NDArray[np.float64]
    match_share: float
    iterations: int
    candidate_pairs: int

    def table(self) -> pa.Table:
        """One row per comparison level (and stratum, for u): m, u and the weight log2(m / u) it adds, for
        reading and reporting. Strata are labelled by the agreement of each stratifying comparison."""
        layout = _Layout(self.stratify_on)
        states = ("agree", "disagree", "missing")
        labels = [
            ", ".join(f"{name} {states[(s // 3**j) % 3]}" for j, name in enumerate(layout.stratify_on))
            for s in range(layout.strata)
        ]
        comparison_index = np.repeat(np.arange(len(COMPARISONS)), layout.counts)
        level_index = np.concatenate([np.arange(k) for k in layout.counts.tolist()])
        levels = np.full((layout.strata * layout.m_size, len(COMPARISONS)), -1, np.int8)
        stratum = np.repeat(np.arange(layout.strata), layout.m_size)
        for place, index in enumerate(layout.stratifying):
            state = (stratum // 3**place) % 3
            levels[:, index] = np.where(state == 0, 0, np.where(state == 1, 1, -1))
        rows = np.arange(levels.shape[0])
        levels[rows, np.tile(comparison_index, layout.strata)] = np.tile(level_index, layout.strata)
        u_slot = layout.u_slots(levels)[rows, 1 + np.tile(comparison_index, layout.strata)]
        m = np.tile(self.m, layout.strata)
        u = np.r_[self.u, 1.0][u_slot]
        return pa.table(
            {
                "comparison": [COMPARISONS[i].name for i in np.tile(comparison_index, layout.strata)],
                "level": [
                    COMPARISONS[c].levels[k]
                    for c, k in zip(
                        np.tile(comparison_index, layout.strata), np.tile(level_index, layout.strata), strict=True
                    )
                ],
                "stratum": [labels[s] for s in stratum],
                "m": m,
                "u": u,
                "weight": np.log2(m / u),
            }
        )


@dataclass(frozen=True)
class ScoredPairs:
    """Every candidate pair (row indices into the view in record_id order, left < right) with its comparison
    levels, match weight and match probability, and the model that scored them."""

    record_id: pa.Array
    left: Int
    right: Int
    levels: NDArray[np.int8]
    match_weight: NDArray[np.float64]
    match_probability: NDArray[np.float64]
    model: Model


def link(
    view: pa.Table,
    *,
    threshold: float = THRESHOLD,
    max_block_size: int = MAX_BLOCK_SIZE,
    em_iterations: int = EM_ITERATIONS,
    stratify_on: tuple[str, ...] = STRATIFY_ON,
) -> pa.Table:
    """Cluster the view's records: link candidate pairs with match probability >= `threshold` and take connected
    components. Returns `record_id` (in record_id order) and `cluster_id` (smallest row index of the cluster)."""
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be a probability in (0, 1], got {threshold}")
    scored = score(view, max_block_size=max_block_size, em_iterations=em_iterations, stratify_on=stratify_on)
    linked = scored.match_probability >= threshold
    return clusters(scored.record_id, scored.left[linked], scored.right[linked])


def score(
    view: pa.Table,
    *,
    max_block_size: int = MAX_BLOCK_SIZE,
    em_iterations: int = EM_ITERATIONS,
    stratify_on: tuple[str, ...] = STRATIFY_ON,
) -> ScoredPairs:
    """Block, compare, fit the model by EM and score every candidate pair (without thresholding)."""
    if max_block_size < 2:
        raise ValueError(f"max_block_size must be at least 2, got {max_block_size}")
    if em_iterations < 0:
        raise ValueError(f"em_iterations must be non-negative, got {em_iterations}")
    records = _Records(sorted_view(view))
    left, right = candidate_pairs(records, max_block_size)
    levels = _compare(records, left, right)
    pattern_levels, count, pattern_of = patterns(levels)
    sample_left, sample_right = _random_pairs(records.n, RANDOM_PAIRS)
    sample = _compare(records, sample_left, sample_right)
    model = fit(pattern_levels, count, sample, em_iterations, stratify_on)
    weight = match_weights(model, pattern_levels)[pattern_of]
    probability = 1.0 / (1.0 + np.exp2(-weight))
    return ScoredPairs(records.record_id, left, right, levels, weight, probability, model)


# --- preparation ------------------------------------------------------------------------------------------------


def _byte_matrix(values: pa.Array, width: int) -> tuple[NDArray[np.uint8], Int]:
    """Each string (no nulls) as a row of its first `width` bytes padded with zeros, and its full length."""
    offsets, data = buffers(values)
    length = np.diff(offsets)
    position = np.arange(width, dtype=np.int64)
    inside = position[None, :] < length[:, None]
    if not data.size:
        return np.zeros((len(length), width), np.uint8), length
    index = np.minimum(offsets[:-1, None] + position[None, :], data.size - 1)
    return np.where(inside, data[index], 0).astype(np.uint8), length


_SOUNDEX = np.full(256, 7, np.int64)
"""Soundex digit per byte: vowels (and Y) 0, H and W 8 (ignored between letters), anything else 7 (not a letter)."""
for _digit, _letters in enumerate(("AEIOUY", "BFPV", "CGJKQSXZ", "DT", "L", "MN", "R")):
    _SOUNDEX[np.frombuffer(_letters.encode("ascii"), np.uint8)] = _digit
_SOUNDEX[np.frombuffer(b"HW", np.uint8)] = 8


def soundex(matrix: NDArray[np.uint8], length: Int) -> Int:
    """American soundex (Knuth's form: H and W do not separate equal codes) of upper-case A-Z names, as an
    integer (first letter * 1000 + three digits), vectorised over a byte matrix; -1 for an empty name.

    Used as a blocking key: Smith/Smyth, Mohammed/Muhammad and most one-letter typos after the first letter keep
    their code, so the true pair shares a block while the block stays small."""
    n, width = matrix.shape
    code = _SOUNDEX[matrix]
    position = np.arange(width)
    code[position[None, :] >= length[:, None]] = 8
    # The last code before each position that is not H or W (the first letter counts; -1 when there is none).
    kept_index = np.where(code != 8, position[None, :], -1)
    last_kept = np.maximum.accumulate(kept_index, axis=1)
    previous = np.full((n, width), -1, np.int64)
    previous[:, 1:] = last_kept[:, :-1]
    previous_code = np.where(previous >= 0, np.take_along_axis(code, np.maximum(previous, 0), axis=1), -1)
    digit = (position[None, :] >= 1) & (code >= 1) & (code <= 6) & (code != previous_code)
    rank = np.cumsum(digit, axis=1)
    result = matrix[:, 0].astype(np.int64) * 1000 if width else np.zeros(n, np.int64)
    for place, scale in ((1, 100), (2, 10), (3, 1)):
        result += np.where(digit & (rank == place), code, 0).max(axis=1, initial=0) * scale
    return np.where(length > 0, result, -1)


def jaro_winkler(a: NDArray[np.uint8], a_length: Int, b: NDArray[np.uint8], b_length: Int) -> NDArray[np.float64]:
    """Jaro-Winkler similarity of each row of `a` with the same row of `b` (zero-padded byte matrices of equal
    width, lengths at most that width), as jellyfish computes it: half the out-of-order matches (rounded down)
    are transpositions, and the common prefix (up to 4) boosts similarities above 0.7 by 0.1 per character."""
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
        first = candidate.argmax(axis=1)
        hit = np.flatnonzero(found)
        matched_b[hit, first[hit]] = True
        matched_a[:, i] = found
    matches = matched_a.sum(axis=1)
    # Matched characters of each side in order, compared position by position.
    in_order_a = np.take_along_axis(a, np.argsort(~matched_a, axis=1, kind="stable"), axis=1)
    in_order_b = np.take_along_axis(b, np.argsort(~matched_b, axis=1, kind="stable"), axis=1)
    transpositions = ((in_order_a != in_order_b) & (position[None, :] < matches[:, None])).sum(axis=1) // 2
    safe = np.maximum(matches, 1)
    jaro = np.where(
        matches > 0,
        (matches / np.maximum(a_length, 1) + matches / np.maximum(b_length, 1) + (matches - transpositions) / safe)
        / 3.0,
        0.0,
    )
    head = min(4, width)
    same = (a[:, :head] == b[:, :head]) & (position[None, :head] < np.minimum(a_length, b_length)[:, None])
    prefix = np.cumprod(same, axis=1).sum(axis=1)
    result: NDArray[np.float64] = np.where(jaro > 0.7, jaro + prefix * 0.1 * (1.0 - jaro), jaro)
    return result


@cache
def _related_names(part: str) -> tuple[tuple[str, str], ...]:
    """Pairs of normalised names that are one name to a clerk: for given names a formal name and its nicknames
    and spelling, phonetic and transliteration variants; for family names the variants (both directions)."""
    kinds = ("spelling", "phonetic", "transliteration")
    pairs: set[tuple[str, str]] = set()
    for kind in kinds:
        for name, variants in reference.name_variants(kind, part).items():
            pairs.update((name, variant) for variant in variants)
    if part == "given":
        for name, nicknames in reference.nicknames().items():
            pairs.update((name, nickname) for nickname in nicknames)
    letters = [
        ("".join(ch for ch in a.upper() if "A" <= ch <= "Z"), "".join(ch for ch in b.upper() if "A" <= ch <= "Z"))
        for a, b in sorted(pairs)
    ]
    both = {(a, b) for a, b in letters if a and b and a != b} | {(b, a) for a, b in letters if a and b and a != b}
    return tuple(sorted(both))


def _related_keys(part: str, names: pa.Array) -> Int:
    """The related-name pairs as keys a * len(names) + b over the view's name dictionary (both present)."""
    pairs = _related_names(part)
    if not pairs:
        return np.zeros(0, np.int64)
    a = pc.index_in(pa.array([p[0] for p in pairs], pa.string()), value_set=names)
    b = pc.index_in(pa.array([p[1] for p in pairs], pa.string()), value_set=names)
    a_index = pc.fill_null(a, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    b_index = pc.fill_null(b, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    keep = (a_index >= 0) & (b_index >= 0)
    return np.unique(a_index[keep] * len(names) + b_index[keep])


class _Records:
    """The view in record_id order as integer codes per field, and what is computed once per distinct value."""

    def __init__(self, view: pa.Table) -> None:
        self.n = view.num_rows
        self.record_id = column(view, "record_id")
        # Given and family names share one dictionary, so a name can be compared across the two fields.
        given = normalise_name(column(view, "given_name"))
        family = normalise_name(column(view, "family_name"))
        name_codes, self.names = codes(pa.concat_arrays([given, family]))
        self.given, self.family = name_codes[: self.n], name_codes[self.n :]
        self.name_matrix, self.name_length = _byte_matrix(self.names, NAME_WIDTH)
        full_width = max(int(self.name_length.max(initial=0)), 1)
        self.name_soundex = soundex(_byte_matrix(self.names, full_width)[0], self.name_length)
        self.name_initial = self.name_matrix[:, 0].astype(np.int64) if len(self.names) else np.zeros(0, np.int64)
        self.given_related = _related_keys("given", self.names)
        self.family_related = _related_keys("family", self.names)
        # Parts of double-barrelled family names ("Smith-Jones" -> SMITH, JONES), per distinct raw family name.
        raw_family = pc.utf8_upper(column(view, "family_name").cast(pa.string()))
        self.raw_family, raw_dictionary = codes(raw_family)
        parts = pc.split_pattern_regex(raw_dictionary, r"[\s-]+")
        part_codes, _ = codes(normalise_name(pc.list_flatten(parts)))
        self.part_offsets = pc.list_parent_indices(parts).to_numpy(zero_copy_only=False)
        self.part_offsets = np.searchsorted(self.part_offsets, np.arange(len(raw_dictionary) + 1)).astype(np.int64)
        self.part_codes = part_codes

        middle = normalise_name(column(view, "middle_names"))
        self.middle, middle_names = codes(middle)
        middle_initial = _byte_matrix(middle_names, 1)[0][:, 0].astype(np.int64)
        self.middle_initial = np.where(self.middle >= 0, middle_initial[np.maximum(self.middle, 0)], -1)

        dob = column(view, "date_of_birth")
        self.dob = day_codes(dob)
        valid_dob = self.dob >= 0
        dates = dob.cast(pa.date32())
        self.year = np.where(valid_dob, pc.fill_null(pc.year(dates), 0).to_numpy(zero_copy_only=False), -1)
        self.month = np.where(valid_dob, pc.fill_null(pc.month(dates), 0).to_numpy(zero_copy_only=False), -1)
        self.day = np.where(valid_dob, pc.fill_null(pc.day(dates), 0).to_numpy(zero_copy_only=False), -1)
        self.year, self.month, self.day = (x.astype(np.int64) for x in (self.year, self.month, self.day))

        self.sex, _ = codes(pc.utf8_upper(pc.utf8_trim_whitespace(column(view, "sex").cast(pa.string()))))
        postcode = normalise_identifier(column(view, "postcode"))
        self.postcode, self.postcodes = codes(postcode)
        self.postcode_matrix, self.postcode_length = _byte_matrix(self.postcodes, 8)
        # Sector (outward code and the inward digit) and outward code: the postcode less its last 2 or 3 characters.
        sector_of, _ = codes(pc.utf8_slice_codeunits(self.postcodes, 0, -2))
        outward_of, _ = codes(pc.utf8_slice_codeunits(self.postcodes, 0, -3))
        has_postcode = self.postcode >= 0
        self.sector = np.where(has_postcode, sector_of[np.maximum(self.postcode, 0)], -1) if self.n else self.postcode
        self.outward = np.where(has_postcode, outward_of[np.maximum(self.postcode, 0)], -1) if self.n else self.postcode
        self.address, _ = codes(normalise_identifier(column(view, "address_line")))
        self.nhs, _ = codes(normalise_identifier(column(view, "nhs_number")))
        self.upn, _ = codes(normalise_identifier(column(view, "upn")))

    def name_attribute(self, name: Int, per_name: Int) -> Int:
        """A per-distinct-name value (soundex, initial) for each record's name code, -1 where the name is null."""
        return np.where(name >= 0, per_name[np.maximum(name, 0)], -1) if per_name.size else np.full_like(name, -1)


# --- blocking ---------------------------------------------------------------------------------------------------


def blocking_keys(records: _Records) -> dict[str, Int]:
    """Each rule of `BLOCKING_RULES` as one integer key per record (-1: the record is not blocked by the rule)."""
    given_initial = records.name_attribute(records.given, records.name_initial)
    family_initial = records.name_attribute(records.family, records.name_initial)
    given_soundex = records.name_attribute(records.given, records.name_soundex)
    family_soundex = records.name_attribute(records.family, records.name_soundex)
    keys = {
        "nhs_number": records.nhs,
        "upn": records.upn,
        "date_of_birth + given_name initial": combine(records.dob, given_initial),
        "date_of_birth + family_name initial": combine(records.dob, family_initial),
        "date_of_birth + postcode": combine(records.dob, records.postcode),
        "family_name soundex + birth year + given_name initial": combine(family_soundex, records.year, given_initial),
        "postcode + given_name initial": combine(records.postcode, given_initial),
        "given_name soundex + family_name soundex + birth month": combine(given_soundex, family_soundex, records.month),
    }
    assert tuple(keys) == BLOCKING_RULES
    return keys


def block_pairs(key: Int, max_block_size: int) -> tuple[Int, Int]:
    """Every pair (left < right) of records with equal non-negative keys, skipping blocks over `max_block_size`.

    Sorting puts each block's records side by side; a record at rank r of a block of s pairs with the s - r - 1
    records after it, so the pairs are generated with one repeat and one arange, however many blocks there are."""
    rows = np.flatnonzero(key >= 0)
    order = rows[np.argsort(key[rows], kind="stable")]
    if order.size < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    sorted_key = key[order]
    starts = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]])
    sizes = np.diff(np.r_[starts, order.size])
    block = np.repeat(np.arange(starts.size), sizes)
    size = sizes[block]
    later = np.where(size <= max_block_size, size - (np.arange(order.size) - starts[block]) - 1, 0)
    first = np.repeat(np.arange(order.size), later)
    second = first + 1 + ranges(np.zeros(later.size, np.int64), later)
    a, b = order[first], order[second]
    return np.minimum(a, b), np.maximum(a, b)


def candidate_pairs(records: _Records, max_block_size: int = MAX_BLOCK_SIZE) -> tuple[Int, Int]:
    """The union of every blocking rule's pairs, each pair once, sorted (left < right)."""
    found = []
    for key in blocking_keys(records).values():
        left, right = block_pairs(key, max_block_size)
        found.append(left * records.n + right)
    pair = np.unique(np.concatenate(found)) if found else np.zeros(0, np.int64)
    return pair // max(records.n, 1), pair % max(records.n, 1)


def _random_pairs(n: int, count: int) -> tuple[Int, Int]:
    """Random distinct record pairs (left < right) from a fixed seed: a sample of what non-matches look like."""
    if n < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    rng = np.random.default_rng(SEED)
    a = rng.integers(0, n, count)
    b = rng.integers(0, n, count)
    keep = a != b
    return np.minimum(a, b)[keep], np.maximum(a, b)[keep]


# --- comparison -------------------------------------------------------------------------------------------------


def _per_value_pair(a: Int, b: Int, function: Callable[[Int, Int], Bool | NDArray[np.float64]]) -> NDArray[np.float64]:
    """`function` of two value-code arrays, evaluated once per distinct unordered pair of codes (>= 0)."""
    low, high = np.minimum(a, b), np.maximum(a, b)
    width = int(high.max(initial=0)) + 1
    unique, inverse = np.unique(low * width + high, return_inverse=True)
    values = np.asarray(function(unique // width, unique % width), dtype=np.float64)
    result: NDArray[np.float64] = values[inverse.reshape(-1)]
    return result


def _levels(conditions: list[Bool], missing: Bool) -> NDArray[np.int8]:
    """The index of the first true condition (len(conditions) when none is), -1 where `missing`."""
    level = np.full(missing.shape, len(conditions), np.int8)
    for index in range(len(conditions) - 1, -1, -1):
        level[conditions[index]] = index
    level[missing] = -1
    return level


def _chunked_jaro_winkler(records: _Records, a: Int, b: Int) -> NDArray[np.float64]:
    result = np.empty(a.size, np.float64)
    for start in range(0, a.size, CHUNK):
        x, y = a[start : start + CHUNK], b[start : start + CHUNK]
        result[start : start + CHUNK] = jaro_winkler(
            records.name_matrix[x],
            np.minimum(records.name_length[x], NAME_WIDTH),
            records.name_matrix[y],
            np.minimum(records.name_length[y], NAME_WIDTH),
        )
    return result


def _similarity(records: _Records, a: Int, b: Int, undecided: Bool) -> NDArray[np.float64]:
    """Jaro-Winkler of the names a and b where `undecided` (0 elsewhere), once per distinct pair of names."""
    result = np.zeros(a.size, np.float64)
    rows = np.flatnonzero(undecided)
    if rows.size:
        result[rows] = _per_value_pair(a[rows], b[rows], lambda x, y: _chunked_jaro_winkler(records, x, y))
    return result


def _shares_part(records: _Records, a: Int, b: Int) -> Bool:
    """Whether two raw family names (codes) have a part in common, per distinct pair (parts split at hyphens and
    spaces): Smith-Jones against Smith, Jones or Jones-Smith."""
    offsets, parts = records.part_offsets, records.part_codes
    count_a, count_b = offsets[a + 1] - offsets[a], offsets[b + 1] - offsets[b]
    pair_a = np.repeat(np.arange(a.size), count_a)
    pair_b = np.repeat(np.arange(b.size), count_b)
    part_a, part_b = parts[ranges(offsets[a], count_a)], parts[ranges(offsets[b], count_b)]
    width = int(parts.max(initial=0)) + 1
    key_b = (pair_b * width + part_b)[part_b >= 0]
    hits = (part_a >= 0) & np.isin(pair_a * width + part_a, key_b)
    result: Bool = np.bincount(pair_a[hits], minlength=a.size) > 0
    return result


def _compare(records: _Records, left: Int, right: Int) -> NDArray[np.int8]:
    """The level of each comparison in `COMPARISONS` for each pair: one int8 column per comparison."""
    out = np.empty((left.size, len(COMPARISONS)), np.int8)
    n_names = max(len(records.names), 1)

    g_l, g_r = records.given[left], records.given[right]
    f_l, f_r = records.family[left], records.family[right]
    g_missing, f_missing = (g_l < 0) | (g_r < 0), (f_l < 0) | (f_r < 0)

    g_exact = (g_l == g_r) & ~g_missing
    g_related = ~g_missing & ~g_exact & np.isin(g_l * n_names + g_r, records.given_related)
    g_swapped = ~g_missing & (((g_l == f_r) & (f_r >= 0)) | ((g_r == f_l) & (f_l >= 0)))
    g_prefix = (
        ~g_missing
        & (records.name_length[np.maximum(g_l, 0)] >= 3)
        & (records.name_length[np.maximum(g_r, 0)] >= 3)
        & (records.name_matrix[np.maximum(g_l, 0), :3] == records.name_matrix[np.maximum(g_r, 0), :3]).all(axis=1)
    )
    g_similarity = _similarity(records, g_l, g_r, ~g_missing & ~g_exact & ~g_related & ~g_swapped)
    out[:, 0] = _levels([g_exact, g_related, g_swapped, g_similarity >= 0.92, g_prefix, g_similarity >= 0.8], g_missing)

    f_exact = (f_l == f_r) & ~f_missing
    f_related = ~f_missing & ~f_exact & np.isin(f_l * n_names + f_r, records.family_related)
    raw_l, raw_r = np.maximum(records.raw_family[left], 0), np.maximum(records.raw_family[right], 0)
    f_open = ~f_missing & ~f_exact & ~f_related
    f_part = np.zeros(left.size, bool)
    double = f_open & (
        (records.part_offsets[raw_l + 1] - records.part_offsets[raw_l] > 1)
        | (records.part_offsets[raw_r + 1] - records.part_offsets[raw_r] > 1)
    )
    rows = np.flatnonzero(double)
    if rows.size:
        f_part[rows] = _per_value_pair(raw_l[rows], raw_r[rows], lambda x, y: _shares_part(records, x, y)) > 0
    f_swapped = ~f_missing & (((f_l == g_r) & (g_r >= 0)) | ((f_r == g_l) & (g_l >= 0)))
    f_similarity = _similarity(records, f_l, f_r, f_open & ~f_part & ~f_swapped)
    out[:, 1] = _levels([f_exact, f_related, f_part, f_swapped, f_similarity >= 0.92, f_similarity >= 0.8], f_missing)

    m_l, m_r = records.middle[left], records.middle[right]
    m_missing = (m_l < 0) | (m_r < 0)
    out[:, 2] = _levels([m_l == m_r, records.middle_initial[left] == records.middle_initial[right]], m_missing)

    y_l, y_r = records.year[left], records.year[right]
    mo_l, mo_r = records.month[left], records.month[right]
    d_l, d_r = records.day[left], records.day[right]
    d_missing = (records.dob[left] < 0) | (records.dob[right] < 0)
    same = (y_l == y_r).astype(np.int8) + (mo_l == mo_r) + (d_l == d_r)
    swapped = (y_l == y_r) & (mo_l == d_r) & (d_l == mo_r) & (mo_l != d_l)
    out[:, 3] = _levels([same == 3, swapped, same == 2], d_missing)

    s_l, s_r = records.sex[left], records.sex[right]
    out[:, 4] = _levels([s_l == s_r], (s_l < 0) | (s_r < 0))

    p_l, p_r = records.postcode[left], records.postcode[right]
    p_missing = (p_l < 0) | (p_r < 0)
    p_exact = (p_l == p_r) & ~p_missing
    a_l, a_r = records.address[left], records.address[right]
    p_typo = np.zeros(left.size, bool)
    rows = np.flatnonzero(~p_missing & ~p_exact)
    if rows.size:
        p_typo[rows] = _per_value_pair(p_l[rows], p_r[rows], lambda x, y: _one_character_differs(records, x, y)) > 0
    out[:, 5] = _levels(
        [
            p_exact & (a_l == a_r) & (a_l >= 0),
            p_exact,
            p_typo,
            records.sector[left] == records.sector[right],
            records.outward[left] == records.outward[right],
        ],
        p_missing,
    )

    for column_index, codes_of in ((6, records.nhs), (7, records.upn)):
        x, y = codes_of[left], codes_of[right]
        out[:, column_index] = _levels([x == y], (x < 0) | (y < 0))
    return out


def _one_character_differs(records: _Records, a: Int, b: Int) -> Bool:
    """Whether two postcodes of the same length differ in exactly one character (a typo, not a move)."""
    same_length = records.postcode_length[a] == records.postcode_length[b]
    differ = (records.postcode_matrix[a] != records.postcode_matrix[b]).sum(axis=1)
    result: Bool = same_length & (differ == 1)
    return result


# --- estimation -------------------------------------------------------------------------------------------------


def _level_counts() -> Int:
    return np.array([len(c.levels) for c in COMPARISONS], np.int64)


def patterns(levels: NDArray[np.int8]) -> tuple[NDArray[np.int8], Int, Int]:
    """The distinct level vectors among the pairs, how many pairs have each, and each pair's pattern index.

    EM then costs the same for ten million pairs as for ten thousand: a vector is one mixed-radix integer (level
    + 1 per comparison, 0 for missing), so finding the distinct ones is one sort of one integer column."""
    radix = _level_counts() + 1
    place = np.cumprod(np.r_[1, radix[:-1]])
    code = (levels.astype(np.int64) + 1) @ place if levels.size else np.zeros(levels.shape[0], np.int64)
    unique, inverse, count = np.unique(code, return_inverse=True, return_counts=True)
    decoded = ((unique[:, None] // place[None, :]) % radix[None, :] - 1).astype(np.int8)
    return decoded, count.astype(np.int64), inverse.reshape(-1).astype(np.int64)


class _Layout:
    """Where each parameter lives in the flat m and u vectors, so that an E step is two gathers and an M step two
    bincounts, whatever the number of pairs.

    m holds one entry per comparison level. u (the non-match class) is stratified: the stratum of a pair is the
    agreement state (agree exactly / disagree / missing) of each comparison in `stratify_on`, u holds the
    non-match share of each stratum, then for each stratifying comparison its disagreeing levels (given that it
    disagrees), then for every other comparison its levels per stratum. Both vectors end with a neutral slot of
    probability 1, where missing levels (and the agreeing level of a stratifying comparison, counted by its
    stratum's share) point."""

    def __init__(self, stratify_on: tuple[str, ...]) -> None:
        names = [c.name for c in COMPARISONS]
        unknown = sorted(set(stratify_on) - set(names))
        if unknown:
            raise ValueError(f"unknown comparisons to stratify on: {', '.join(unknown)}")
        self.stratify_on = tuple(dict.fromkeys(stratify_on))
        self.stratifying = [names.index(name) for name in self.stratify_on]
        self.counts = _level_counts()
        self.m_offsets = np.cumsum(self.counts) - self.counts
        self.m_size = int(self.counts.sum())
        self.strata = 3 ** len(self.stratifying)
        groups = [np.zeros(self.strata, np.int64)]
        self.u_offsets = np.zeros(len(COMPARISONS), np.int64)
        size, group = self.strata, 1
        for index, count in enumerate(self.counts.tolist()):
            self.u_offsets[index] = size
            if index in self.stratifying:
                # Level 0 sits alone in its own group (never used: agreement is counted by the stratum's share).
                groups.append(np.r_[group, np.full(count - 1, group + 1)])
                size, group = size + count, group + 2
            else:
                groups.append(np.repeat(np.arange(group, group + self.strata), count))
                size, group = size + self.strata * count, group + self.strata
        self.u_size = size
        self.u_group = np.concatenate(groups)
        self.m_group = np.repeat(np.arange(self.counts.size), self.counts)

    def stratum(self, levels: NDArray[np.int8]) -> Int:
        """Each pair's stratum: sum over stratifying comparisons of state * 3^j (0 agree, 1 disagree, 2 missing)."""
        stratum = np.zeros(levels.shape[0], np.int64)
        for place, index in enumerate(self.stratifying):
            level = levels[:, index].astype(np.int64)
            stratum += np.where(level < 0, 2, np.where(level == 0, 0, 1)) * 3**place
        return stratum

    def m_slots(self, levels: NDArray[np.int8]) -> Int:
        return np.where(levels >= 0, self.m_offsets[None, :] + levels, self.m_size).astype(np.int64)

    def u_slots(self, levels: NDArray[np.int8]) -> Int:
        stratum = self.stratum(levels)
        per_stratum = np.ones(len(COMPARISONS), np.int64)
        per_stratum[self.stratifying] = 0
        slot = self.u_offsets[None, :] + stratum[:, None] * self.counts[None, :] * per_stratum[None, :] + levels
        neutral = (levels < 0) | ((levels == 0) & (per_stratum == 0)[None, :])
        return np.c_[stratum, np.where(neutral, self.u_size, slot)].astype(np.int64)

    def normalise(self, expected: NDArray[np.float64], group: Int) -> NDArray[np.float64]:
        """Smoothed expected counts divided by their sum within each group (a comparison, a stratum)."""
        smoothed = expected + SMOOTHING
        result: NDArray[np.float64] = smoothed / np.bincount(group, weights=smoothed)[group]
        return result


def _prior_m() -> NDArray[np.float64]:
    """PRIOR_BEST_LEVEL on each comparison's best level, the rest shared by the others, halving level by level."""
    parts = []
    for comparison in COMPARISONS:
        rest = 0.5 ** np.arange(len(comparison.levels) - 1, dtype=np.float64)
        parts.append(np.r_[PRIOR_BEST_LEVEL, (1.0 - PRIOR_BEST_LEVEL) * rest / rest.sum()])
    return np.concatenate(parts)


def _expected(slot: Int, weight: NDArray[np.float64], size: int) -> NDArray[np.float64]:
    """Weighted count of each of `size` slots (the neutral slot, index `size`, dropped)."""
    counts = np.bincount(slot.ravel(), np.repeat(weight, slot.shape[1]), minlength=size + 1)
    result: NDArray[np.float64] = counts[:size]
    return result


def _log_odds(
    m_slot: Int, u_slot: Int, m: NDArray[np.float64], u: NDArray[np.float64], share: float
) -> NDArray[np.float64]:
    """Match weight: log2 of the prior odds plus the log2 m of each level less the log2 u (neutral slots add 0)."""
    log_m, log_u = np.log2(np.r_[m, 1.0]), np.log2(np.r_[u, 1.0])
    result: NDArray[np.float64] = log_m[m_slot].sum(axis=1) - log_u[u_slot].sum(axis=1) + np.log2(share / (1.0 - share))
    return result


def fit(
    pattern_levels: NDArray[np.int8],
    count: Int,
    sample: NDArray[np.int8],
    iterations: int = EM_ITERATIONS,
    stratify_on: tuple[str, ...] = STRATIFY_ON,
) -> Model:
    """EM over the distinct level patterns of the candidate pairs (see the module docstring); `sample` holds the
    levels of random pairs, for the starting u."""
    layout = _Layout(stratify_on)
    m_slot, u_slot = layout.m_slots(pattern_levels), layout.u_slots(pattern_levels)
    sample_patterns, sample_count, _ = patterns(sample)
    sample_expected = _expected(layout.u_slots(sample_patterns), sample_count.astype(np.float64), layout.u_size)
    u = layout.normalise(sample_expected, layout.u_group)
    m = _prior_m()
    share = PRIOR_MATCH_SHARE
    weight = count.astype(np.float64)
    done = 0
    while done < iterations:
        done += 1
        matched = weight / (1.0 + np.exp2(-_log_odds(m_slot, u_slot, m, u, share)))
        new_m = layout.normalise(_expected(m_slot, matched, layout.m_size), layout.m_group)
        new_u = layout.normalise(_expected(u_slot, weight - matched, layout.u_size), layout.u_group)
        new_share = min(max(float(matched.sum() / max(weight.sum(), 1.0)), 1e-9), 1.0 - 1e-9)
        change = max(float(np.abs(new_m - m).max()), float(np.abs(new_u - u).max()), abs(new_share - share))
        m, u, share = new_m, new_u, new_share
        if change < EM_TOLERANCE:
            break
    return Model(layout.stratify_on, m, u, share, done, int(count.sum()))


def match_weights(model: Model, pattern_levels: NDArray[np.int8]) -> NDArray[np.float64]:
    """Each pattern's match weight under the fitted model."""
    layout = _Layout(model.stratify_on)
    return _log_odds(
        layout.m_slots(pattern_levels), layout.u_slots(pattern_levels), model.m, model.u, model.match_share
    )
