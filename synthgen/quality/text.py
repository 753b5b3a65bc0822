"""Text errors on name, postcode and identifier columns: variants, nicknames, hyphens, OCR, typos, transpositions.

Each function takes only the chosen values (a small Arrow array) and returns their replacements, so the cost is
in proportion to the errors made, not to the table. Replacement vocabularies are reference data
(nicknames.csv, name_variants.csv, ocr_confusions.csv, keyboard.csv).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen import reference
from synthgen.kernel import strings
from synthgen.quality.edits import buffers, byte_at, lengths, splice
from synthgen.reference import Parameters

surnames = strings.surnames


@cache
def variants(part: str, kinds: tuple[str, ...]) -> dict[str, list[str]]:
    merged: dict[str, set[str]] = {}
    for kind in kinds:
        for name, others in reference.name_variants(kind, part).items():
            merged.setdefault(name, set()).update(others)
    return {name: sorted(others) for name, others in merged.items()}


@dataclass(frozen=True)
class Alternatives:
    """A name mapping made ready for picking: its names (sorted), and each name's alternatives as a slice of
    `flat` (`counts[i]` of them from `starts[i]`)."""

    names: pa.Array
    starts: NDArray[np.int64]
    counts: NDArray[np.int64]
    flat: pa.Array


def alternatives(mapping: dict[str, list[str]]) -> Alternatives:
    keys = sorted(mapping)
    counts = np.array([len(mapping[k]) for k in keys], dtype=np.int64)
    flat = pa.array([item for k in keys for item in mapping[k]], pa.string())
    return Alternatives(pa.array(keys, pa.string()), np.cumsum(counts) - counts, counts, flat)


@cache
def name_alternatives(kind: str, part: str) -> Alternatives:
    """The alternatives a name error of `kind` draws from for a given or family name, laid out once per run."""
    if kind == "nickname":
        return alternatives(reference.nicknames())
    kinds = {"phonetic": ("spelling", "phonetic"), "transliteration": ("transliteration",)}[kind]
    return alternatives(variants(part, kinds))


def pick(rng: np.random.Generator, values: pa.Array, prepared: Alternatives) -> pa.Array:
    """For each value, one of its alternatives, chosen at random (values must all be among `prepared.names`)."""
    index = pc.index_in(values, value_set=prepared.names).to_numpy(zero_copy_only=False).astype(np.int64)
    choice = prepared.starts[index] + (rng.random(len(index)) * prepared.counts[index]).astype(np.int64)
    return prepared.flat.take(pa.array(choice))


def rehyphenate(rng: np.random.Generator, params: Parameters, values: pa.Array, kind: str) -> pa.Array:
    """Double-barrelled surnames split by a space, run together, cut to one part, or reordered."""
    if kind == "hyphen_split":
        return pc.replace_substring(values, "-", " ", max_replacements=1)
    if kind == "hyphen_join":
        joined = pc.replace_substring(values, "-", "", max_replacements=1)
        return pc.utf8_capitalize(joined)
    parts = pc.split_pattern(values, "-", max_splits=1)
    first, second = pc.list_element(parts, pa.scalar(0, pa.int64())), pc.list_element(parts, pa.scalar(1, pa.int64()))
    if kind == "hyphen_reorder":
        return pc.binary_join_element_wise(second, first, strings.text("-"))
    keep_first = pa.array(rng.random(len(values)) < params["hyphen_drop_keep_first_share"])
    return pc.if_else(keep_first, first, second)


def ocr_errors(rng: np.random.Generator, values: pa.Array) -> tuple[pa.Array, NDArray[np.bool_]]:
    """One OCR confusion per value where any applies (rn read as m, l as 1, O as 0, ...)."""
    confusions = list(reference.ocr_confusions())
    order = rng.permutation(len(confusions))
    result = values
    changed = np.zeros(len(values), bool)
    for index in order:
        original, replacement = confusions[index]
        position = pc.find_substring(result, original).to_numpy(zero_copy_only=False).astype(np.int64)
        rows = np.flatnonzero((position >= 0) & ~changed)
        if not len(rows):
            continue
        subset = result.take(pa.array(rows))
        insert = np.frombuffer(replacement.encode("ascii"), np.uint8)
        matrix = np.broadcast_to(insert, (len(rows), len(insert)))
        edited = splice(
            subset,
            position[rows],
            np.full(len(rows), len(original)),
            np.ascontiguousarray(matrix),
            np.full(len(rows), len(insert)),
        )
        index_all = np.arange(len(result))
        index_all[rows] = len(result) + np.arange(len(rows))
        result = pa.concat_arrays([result, edited]).take(pa.array(index_all))
        changed[rows] = True
    return result, changed


@cache
def _neighbour_table() -> tuple[NDArray[np.uint8], NDArray[np.int64]]:
    """256 x k matrix of neighbouring keys (lower case) and how many each key has."""
    neighbours = reference.keyboard_neighbours()
    width = max(len(v) for v in neighbours.values())
    table = np.zeros((256, width), np.uint8)
    counts = np.zeros(256, np.int64)
    for key, around in neighbours.items():
        code = ord(key)
        table[code, : len(around)] = np.frombuffer(around.encode("ascii"), np.uint8)
        counts[code] = len(around)
    return table, counts


def _substitutes(rng: np.random.Generator, params: Parameters, original: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """A mistyped character for each original: usually a neighbouring key (Febrl's keyboard model), keeping
    letter case."""
    table, counts = _neighbour_table()
    lower = np.where((original >= 65) & (original <= 90), original + 32, original)
    count = counts[lower]
    near = table[lower, (rng.random(len(lower)) * np.maximum(count, 1)).astype(np.int64)]
    letters = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz", np.uint8)
    random_letter = letters[rng.integers(0, 26, len(lower))]
    result = np.where((count > 0) & (rng.random(len(lower)) < params["typo_neighbour_key_share"]), near, random_letter)
    result = np.where(result == lower, letters[(np.searchsorted(letters, lower) + 1) % 26], result)
    upper = (original >= 65) & (original <= 90)
    is_letter = (result >= 97) & (result <= 122)
    out: NDArray[np.uint8] = np.where(upper & is_letter, result - 32, result).astype(np.uint8)
    return out


def typos(rng: np.random.Generator, params: Parameters, values: pa.Array) -> tuple[pa.Array, NDArray[np.bool_]]:
    """One keyboard slip per value: substitution, deletion, insertion or transposition (Damerau's shares,
    `typo_share.*`)."""
    n = len(values)
    size = lengths(values)
    typo_shares = params.series("typo_share")
    kinds = np.array(list(typo_shares))
    shares = np.array(list(typo_shares.values()))
    kind = kinds[rng.choice(len(kinds), size=n, p=shares / shares.sum())]
    # the first letter is rarely wrong (Pollock and Zamora 1984): keep it for all but a few
    start = np.where(rng.random(n) < params["typo_first_letter_share"], 0, 1)
    position = start + (rng.random(n) * np.maximum(size - start, 1)).astype(np.int64)
    position = np.minimum(position, size - 1)
    transposable = kind == "transposition"
    position = np.where(transposable, np.minimum(position, size - 2), position)
    original = byte_at(values, position)
    following = byte_at(values, np.minimum(position + 1, size - 1))
    insert = np.zeros((n, 2), np.uint8)
    insert_length = np.zeros(n, np.int64)
    remove = np.zeros(n, np.int64)
    sub = kind == "substitution"
    insert[sub, 0] = _substitutes(rng, params, original[sub])
    insert_length[sub], remove[sub] = 1, 1
    delete = kind == "deletion"
    remove[delete] = 1
    ins = kind == "insertion"
    insert[ins, 0] = _substitutes(rng, params, original[ins])
    insert[ins, 1] = original[ins]
    insert_length[ins], remove[ins] = 2, 1
    insert[transposable, 0] = following[transposable]
    insert[transposable, 1] = original[transposable]
    insert_length[transposable], remove[transposable] = 2, 2
    changed = ~(transposable & (original == following))
    return splice(values, position, remove, insert, insert_length), changed


def postcode_typos(rng: np.random.Generator, values: pa.Array) -> pa.Array:
    """One character of each postcode mistyped, letter for letter and digit for digit (the format survives)."""
    n = len(values)
    if not n:
        return values
    size = lengths(values)
    position = (rng.random(n) * size).astype(np.int64)
    original = byte_at(values, position)
    space = original == 32
    position = np.where(space, position - 1, position)
    original = byte_at(values, position)
    digit = (original >= 48) & (original <= 57)
    new_digit = 48 + (original - 48 + rng.integers(1, 10, n)) % 10
    letters = np.frombuffer(b"ABDEFGHJLNPQRSTUWXYZ", np.uint8)
    new_letter = letters[rng.integers(0, len(letters), n)]
    new_letter = np.where(
        new_letter == original, letters[(np.searchsorted(letters, new_letter) + 1) % len(letters)], new_letter
    )
    replacement = np.where(digit, new_digit, new_letter).astype(np.uint8)[:, None]
    return splice(values, position, np.ones(n, np.int64), replacement, np.ones(n, np.int64))


def transpositions(rng: np.random.Generator, values: pa.Array) -> tuple[pa.Array, NDArray[np.bool_]]:
    """Two adjacent digits of each identifier swapped (where they differ). A letter stays where it is: a UPN's
    first letter and check letter are not typed among its digits, and a UPN that no longer starts with a letter is
    one no system accepts (SSDA903 rule 168)."""
    n = len(values)
    size = lengths(values)
    position = (rng.random(n) * np.maximum(size - 1, 1)).astype(np.int64)
    first = byte_at(values, position)
    second = byte_at(values, position + 1)
    digits = _is_digit(first) & _is_digit(second)
    insert = np.where(digits[:, None], np.stack([second, first], axis=1), np.stack([first, second], axis=1))
    new = splice(values, position, np.full(n, 2), insert.astype(np.uint8), np.full(n, 2))
    return new, digits & (first != second)


def _is_digit(byte: NDArray[np.integer]) -> NDArray[np.bool_]:
    result: NDArray[np.bool_] = (byte >= ord("0")) & (byte <= ord("9"))
    return result


__all__ = [
    "Alternatives",
    "alternatives",
    "buffers",
    "name_alternatives",
    "ocr_errors",
    "pick",
    "postcode_typos",
    "rehyphenate",
    "surnames",
    "transpositions",
    "typos",
    "variants",
]
