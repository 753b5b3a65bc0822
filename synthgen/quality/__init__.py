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
from numpy.typing import NDArray

from synthgen import reference
from synthgen.agencies import AgencyTable
from synthgen.agencies.producer import Changes
from synthgen.kernel.arrays import ranges
from synthgen.quality.address_errors import address_errors
from synthgen.quality.changes import FIELDS, KINDS, Columns, Log, Rates
from synthgen.quality.demographic_errors import date_of_birth_errors, sex_errors
from synthgen.quality.duplicates import register_again
from synthgen.quality.identifier_errors import identifier_errors
from synthgen.quality.mechanisms import PersonGroups, Scaling, plan_rules
from synthgen.quality.name_errors import name_errors
from synthgen.scenario.plan import Plan
from synthgen.world.population import ID_STRIDE, Population

__all__ = [
    "ALLOWED",
    "FIELDS",
    "KINDS",
    "BirthDates",
    "Changes",
    "Columns",
    "Degraded",
    "PersonGroups",
    "Scaling",
    "degrade",
    "empty_summary",
    "plan_rules",
    "rates_for",
]

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
class BirthDates:
    """How an agency holds dates of birth: the rows it has seen proven (a birth certificate: no slip survives). A
    date copied in error from a relative is always one of the same generation's (relatives.household_member)."""

    checked: NDArray[np.bool_] | None = None


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
    given: int = 0  # the log's first entries: differences the table was made with, not the model's errors
    expected: dict[tuple[str, str], float] = field(default_factory=dict)  # changes the rates lead one to expect

    def summary(self) -> pa.Table:
        """One row per (field, kind) the model considered: its rate, eligible records, the changes its rates lead one
        to expect among them (the rate times the eligible records, unless group-dependent mechanisms vary it from
        record to record) and the records it changed."""
        keys = sorted(set(self.eligible) | set(self.rates))
        made = _pair_counts(self.log_fields[self.given :], self.log_kinds[self.given :])
        changed = {(FIELDS[f], KINDS[k]): c for (f, k), c in made.items()}
        return pa.table(
            {
                "source": pa.array([self.agency.source] * len(keys), pa.string()),
                "table": pa.array([self.agency.name] * len(keys), pa.string()),
                "field": pa.array([f for f, _ in keys], pa.string()),
                "kind": pa.array([k for _, k in keys], pa.string()),
                "rate": pa.array([self.rates.get(key, 0.0) for key in keys], pa.float64()),
                "eligible": pa.array([self.eligible.get(key, 0) for key in keys], pa.int64()),
                "expected": pa.array([round(self.expected.get(key, 0.0), 6) for key in keys], pa.float64()),
                "changed": pa.array([changed.get(key, 0) for key in keys], pa.int64()),
            }
        )


def empty_summary() -> pa.Table:
    names = ("source", "table", "field", "kind", "rate", "eligible", "expected", "changed")
    types = (pa.string(), pa.string(), pa.string(), pa.string(), pa.float64(), pa.int64(), pa.float64(), pa.int64())
    return pa.table({name: pa.array([], kind) for name, kind in zip(names, types, strict=True)})


def _pair_counts(a: NDArray[np.int64], b: NDArray[np.int64]) -> dict[tuple[int, int], int]:
    if not len(a):
        return {}
    pairs, counts = np.unique(np.stack([a, b], axis=1), axis=0, return_counts=True)
    return {(int(p[0]), int(p[1])): int(c) for p, c in zip(pairs.tolist(), counts.tolist(), strict=True)}


def degrade(
    plan: Plan,
    pop: Population,
    agency: AgencyTable,
    columns: Columns,
    rates: Rates,
    table_code: int,
    extra_identifiers: NDArray[np.object_] | None = None,
    person_identifiers: dict[str, NDArray[np.object_]] | None = None,
    given: Changes | None = None,
    birth_dates: BirthDates | None = None,
    scaling: Scaling | None = None,
) -> Degraded:
    """Apply one agency's error model to one shard's table.

    `person_identifiers` holds each person's true identifiers by column (NHS number, UPN; None when they have
    none), for errors that take a relative's; `extra_identifiers` are unused valid identifiers for
    duplicates registered afresh; `given` lists what differs from the truth in the table as it was made (a contact
    that knew no family name, a notification copying the police's spelling), logged first; `birth_dates` says
    which rows' dates of birth the agency has seen proven (no slip survives there). The errors come in a
    fixed order, each from the table's own stream:
    duplicates first (a second registration then takes its own errors), then names, date of birth, sex,
    identifiers and addresses. `scaling` makes rates depend on each record's person's groups (mechanisms.py).
    """
    rng = np.random.default_rng(np.random.SeedSequence(plan.seed, spawn_key=(table_code, pop.shard + 1, 77)))
    log = Log()
    if given is not None:
        _log_given(log, given)
    if scaling is not None:
        log.scale = scaling.rows(agency.person_id)
    registered = register_again(rng, plan, pop.shard, agency, columns, rates, table_code, extra_identifiers, log)
    if scaling is not None:
        log.scale = scaling.rows(registered.person_id)
    if given is not None:
        _log_given(log, _given_of_duplicates(given, registered.duplicate_of))
    values = registered.columns
    person = registered.person_id - pop.shard * ID_STRIDE
    # babies born during the period are not rows of the population at the start: errors that draw on a
    # person's other names, household or old address pass them by
    known = person < len(pop.people.person_id)
    person = np.where(known, person, 0)
    name_errors(rng, plan.params, pop, person, known, values, columns, rates, log)
    checks = birth_dates or BirthDates()
    checked = np.zeros(len(person), bool)
    if checks.checked is not None:
        proven = checks.checked
        checked = np.r_[proven, proven[registered.duplicate_of[len(proven) :]]]  # a duplicate's is its original's
    values[columns.date_of_birth] = date_of_birth_errors(
        rng,
        plan.params,
        pop,
        np.where(known, person, -1),
        values[columns.date_of_birth],
        rates,
        log,
        checked,
    )
    sex_errors(rng, values, columns, rates, log)
    held = [columns.identifier] if columns.identifier else []
    for ident in [*held, *columns.other_identifiers]:
        own = (person_identifiers or {}).get(ident)
        values[ident] = identifier_errors(rng, pop, np.where(known, person, -1), values[ident], ident, rates, log, own)
    address_errors(rng, plan, pop, person, known, values, columns, rates, log)
    result = pa.table({name: values[name] for name in agency.table.column_names})
    rows, kinds, fields = log.arrays()
    degraded = AgencyTable(agency.source, agency.name, result, registered.key, registered.person_id)
    return Degraded(
        degraded, registered.duplicate_of, rows, kinds, fields, log.eligible, rates, log.given, log.expected
    )


def _log_given(log: Log, given: Changes) -> None:
    for kind, field_name in sorted(set(zip(given.kinds.tolist(), given.fields.tolist(), strict=True))):
        log.add(given.rows[(given.kinds == kind) & (given.fields == field_name)], kind, field_name, given=True)


def _given_of_duplicates(given: Changes, duplicate_of: NDArray[np.int64]) -> Changes:
    """A duplicate is a copy of its original as it was made: it differs from the truth where the original did."""
    copies = np.flatnonzero(duplicate_of >= 0)
    originals = duplicate_of[copies]
    order = np.argsort(given.rows, kind="stable")
    low = np.searchsorted(given.rows[order], originals, side="left")
    high = np.searchsorted(given.rows[order], originals, side="right")
    entry = order[ranges(low, high - low)]
    return Changes(np.repeat(copies, high - low), given.kinds[entry], given.fields[entry])
