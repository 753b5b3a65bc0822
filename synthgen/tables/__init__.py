"""The table registry: every table a run writes, declared once.

Each table is declared with its path, its columns (Arrow type and what the column means), the agency that holds
it, its place in the record-id space, the date its records are filed under, whether it is person-level (it then
goes through the data-quality model and into the linkage view) and whether its columns are the agency's fields
in the sharing policy's vocabulary. Everything that lists tables or their columns derives from here: the record
ids' table codes, which events end at a death, the policy's vocabulary, the data dictionary (`synthgen tables`,
docs/tables.md), the Parquet field metadata. Adding a table means declaring it here and producing it.

This module is a leaf: it imports nothing of synthgen, so that readers of a run (screening, evaluation) can rely
on it without importing the generator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import pyarrow as pa

AGENCIES = ("police", "health", "school", "social_care")
DESCRIPTION = b"description"
"""The Parquet field-metadata key holding a column's description."""


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    description: str


@dataclass(frozen=True)
class PersonColumns:
    """Where a person-level table keeps each identifying field, and how it codes sex: what the data-quality model
    and the linkage view read it by."""

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


@dataclass(frozen=True)
class Table:
    """One table of a run."""

    path: str  # e.g. "agencies/police/incidents" (the file is <path>.parquet)
    description: str
    columns: tuple[Column, ...]
    agency: str | None = None  # the agency that holds it (None: truth, or the linkage view)
    code: int | None = None  # its place in the record-id space: ids never repeat across tables
    id_column: str | None = None  # the column naming each record (random ids, unique across the run)
    event_date: str | None = None  # the date a record is filed under (None: no single date)
    known_from: str | None = None  # the date the agency first held a record, where not its event date
    person: PersonColumns | None = None  # person-level: through the data-quality model into the linkage view
    quality_rates: str | None = None  # whose error rates it takes (quality_rates.csv), if not its agency's
    register: bool = False  # the agency's register of people: the person-level table its events point at
    ends_at_death: bool = False  # records dated after their person's death are dropped where the run is made
    shareable: bool = False  # its columns are the agency's fields a sharing policy may name
    optional: bool = False  # written only when asked for (truth/pairs)
    # columns a record gains after it is made, as (the column holding the day they were filled in, the columns
    # filled then): a referral's closure, a plan's end, a check's answer. Null before that day; read by the feeds
    filled_later: tuple[tuple[str, tuple[str, ...]], ...] = ()
    notes: tuple[str, ...] = field(default=(), repr=False)  # further paragraphs for the data dictionary

    @property
    def name(self) -> str:
        """The table's own name: `incidents` for agencies/police/incidents."""
        return self.path.rsplit("/", 1)[-1]

    @property
    def file(self) -> str:
        return f"{self.path}.parquet"

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    @property
    def schema(self) -> pa.Schema:
        """The Arrow schema, each field carrying its description in its metadata."""
        return pa.schema(
            [pa.field(c.name, c.type, metadata={DESCRIPTION: c.description.encode("utf-8")}) for c in self.columns]
        )

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.path} has no column {name!r}")


@cache
def all_tables() -> tuple[Table, ...]:
    """Every table, agencies first (by agency, then as declared), then the linkage view, then truth."""
    from synthgen.tables import agency_tables, front_door_tables, truth_tables

    agencies = (
        *agency_tables.TABLES,
        *front_door_tables.POLICE,
        *front_door_tables.HEALTH,
        *front_door_tables.SOCIAL_CARE,
    )
    return (*agencies, *truth_tables.TABLES, *front_door_tables.TRUTH)


@cache
def _by_path() -> dict[str, Table]:
    return {table.path: table for table in all_tables()}


def table(path: str) -> Table:
    """The table at a path such as 'agencies/health/ae_attendances' (with or without '.parquet')."""
    return _by_path()[path.removesuffix(".parquet")]


def agency_table(agency: str, name: str) -> Table:
    return table(f"agencies/{agency}/{name}")


def of_agency(agency: str) -> tuple[Table, ...]:
    """The tables an agency holds, in declared order."""
    return tuple(t for t in all_tables() if t.agency == agency)


@cache
def table_codes() -> dict[str, int]:
    """'agency/name' -> the table's code in the record-id space."""
    return {f"{t.agency}/{t.name}": t.code for t in all_tables() if t.agency and t.code is not None}


def code(agency: str, name: str) -> int:
    result = agency_table(agency, name).code
    if result is None:
        raise KeyError(f"agencies/{agency}/{name} has no record ids of its own")
    return result


@cache
def agency_fields() -> dict[str, frozenset[str]]:
    """Every column an agency's files hold about people (record ids aside): what a sharing rule may name."""
    result: dict[str, set[str]] = {agency: set() for agency in AGENCIES}
    for t in all_tables():
        if t.agency and t.shareable:
            result[t.agency].update(name for name in t.column_names if name != "record_id")
    return {agency: frozenset(names) for agency, names in result.items()}


def registers() -> dict[str, Table]:
    """Each agency's register of people (the police's nominals, the GP register, the pupil register, the LA's
    children): what an event record of the agency points at."""
    return {t.agency: t for t in all_tables() if t.register and t.agency is not None}


def person_level() -> tuple[Table, ...]:
    """The person-level tables: one row per person an agency holds (each goes into the linkage view)."""
    return tuple(t for t in all_tables() if t.person is not None)
