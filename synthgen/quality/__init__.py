"""The data-quality model: each agency's realistic errors, applied to its records and logged change by change.

Truth is never touched: the model works on an agency table after it is built from the population, and every
change it makes is logged as (row, kind, field), so an evaluation can say which errors a linker missed. Rates
come per agency, field and kind from reference/data/quality_rates.csv for the profile (`clean` applies none),
with the scenario's overrides on top. A rate is the chance that an *eligible* record gets the error: nicknames
only for names that have one, day/month swaps only for days up to 12, stale addresses only for households that
moved, and so on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen import reference
from synthgen.agencies import LOCAL_ID_OFFSET, AgencyTable, local_ids
from synthgen.kernel import strings
from synthgen.kernel.record_ids import format_record_ids, record_ids_from
from synthgen.quality import text
from synthgen.quality.edits import date_parts, dates_with
from synthgen.scenario.plan import Plan
from synthgen.world.population import ID_STRIDE, Population

KINDS = (
    "typo",
    "ocr",
    "phonetic",
    "transliteration",
    "nickname",
    "name_swap",
    "surname_change",
    "hyphen_split",
    "hyphen_join",
    "hyphen_drop",
    "hyphen_reorder",
    "missing",
    "day_month_swap",
    "dob_typo",
    "age_only",
    "copied_from_household",
    "wrong_value",
    "transposition",
    "relative_identifier",
    "reissued_identifier",
    "identifier_not_carried",
    "stale_address",
    "duplicate",
)
FIELDS = (
    "given_name",
    "middle_names",
    "family_name",
    "date_of_birth",
    "sex",
    "nhs_number",
    "upn",
    "postcode",
    "address",
    "record",
)
KIND = {k: i for i, k in enumerate(KINDS)}
FIELD = {f: i for i, f in enumerate(FIELDS)}
ALLOWED = {(r.field, r.kind) for r in reference.quality_rates()}
"""The (field, kind) pairs the model knows how to apply; a scenario may only set these."""


def rates_for(
    profile: str, overrides: dict[str, dict[str, dict[str, float]]] | None = None
) -> dict[str, dict[tuple[str, str], float]]:
    """Rates by agency then (field, kind): the profile's defaults with the scenario's overrides on top."""
    result: dict[str, dict[tuple[str, str], float]] = {}
    for rate in reference.quality_rates():
        value = {"clean": 0.0, "realistic": rate.realistic, "messy": rate.messy}[profile]
        result.setdefault(rate.agency, {})[(rate.field, rate.kind)] = value
    for agency, fields in (overrides or {}).items():
        for field_name, kinds in fields.items():
            for kind, value in kinds.items():
                result.setdefault(agency, {})[(field_name, kind)] = value
    return result


@dataclass(frozen=True)
class Columns:
    """Where an agency table keeps each field, and how it codes sex."""

    given_name: str = "given_name"
    middle_names: str = "middle_names"
    family_name: str = "family_name"
    date_of_birth: str = "date_of_birth"
    sex: str = "sex"
    identifier: str | None = None  # the agency's main identifier (nhs_number or upn): a duplicate gets a new one
    other_identifiers: tuple[str, ...] = ()  # further identifiers the agency holds, with their own errors
    postcode: str = "postcode"
    address: str = "address_line"
    female: str = "F"
    male: str = "M"
    local_id: str | None = None  # the agency system's own id, issued afresh for a duplicate


@dataclass
class Log:
    rows: list[NDArray[np.int64]] = field(default_factory=list)
    kinds: list[NDArray[np.int64]] = field(default_factory=list)
    fields: list[NDArray[np.int64]] = field(default_factory=list)
    eligible: dict[tuple[str, str], int] = field(default_factory=dict)

    def add(self, rows: NDArray[np.int64], kind: str, field_name: str) -> None:
        self.rows.append(rows.astype(np.int64))
        self.kinds.append(np.full(len(rows), KIND[kind]))
        self.fields.append(np.full(len(rows), FIELD[field_name]))

    def arrays(self) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
        if not self.rows:
            empty = np.zeros(0, np.int64)
            return empty, empty, empty
        return np.concatenate(self.rows), np.concatenate(self.kinds), np.concatenate(self.fields)


@dataclass(frozen=True)
class Degraded:
    """An agency table after the error model: original rows first, then duplicates, with the change log."""

    agency: AgencyTable
    duplicate_of: NDArray[np.int64]  # row of the original for a duplicate, else -1
    log_rows: NDArray[np.int64]
    log_kinds: NDArray[np.int64]
    log_fields: NDArray[np.int64]
    eligible: dict[tuple[str, str], int]
    rates: dict[tuple[str, str], float]

    def summary(self) -> pa.Table:
        """One row per (field, kind) the model considered: its rate, eligible records and records changed."""
        keys = sorted(set(self.eligible) | set(self.rates))
        changed = {(FIELDS[f], KINDS[k]): c for (f, k), c in _pair_counts(self.log_fields, self.log_kinds).items()}
        return pa.table(
            {
                "source": pa.array([self.agency.source] * len(keys), pa.string()),
                "table": pa.array([self.agency.name] * len(keys), pa.string()),
                "field": pa.array([f for f, _ in keys], pa.string()),
                "kind": pa.array([k for _, k in keys], pa.string()),
                "rate": pa.array([self.rates.get(key, 0.0) for key in keys], pa.float64()),
                "eligible": pa.array([self.eligible.get(key, 0) for key in keys], pa.int64()),
                "changed": pa.array([changed.get(key, 0) for key in keys], pa.int64()),
            }
        )


def empty_summary() -> pa.Table:
    names = ("source", "table", "field", "kind", "rate", "eligible", "changed")
    types = (pa.string(), pa.string(), pa.string(), pa.string(), pa.float64(), pa.int64(), pa.int64())
    return pa.table({name: pa.array([], kind) for name, kind in zip(names, types, strict=True)})


def _pair_counts(a: NDArray[np.int64], b: NDArray[np.int64]) -> dict[tuple[int, int], int]:
    if not len(a):
        return {}
    pairs, counts = np.unique(np.stack([a, b], axis=1), axis=0, return_counts=True)
    return {(int(p[0]), int(p[1])): int(c) for p, c in zip(pairs.tolist(), counts.tolist(), strict=True)}


def _chosen(
    rng: np.random.Generator,
    eligible: NDArray[np.bool_],
    rates: dict[tuple[str, str], float],
    field_name: str,
    kind: str,
    log: Log,
) -> NDArray[np.int64]:
    """The eligible rows that get this error, each with the configured chance; counts the eligible rows."""
    rate = rates.get((field_name, kind), 0.0)
    log.eligible[(field_name, kind)] = log.eligible.get((field_name, kind), 0) + int(eligible.sum())
    if rate <= 0:
        return np.zeros(0, np.int64)
    result: NDArray[np.int64] = np.flatnonzero(eligible & (rng.random(len(eligible)) < rate))
    return result


def _replace(column: pa.Array, rows: NDArray[np.int64], values: pa.Array) -> pa.Array:
    """The column with rows[i] set to values[i] (one pass over the column)."""
    if not len(rows):
        return column
    index = np.arange(len(column), dtype=np.int64)
    index[rows] = len(column) + np.arange(len(rows))
    combined = pa.concat_arrays([column, values.cast(column.type)])
    return combined.take(pa.array(index))


def degrade(
    plan: Plan,
    pop: Population,
    agency: AgencyTable,
    columns: Columns,
    rates: dict[tuple[str, str], float],
    table_code: int,
    extra_identifiers: NDArray[np.object_] | None = None,
    person_identifiers: dict[str, NDArray[np.object_]] | None = None,
) -> Degraded:
    """Apply one agency's error model to one shard's table.

    `person_identifiers` holds each person's true identifiers by column (NHS number, UPN; None when they have
    none), for errors that take a relative's; `extra_identifiers` are unused valid identifiers for
    duplicates registered afresh.
    """
    rng = np.random.default_rng(np.random.SeedSequence(plan.seed, spawn_key=(table_code, pop.shard + 1, 77)))
    log = Log()
    table, key, person_id = agency.table, agency.key, agency.person_id
    n = table.num_rows

    # duplicates first: a second registration of the same person, which then takes its own errors
    duplicate_rows = _chosen(rng, np.ones(n, bool), rates, "record", "duplicate", log)
    duplicate_of = np.r_[np.full(n, -1), duplicate_rows]
    if len(duplicate_rows):
        table = pa.concat_tables([table, table.take(pa.array(duplicate_rows))])
        key = np.r_[key, record_ids_from(plan.record_key, table_code, pop.shard, n, len(duplicate_rows))]
        person_id = np.r_[person_id, person_id[duplicate_rows]]
        log.add(np.arange(n, n + len(duplicate_rows)), "duplicate", "record")
    rows_total = table.num_rows
    person = person_id - pop.shard * ID_STRIDE
    # babies born during the period are not rows of the population at the start: errors that draw on a
    # person's other names, household or old address pass them by
    known = person < len(pop.people.person_id)
    person = np.where(known, person, 0)
    new_columns: dict[str, pa.Array] = {name: table.column(name).combine_chunks() for name in table.column_names}
    if len(duplicate_rows):  # a duplicate is a record of its own, under its own id
        new_columns["record_id"] = _replace(
            new_columns["record_id"], np.arange(n, rows_total), format_record_ids(key[n:])
        )
    is_duplicate = duplicate_of >= 0

    if len(duplicate_rows) and columns.local_id:
        local = record_ids_from(plan.record_key, table_code + LOCAL_ID_OFFSET, pop.shard, n, len(duplicate_rows))
        new_columns[columns.local_id] = _replace(
            new_columns[columns.local_id], np.arange(n, rows_total), local_ids(local)
        )
    # a duplicate registered afresh gets a new identifier, or none where the agency has none to give
    if columns.identifier and len(duplicate_rows):
        ident = columns.identifier
        if extra_identifiers is not None:
            fresh = np.flatnonzero(is_duplicate & (rng.random(rows_total) < 0.5))[: len(extra_identifiers)]
            replacement = pa.array(extra_identifiers[: len(fresh)], pa.string())
            new_columns[ident] = _replace(new_columns[ident], fresh, replacement)
            log.add(fresh, "reissued_identifier", ident)
        else:
            without = np.arange(n, rows_total)
            had = new_columns[ident].take(pa.array(without)).is_valid().to_numpy(zero_copy_only=False)
            new_columns[ident] = _replace(new_columns[ident], without, pa.nulls(len(without), pa.string()))
            log.add(without[had], "identifier_not_carried", ident)

    # --- names ---
    given = new_columns[columns.given_name]
    family = new_columns[columns.family_name]
    differ = pc.fill_null(pc.not_equal(given, family), False).to_numpy(zero_copy_only=False)
    swap = _chosen(rng, differ, rates, "given_name", "name_swap", log)
    if len(swap):
        g, f = given.take(pa.array(swap)), family.take(pa.array(swap))
        given, family = _replace(given, swap, f), _replace(family, swap, g)
        log.add(swap, "name_swap", "given_name")
        log.add(swap, "name_swap", "family_name")

    other = _other_surname(pop, person)
    eligible = known & (other.is_valid().to_numpy(zero_copy_only=False) if len(other) else np.zeros(0, bool))
    changed = _chosen(
        rng, eligible & ~np.isin(np.arange(rows_total), swap), rates, "family_name", "surname_change", log
    )
    family = _replace(family, changed, other.take(pa.array(changed)))
    log.add(changed, "surname_change", "family_name")

    given = _name_errors(rng, given, "given_name", rates, log)
    family = _name_errors(rng, family, "family_name", rates, log)
    new_columns[columns.given_name] = given
    new_columns[columns.family_name] = family

    middle = new_columns[columns.middle_names]
    dropped = _chosen(rng, middle.is_valid().to_numpy(zero_copy_only=False), rates, "middle_names", "missing", log)
    new_columns[columns.middle_names] = _replace(middle, dropped, pa.nulls(len(dropped), pa.string()))
    log.add(dropped, "missing", "middle_names")

    # --- date of birth ---
    new_columns[columns.date_of_birth] = _dob_errors(
        rng, pop, np.where(known, person, -1), new_columns[columns.date_of_birth], rates, log
    )

    # --- sex ---
    sex = new_columns[columns.sex]
    flipped = _chosen(rng, np.ones(rows_total, bool), rates, "sex", "wrong_value", log)
    if len(flipped):
        current = sex.take(pa.array(flipped))
        other_sex = pc.if_else(pc.equal(current, columns.female), columns.male, columns.female)
        new_columns[columns.sex] = _replace(sex, flipped, other_sex)
        log.add(flipped, "wrong_value", "sex")

    # --- identifiers ---
    held = [columns.identifier] if columns.identifier else []
    for ident in [*held, *columns.other_identifiers]:
        own = (person_identifiers or {}).get(ident)
        new_columns[ident] = _identifier_errors(
            rng, pop, np.where(known, person, -1), new_columns[ident], ident, rates, log, own
        )

    # --- address and postcode ---
    moved = pop.addresses.previous_postcode[pop.people.household[person]] >= 0
    stale_rows = _chosen(rng, known & moved, rates, "address", "stale_address", log)
    if len(stale_rows):
        hh = pop.people.household[person[stale_rows]]
        pc_index = pop.addresses.previous_postcode[hh]
        line = strings.address_lines(plan.streets[pc_index], pop.addresses.previous_number[hh])
        new_columns[columns.address] = _replace(new_columns[columns.address], stale_rows, line)
        new_columns[columns.postcode] = _replace(
            new_columns[columns.postcode], stale_rows, pa.array(plan.postcodes.postcode[pc_index])
        )
        log.add(stale_rows, "stale_address", "address")
        # the old address may be in the same postcode: then only the address line differs
        moved_postcode = plan.postcodes.postcode[pc_index] != plan.postcodes.postcode[pop.household_postcode[hh]]
        log.add(stale_rows[moved_postcode], "stale_address", "postcode")
    postcode = new_columns[columns.postcode]
    typo_rows = _chosen(rng, postcode.is_valid().to_numpy(zero_copy_only=False), rates, "postcode", "typo", log)
    postcode = _replace(postcode, typo_rows, text.postcode_typos(rng, postcode.take(pa.array(typo_rows))))
    log.add(typo_rows, "typo", "postcode")
    missing = _chosen(rng, postcode.is_valid().to_numpy(zero_copy_only=False), rates, "postcode", "missing", log)
    new_columns[columns.postcode] = _replace(postcode, missing, pa.nulls(len(missing), pa.string()))
    log.add(missing, "missing", "postcode")

    result = pa.table({name: new_columns[name] for name in table.column_names})
    rows, kinds, fields = log.arrays()
    degraded = AgencyTable(agency.source, agency.name, result, key, person_id)
    return Degraded(degraded, duplicate_of, rows, kinds, fields, log.eligible, rates)


def _other_surname(pop: Population, person: NDArray[np.int64]) -> pa.Array:
    """Another surname each person has gone by, or null: the one used day to day (step-families), the birth
    surname (a married woman's maiden name), or for a child, the other parent's."""
    p = pop.people
    vocab = pa.array(pop.surnames, pa.string())

    def name(first: NDArray[np.int64], second: NDArray[np.int64]) -> pa.Array:
        return text.surnames(vocab, first[person], second[person])

    current = name(p.surname_1, p.surname_2)
    preferred = name(p.preferred_surname_1, p.preferred_surname_2)
    birth = name(p.birth_surname, p.birth_surname_2)
    mother, father = pop.mother, pop.father
    other_parent = np.where((father >= 0) & (p.surname_1[np.maximum(father, 0)] != p.surname_1), father, mother)
    other_parent = np.where(p.surname_1[np.maximum(other_parent, 0)] == p.surname_1, -1, other_parent)
    parent_name = text.surnames(
        vocab,
        np.where(other_parent >= 0, p.surname_1[np.maximum(other_parent, 0)], -1)[person],
        np.where(other_parent >= 0, p.surname_2[np.maximum(other_parent, 0)], -1)[person],
    )
    candidates = pc.coalesce(
        preferred, pc.if_else(pc.equal(birth, current), pa.scalar(None, pa.string()), birth), parent_name
    )
    return pc.if_else(pc.equal(candidates, current), pa.scalar(None, pa.string()), candidates)


def _name_errors(
    rng: np.random.Generator, values: pa.Array, field_name: str, rates: dict[tuple[str, str], float], log: Log
) -> pa.Array:
    """Variants, nicknames, hyphen changes, OCR and typos on one name column, in that order."""
    n = len(values)
    valid = values.is_valid().to_numpy(zero_copy_only=False)
    part = "given" if field_name == "given_name" else "family"
    kinds = ("phonetic", "transliteration") + (("nickname",) if field_name == "given_name" else ())
    for kind in kinds:
        prepared = text.name_alternatives(kind, part)
        eligible = valid & pc.is_in(values, value_set=prepared.names).fill_null(False).to_numpy(zero_copy_only=False)
        rows = _chosen(rng, eligible, rates, field_name, kind, log)
        values = _replace(values, rows, text.pick(rng, values.take(pa.array(rows)), prepared))
        log.add(rows, kind, field_name)
    if field_name == "family_name":
        hyphenated = valid & pc.match_substring(values, "-").fill_null(False).to_numpy(zero_copy_only=False)
        taken = np.zeros(n, bool)
        for kind in ("hyphen_split", "hyphen_join", "hyphen_drop", "hyphen_reorder"):
            rows = _chosen(rng, hyphenated & ~taken, rates, field_name, kind, log)
            taken[rows] = True
            values = _replace(values, rows, text.rehyphenate(rng, values.take(pa.array(rows)), kind))
            log.add(rows, kind, field_name)
    for kind, edit in (("ocr", text.ocr_errors), ("typo", text.typos)):
        eligible = valid & (pc.utf8_length(values).fill_null(0).to_numpy(zero_copy_only=False) >= 2)
        rows = _chosen(rng, eligible, rates, field_name, kind, log)
        if len(rows):
            new, changed = edit(rng, values.take(pa.array(rows)))
            values = _replace(values, rows[changed], new.filter(pa.array(changed)))
            log.add(rows[changed], kind, field_name)
    return values


def _dob_errors(
    rng: np.random.Generator,
    pop: Population,
    person: NDArray[np.int64],
    column: pa.Array,
    rates: dict[tuple[str, str], float],
    log: Log,
) -> pa.Array:
    valid = column.is_valid().to_numpy(zero_copy_only=False)
    dob = column.fill_null(0).to_numpy(zero_copy_only=False).astype("datetime64[D]")
    year, month, day = date_parts(dob)
    swappable = valid & (day <= 12) & (day != month)
    rows = _chosen(rng, swappable, rates, "date_of_birth", "day_month_swap", log)
    dob[rows] = dates_with(dob[rows], year[rows], day[rows], month[rows])
    log.add(rows, "day_month_swap", "date_of_birth")
    rows = _chosen(rng, valid, rates, "date_of_birth", "dob_typo", log)
    if len(rows):
        u = rng.random(len(rows))
        shift_day = np.where(rng.random(len(rows)) < 0.5, -1, 1)
        new_year = year[rows] + np.where(u < 0.4, shift_day, np.where(u < 0.5, 10 * shift_day, 0))
        new_day = np.where((u >= 0.5) & (u < 0.8), np.clip(day[rows] + shift_day, 1, 28), day[rows])
        new_day = np.where(u >= 0.8, rng.integers(1, 29, len(rows)), new_day)
        changed = dates_with(dob[rows], new_year, month[rows], new_day)
        same = changed == dob[rows]
        changed[same] = changed[same] + np.timedelta64(1, "D")
        dob[rows] = changed
        log.add(rows, "dob_typo", "date_of_birth")
    # police take an age at the scene where no date of birth is given: the record keeps only the age
    rows = _chosen(rng, valid, rates, "date_of_birth", "age_only", log)
    valid[rows] = False
    log.add(rows, "age_only", "date_of_birth")
    rows = _chosen(rng, valid, rates, "date_of_birth", "copied_from_household", log)
    if len(rows):
        other = _household_member(rng, pop, person[rows])
        found = other >= 0
        found[found] = pop.people.date_of_birth[other[found]] != dob[rows[found]]
        dob[rows[found]] = pop.people.date_of_birth[other[found]]
        log.add(rows[found], "copied_from_household", "date_of_birth")
    return pa.array(dob, pa.date32(), mask=~valid)


def _household_member(rng: np.random.Generator, pop: Population, person: NDArray[np.int64]) -> NDArray[np.int64]:
    """Another member of each person's household, or -1 for people who live alone (or are not rows: -1)."""
    missing = person < 0
    person = np.where(missing, 0, person)
    starts = pop.household_head  # a household's first member: rows go by household
    hh = pop.people.household[person]
    size = pop.household_size[hh]
    offset = (person - starts[hh] + rng.integers(1, np.maximum(size, 2))) % np.maximum(size, 1)
    result: NDArray[np.int64] = np.where((size > 1) & ~missing, starts[hh] + offset, -1)
    return result


def _identifier_errors(
    rng: np.random.Generator,
    pop: Population,
    person: NDArray[np.int64],
    column: pa.Array,
    field_name: str,
    rates: dict[tuple[str, str], float],
    log: Log,
    person_identifiers: NDArray[np.object_] | None,
) -> pa.Array:
    valid = column.is_valid().to_numpy(zero_copy_only=False)
    if person_identifiers is not None:
        other = _household_member(rng, pop, person)
        has = other >= 0
        has[has] = pa.array(person_identifiers[other[has]], pa.string()).is_valid().to_numpy(zero_copy_only=False)
        rows = _chosen(rng, valid & has, rates, field_name, "relative_identifier", log)
        column = _replace(column, rows, pa.array(person_identifiers[other[rows]], pa.string()))
        log.add(rows, "relative_identifier", field_name)
    rows = _chosen(rng, valid, rates, field_name, "transposition", log)
    if len(rows):
        new, changed = text.transpositions(rng, column.take(pa.array(rows)))
        column = _replace(column, rows[changed], new.filter(pa.array(changed)))
        log.add(rows[changed], "transposition", field_name)
    valid = column.is_valid().to_numpy(zero_copy_only=False)
    rows = _chosen(rng, valid, rates, field_name, "missing", log)
    column = _replace(column, rows, pa.nulls(len(rows), pa.string()))
    log.add(rows, "missing", field_name)
    return column
