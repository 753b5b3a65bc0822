"""Duplicate registrations: the same person registered twice by one agency, each record then taking its own
errors.

A duplicate is a record of its own: a new record id, a new local id in the agency's system, and either a
freshly issued identifier (a second NHS number) or none at all where the agency has none to give.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from synthgen.agencies import LOCAL_ID_OFFSET, AgencyTable, local_ids
from synthgen.kernel.record_ids import format_record_ids, record_ids_from
from synthgen.quality.changes import Columns, Log, Rates, chosen, replace
from synthgen.scenario.plan import Plan


@dataclass(frozen=True)
class Registrations:
    """An agency table's records with their duplicates after them, as columns ready for the other errors."""

    columns: dict[str, pa.Array]
    key: NDArray[np.uint64]  # record key of every row
    person_id: NDArray[np.int64]  # the person behind every row
    duplicate_of: NDArray[np.int64]  # row of the original for a duplicate, else -1


def register_again(
    rng: np.random.Generator,
    plan: Plan,
    shard: int,
    agency: AgencyTable,
    columns: Columns,
    rates: Rates,
    table_code: int,
    extra_identifiers: NDArray[np.object_] | None,
    log: Log,
) -> Registrations:
    """The table with a second registration of some records appended, under new record and local ids.

    `extra_identifiers` are unused valid identifiers: a share of the duplicates get one of them; without them,
    a duplicate carries no identifier."""
    table, key, person_id = agency.table, agency.key, agency.person_id
    n = table.num_rows
    duplicate_rows = chosen(rng, np.ones(n, bool), rates, "record", "duplicate", log)
    duplicate_of = np.r_[np.full(n, -1), duplicate_rows]
    if len(duplicate_rows):
        table = pa.concat_tables([table, table.take(pa.array(duplicate_rows))])
        key = np.r_[key, record_ids_from(plan.record_key, table_code, shard, n, len(duplicate_rows))]
        person_id = np.r_[person_id, person_id[duplicate_rows]]
        log.add(np.arange(n, n + len(duplicate_rows)), "duplicate", "record")
    values: dict[str, pa.Array] = {name: table.column(name).combine_chunks() for name in table.column_names}
    registrations = Registrations(values, key, person_id, duplicate_of)
    if len(duplicate_rows):
        _new_ids(rng, plan, shard, registrations, n, columns, table_code, extra_identifiers, log)
    return registrations


def _new_ids(
    rng: np.random.Generator,
    plan: Plan,
    shard: int,
    registrations: Registrations,
    n: int,
    columns: Columns,
    table_code: int,
    extra_identifiers: NDArray[np.object_] | None,
    log: Log,
) -> None:
    """Give the duplicates (rows from n on) their own record ids, local ids and identifiers, in place."""
    values, key = registrations.columns, registrations.key
    rows_total = len(key)
    duplicates = np.arange(n, rows_total)
    values["record_id"] = replace(values["record_id"], duplicates, format_record_ids(key[n:]))
    if columns.local_id:
        local = record_ids_from(plan.record_key, table_code + LOCAL_ID_OFFSET, shard, n, rows_total - n)
        values[columns.local_id] = replace(values[columns.local_id], duplicates, local_ids(local))
    if not columns.identifier:
        return
    ident = columns.identifier
    if extra_identifiers is not None:
        is_duplicate = registrations.duplicate_of >= 0
        new = rng.random(rows_total) < plan.params["duplicate_new_identifier_share"]
        fresh = np.flatnonzero(is_duplicate & new)[: len(extra_identifiers)]
        values[ident] = replace(values[ident], fresh, pa.array(extra_identifiers[: len(fresh)], pa.string()))
        log.add(fresh, "reissued_identifier", ident)
    else:
        had = values[ident].take(pa.array(duplicates)).is_valid().to_numpy(zero_copy_only=False)
        values[ident] = replace(values[ident], duplicates, pa.nulls(len(duplicates), pa.string()))
        log.add(duplicates[had], "identifier_not_carried", ident)
