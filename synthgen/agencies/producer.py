"""The shape every producer shares: the shard's world in (a Context), its tables out (Produced).

A shard runs its producers in order (synthgen/shard.py): the school register, the planted storylines, then each
agency. A producer reads the world and what earlier producers made, and returns its tables; it never writes a
file, applies the data-quality model or builds the linkage view: the shard does that for every producer alike.
Adding an agency is a module with a `produce(ctx)` and one line in the shard's list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from synthgen.agencies import AgencyTable
from synthgen.scenario.plan import Plan
from synthgen.world.births import Births
from synthgen.world.population import ID_STRIDE, Population
from synthgen.world.simulate import Simulation

if TYPE_CHECKING:
    from synthgen.agencies.school import Pupils
    from synthgen.world.storylines import Script


@dataclass
class Context:
    """One shard's world, and what the producers have made of it so far."""

    plan: Plan
    pop: Population
    sim: Simulation  # marked by the planted storylines before any agency reads it
    born: Births  # babies born in the period
    spare_nhs: NDArray[np.object_]  # unused NHS numbers, for duplicate registrations made afresh
    died: NDArray[np.datetime64]  # each person's day of death (NaT: alive at the period's end)
    person_upn: NDArray[np.object_]  # each person's UPN, None when not on a school roll (set by the register)
    pupils: Pupils | None = None  # the school register, for the school's events
    script: Script | None = None  # the shard's planted storylines (None: it has none)
    made: dict[str, AgencyTable] = field(default_factory=dict)
    """Every event table made so far, by path, after deaths (agencies/police/incident_persons, ...)."""
    held: dict[str, AgencyTable] = field(default_factory=dict)
    """Every person-level table made so far, by path, as the agency holds it: after the data-quality model, with
    its duplicates (each row's person_id is still the truth)."""
    held_changes: dict[str, Changes] = field(default_factory=dict)
    """What the data-quality model changed in each of those tables (a copy of a record copies its errors)."""

    @property
    def upn(self) -> pa.Array:
        return pa.array(self.person_upn, pa.string())

    def alive(self, person_id: NDArray[np.int64], day: NDArray[np.datetime64]) -> NDArray[np.bool_]:
        """Whether each person was alive on the day: nothing happens to anyone after they died. Babies born in the
        period, unknown days and people not in the shard's population count as alive."""
        row = person_id - self.pop.shard * ID_STRIDE
        known = (row >= 0) & (row < len(self.died))
        death = np.full(len(row), np.datetime64("NaT"), dtype="datetime64[D]")
        death[known] = self.died[row[known]]
        result: NDArray[np.bool_] = np.isnat(death) | np.isnat(day) | (day <= death)
        return result

    def period_day(self, day: NDArray[np.datetime64]) -> NDArray[np.int64]:
        """Days since the period's first day."""
        result: NDArray[np.int64] = (day.astype("datetime64[D]") - np.datetime64(self.plan.period_start, "D")).astype(
            np.int64
        )
        return result


@dataclass(frozen=True)
class Keyed:
    """A table about no one person (police incidents), written in record-id order like every agency table."""

    path: str
    table: pa.Table
    key: NDArray[np.uint64]


@dataclass(frozen=True)
class Changes:
    """What differs from the truth in some rows of a person-level table, as (row, kind, field) in the data-quality
    model's terms (synthgen/quality/changes.py): logged with the model's own changes, so truth lists them all."""

    rows: NDArray[np.int64]
    kinds: NDArray[np.object_]
    fields: NDArray[np.object_]

    @staticmethod
    def none() -> Changes:
        return Changes(np.zeros(0, np.int64), np.zeros(0, dtype=object), np.zeros(0, dtype=object))


@dataclass(frozen=True)
class PersonRecords:
    """A person-level table (one row per person the agency holds) with what the data-quality model needs."""

    records: AgencyTable
    spare_identifiers: NDArray[np.object_] | None = None  # fresh identifiers for duplicates registered afresh
    own_identifiers: dict[str, NDArray[np.object_]] | None = None  # each person's true identifiers, by column
    given: Changes | None = None  # what the table already differs from the truth in, as it was made
    checked_birth_dates: NDArray[np.bool_] | None = None  # rows whose date of birth the agency has seen proven


@dataclass(frozen=True)
class Produced:
    """What a producer made: person-level tables, event tables (each row about a person) and others."""

    persons: tuple[PersonRecords, ...] = ()
    events: tuple[AgencyTable, ...] = ()
    others: tuple[Keyed, ...] = ()
    truth: dict[str, pa.Table] = field(default_factory=dict)  # the producer's own truth tables, by name
