"""The linkage view: every person-level record of every agency in one schema, and the truth behind it.

This is the input a record-linkage system under test is given (Splink-ready: one `record_id`, a `source`, and
the usual comparison columns). Each row gets a fresh random id, distinct from the agency's own record id, and
rows are written in id order, so nothing orders or groups them by person. The truth side maps each id to its
person, with the list of data-quality changes made to that record and, for a duplicate, its original.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen.kernel import strings
from synthgen.kernel.arrays import pairs_within
from synthgen.kernel.record_ids import format_record_ids, record_ids
from synthgen.quality import FIELDS, KINDS, Columns, Degraded

LINKAGE_CODE_OFFSET = 500
"""Linkage ids live in their own part of the record-id space (table code + 500)."""

IDENTIFIER_COLUMNS = ("nhs_number", "upn", "local_patient_id", "pnc_id", "la_child_id")
ERROR = pa.struct([("kind", pa.string()), ("field", pa.string())])


def _column(table: pa.Table, name: str | None) -> pa.Array:
    if name is None or name not in table.column_names:
        return pa.nulls(table.num_rows, pa.string())
    return table.column(name).combine_chunks()


def view_columns(table: pa.Table, columns: Columns, source: str, record_id: pa.Array) -> dict[str, pa.Array]:
    """An agency table's rows in the view's schema, under the view's own ids (`record_id`): what a feed of the view
    carries too, version by version."""
    n = table.num_rows
    sex = _column(table, columns.sex)
    normalised_sex = pc.if_else(
        pc.equal(sex, strings.text(columns.female)),
        strings.text("F"),
        pc.if_else(pc.equal(sex, strings.text(columns.male)), strings.text("M"), pa.scalar(None, pa.string())),
    )
    view = {
        "record_id": record_id,
        "source": strings.repeated(source, n),
        "source_record_id": _column(table, "record_id"),
        "given_name": _column(table, columns.given_name),
        "middle_names": _column(table, columns.middle_names),
        "family_name": _column(table, columns.family_name),
        "date_of_birth": table.column(columns.date_of_birth).combine_chunks(),
        "sex": normalised_sex,
        "postcode": _column(table, columns.postcode),
        "address_line": _column(table, columns.address),
    }
    for name in IDENTIFIER_COLUMNS:
        view[name] = _column(table, name)
    return view


def linkage_part(
    degraded: Degraded, columns: Columns, table_code: int, record_key: int, shard: int
) -> tuple[pa.Table, NDArray[np.uint64], pa.Table]:
    """The shard's linkage rows for one agency table, their sort keys, and their truth records."""
    agency = degraded.agency
    table = agency.table
    n = table.num_rows
    key = record_ids(record_key, table_code + LINKAGE_CODE_OFFSET, shard, n)
    record_id = format_record_ids(key)
    view = view_columns(table, columns, agency.source, record_id)
    truth = pa.table(
        {
            "record_id": record_id,
            "source": view["source"],
            "table": strings.repeated(agency.name, n),
            "source_record_id": view["source_record_id"],
            "person_id": pa.array(agency.person_id),
            "duplicate_of": pc.if_else(
                pa.array(degraded.duplicate_of >= 0),
                record_id.take(pa.array(np.maximum(degraded.duplicate_of, 0))),
                pa.scalar(None, pa.string()),
            ),
            "errors": _errors(n, degraded),
        }
    )
    return pa.table(view), key, truth


def _errors(n: int, degraded: Degraded) -> pa.Array:
    """Each record's list of (kind, field) changes, in the order they were made."""
    order = np.argsort(degraded.log_rows, kind="stable")
    rows = degraded.log_rows[order]
    offsets = np.zeros(n + 1, np.int32)
    np.cumsum(np.bincount(rows, minlength=n), out=offsets[1:])
    kinds = pa.array(np.asarray(KINDS, dtype=object)[degraded.log_kinds[order]], pa.string())
    fields = pa.array(np.asarray(FIELDS, dtype=object)[degraded.log_fields[order]], pa.string())
    values = pa.StructArray.from_arrays([kinds, fields], fields=list(ERROR))
    return pa.ListArray.from_arrays(pa.array(offsets), values, type=pa.list_(ERROR))


def pair_rows(person: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Every unordered pair of rows that belong to the same person (as two aligned arrays of row numbers)."""
    return pairs_within(person)


def true_pairs(records: pa.Table) -> pa.Table:
    """Every pair of records of the same person, in Splink's labels format (one row per unordered pair)."""
    l_rows, r_rows = pair_rows(records["person_id"].to_numpy())
    ids = records["record_id"]
    sources = records["source"]
    return pa.table(
        {
            "source_dataset_l": sources.take(pa.array(l_rows)),
            "unique_id_l": ids.take(pa.array(l_rows)),
            "source_dataset_r": sources.take(pa.array(r_rows)),
            "unique_id_r": ids.take(pa.array(r_rows)),
            "clerical_match_score": pa.array(np.ones(len(l_rows))),
        }
    )
