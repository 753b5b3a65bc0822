"""Blocking: which pairs of records the Fellegi-Sunter linker compares at all.

Candidate pairs are pairs of records with equal keys under any of `BLOCKING_RULES`, found by sorting each key and
pairing within runs of equal keys. Each rule covers errors the others miss; blocks of more than `MAX_BLOCK_SIZE`
records are skipped, their pairs left to the narrower rules.
"""

from __future__ import annotations

import numpy as np

from synthgen.kernel.arrays import first_of_runs, pairs_within
from synthgen.linkage.array_types import Int
from synthgen.linkage.coded_view import CodedView, per_record
from synthgen.linkage.exact import combine

MAX_BLOCK_SIZE = 1000
"""Blocks of more records than this are skipped (at most ~500,000 pairs from any one block)."""

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


def blocking_keys(records: CodedView) -> dict[str, Int]:
    """Each rule of `BLOCKING_RULES` as one integer key per record (-1: the record is not blocked by the rule)."""
    given = records.given.astype(np.int64)
    family = records.family.astype(np.int64)
    given_initial = per_record(given, records.name_initial)
    family_initial = per_record(family, records.name_initial)
    given_soundex = per_record(given, records.name_soundex)
    family_soundex = per_record(family, records.name_soundex)
    keys = {
        "nhs_number": records.nhs_key,
        "upn": records.upn_key,
        "date_of_birth + given_name initial": combine(records.dob, given_initial),
        "date_of_birth + family_name initial": combine(records.dob, family_initial),
        "date_of_birth + postcode": combine(records.dob, records.postcode_key),
        "family_name soundex + birth year + given_name initial": combine(family_soundex, records.year, given_initial),
        "postcode + given_name initial": combine(records.postcode_key, given_initial),
        "given_name soundex + family_name soundex + birth month": combine(given_soundex, family_soundex, records.month),
    }
    assert tuple(keys) == BLOCKING_RULES
    return keys


def block_pairs(key: Int, max_block_size: int) -> tuple[Int, Int]:
    """Every pair (left < right) of records with equal non-negative keys, skipping blocks over `max_block_size`."""
    return pairs_within(key, max_block_size)


def candidate_pairs(records: CodedView, max_block_size: int = MAX_BLOCK_SIZE) -> tuple[Int, Int]:
    """The union of every blocking rule's pairs, each pair once, in (left, right) order with left < right."""
    n = max(records.n, 1)
    found = [
        left * n + right for left, right in (block_pairs(k, max_block_size) for k in blocking_keys(records).values())
    ]
    pair = np.sort(np.concatenate(found))
    # Sort and drop repeats: np.unique's hash table is several times slower at ten million pairs.
    pair = pair[first_of_runs(pair)]
    return pair // n, pair % n
