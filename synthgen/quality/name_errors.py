"""Errors in names: given and family names swapped, another surname the person has gone by, spelling variants,
nicknames, hyphen changes, OCR confusions and typos, and middle names left out.

A rate applies only to the records eligible for the error: a nickname only for a name that has one, a hyphen
change only for a double-barrelled surname, a surname change only for someone who has had another surname.
"""

from __future__ import annotations

import weakref

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen.quality import text
from synthgen.quality.changes import Columns, Log, Rates, chosen, replace
from synthgen.reference import Parameters
from synthgen.world.population import Population


def name_errors(
    rng: np.random.Generator,
    params: Parameters,
    pop: Population,
    person: NDArray[np.int64],
    known: NDArray[np.bool_],
    values: dict[str, pa.Array],
    columns: Columns,
    rates: Rates,
    log: Log,
) -> None:
    """Apply the name errors to a table's name columns (`values`, changed in place), in the model's order.

    `person` is each record's person row (0 where not `known`: babies born in the period are not rows of the
    population at the start, so errors that draw on a person's other names pass them by)."""
    given = values[columns.given_name]
    family = values[columns.family_name]
    differ = pc.fill_null(pc.not_equal(given, family), False).to_numpy(zero_copy_only=False)
    swap = chosen(rng, differ, rates, "given_name", "name_swap", log)
    if len(swap):
        g, f = given.take(pa.array(swap)), family.take(pa.array(swap))
        given, family = replace(given, swap, f), replace(family, swap, g)
        log.add(swap, "name_swap", "given_name")
        log.add(swap, "name_swap", "family_name")

    other = _other_surnames(pop).take(pa.array(person, pa.int64()))
    eligible = known & (other.is_valid().to_numpy(zero_copy_only=False) if len(other) else np.zeros(0, bool))
    not_swapped = ~np.isin(np.arange(len(family)), swap)
    changed = chosen(rng, eligible & not_swapped, rates, "family_name", "surname_change", log)
    family = replace(family, changed, other.take(pa.array(changed)))
    log.add(changed, "surname_change", "family_name")

    values[columns.given_name] = _spelling_errors(rng, params, given, "given_name", rates, log)
    values[columns.family_name] = _spelling_errors(rng, params, family, "family_name", rates, log)

    middle = values[columns.middle_names]
    dropped = chosen(rng, middle.is_valid().to_numpy(zero_copy_only=False), rates, "middle_names", "missing", log)
    values[columns.middle_names] = replace(middle, dropped, pa.nulls(len(dropped), pa.string()))
    log.add(dropped, "missing", "middle_names")


_LAST: list[tuple[weakref.ref[Population], pa.Array]] = []
"""The last population's other surnames: every person-level table of a shard asks for them. The population is
held weakly, so that a finished shard's world is freed while the next one is made."""


def _other_surnames(pop: Population) -> pa.Array:
    """Every person's other surname (`_other_surname`), worked out once per shard (population)."""
    if not _LAST or _LAST[0][0]() is not pop:
        _LAST[:] = [(weakref.ref(pop), _other_surname(pop))]
    return _LAST[0][1]


def _other_surname(pop: Population) -> pa.Array:
    """Another surname each person has gone by, or null: the one used day to day (step-families), the birth
    surname (a married woman's maiden name), or for a child, the other parent's."""
    p = pop.people
    vocab = pa.array(pop.surnames, pa.string())

    def name(first: NDArray[np.int64], second: NDArray[np.int64]) -> pa.Array:
        return text.surnames(vocab, first, second)

    current = name(p.surname_1, p.surname_2)
    preferred = name(p.preferred_surname_1, p.preferred_surname_2)
    birth = name(p.birth_surname, p.birth_surname_2)
    mother, father = pop.mother, pop.father
    other_parent = np.where((father >= 0) & (p.surname_1[np.maximum(father, 0)] != p.surname_1), father, mother)
    other_parent = np.where(p.surname_1[np.maximum(other_parent, 0)] == p.surname_1, -1, other_parent)
    parent_name = text.surnames(
        vocab,
        np.where(other_parent >= 0, p.surname_1[np.maximum(other_parent, 0)], -1),
        np.where(other_parent >= 0, p.surname_2[np.maximum(other_parent, 0)], -1),
    )
    candidates = pc.coalesce(
        preferred, pc.if_else(pc.equal(birth, current), pa.scalar(None, pa.string()), birth), parent_name
    )
    return pc.if_else(pc.equal(candidates, current), pa.scalar(None, pa.string()), candidates)


def _spelling_errors(
    rng: np.random.Generator, params: Parameters, values: pa.Array, field_name: str, rates: Rates, log: Log
) -> pa.Array:
    """Variants, nicknames, hyphen changes, OCR and typos on one name column, in that order."""
    n = len(values)
    valid = values.is_valid().to_numpy(zero_copy_only=False)
    part = "given" if field_name == "given_name" else "family"
    kinds = ("phonetic", "transliteration") + (("nickname",) if field_name == "given_name" else ())
    for kind in kinds:
        prepared = text.name_alternatives(kind, part)
        eligible = valid & pc.is_in(values, value_set=prepared.names).fill_null(False).to_numpy(zero_copy_only=False)
        rows = chosen(rng, eligible, rates, field_name, kind, log)
        values = replace(values, rows, text.pick(rng, values.take(pa.array(rows)), prepared))
        log.add(rows, kind, field_name)
    if field_name == "family_name":
        hyphenated = valid & pc.match_substring(values, "-").fill_null(False).to_numpy(zero_copy_only=False)
        taken = np.zeros(n, bool)
        for kind in ("hyphen_split", "hyphen_join", "hyphen_drop", "hyphen_reorder"):
            rows = chosen(rng, hyphenated & ~taken, rates, field_name, kind, log)
            taken[rows] = True
            values = replace(values, rows, text.rehyphenate(rng, params, values.take(pa.array(rows)), kind))
            log.add(rows, kind, field_name)
    for kind in ("ocr", "typo"):
        eligible = valid & (pc.utf8_length(values).fill_null(0).to_numpy(zero_copy_only=False) >= 2)
        rows = chosen(rng, eligible, rates, field_name, kind, log)
        if len(rows):
            subset = values.take(pa.array(rows))
            new, changed = text.ocr_errors(rng, subset) if kind == "ocr" else text.typos(rng, params, subset)
            values = replace(values, rows[changed], new.filter(pa.array(changed)))
            log.add(rows[changed], kind, field_name)
    return values
