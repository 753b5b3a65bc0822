"""Reading a MASH system's responses: for each contact, what it found, what it shared, its rating and decision.

The format is one long table (Parquet or CSV), a row per contact and record found (a contact with nothing found
has one row with no record):

    contact_id     the contact (agencies/social_care/contacts), required on every row
    decided_at     when the system decided (a timestamp, or ISO text), required
    decision       nfa, information_advice, early_help, referral or strategy_discussion, required
    rag            red, amber or green; empty when the system did not rate it
    record_id      a partner record the system found: any agency file's id or a linkage view record_id
    shared_with    the agency the record was shared with (police, health, school, social_care); empty if none
    shared_fields  the fields shared, separated by ';' (a list in Parquet); required where shared_with is given
    purpose        safeguarding or early_help; required where shared_with is given

decided_at, decision and rag are the contact's: every row of one contact must give the same. A contact the
file leaves out is scored as not answered.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen import sharing_policy
from synthgen.errors import SynthgenError
from synthgen.evaluation import adapters

DECISIONS = ("nfa", "information_advice", "early_help", "referral", "strategy_discussion")
RAGS = ("green", "amber", "red")
REQUIRED = ("contact_id", "decided_at", "decision")
COLUMNS = "contact_id, decided_at, decision, rag, record_id, shared_with, shared_fields, purpose"


@dataclass(frozen=True)
class Responses:
    """Per contact answered (its row in the run's contacts), the decision, rating and time; then the records
    found and the shares, each by the row of the contact it belongs to."""

    contact: NDArray[np.int64]  # row of truth's contacts, one per contact answered
    decision: pa.Array
    rag: pa.Array  # null: not rated
    decided_at: NDArray[np.datetime64]  # seconds
    found_contact: NDArray[np.int64]  # each distinct (contact, record) found: the contact's row ...
    found_record: pa.Array  # ... and the record id as given
    share_contact: NDArray[np.int64]  # each share: the contact's row ...
    share_record: pa.Array  # ... the record shared ...
    share_recipient: pa.Array
    share_purpose: pa.Array
    share_fields: pa.Array  # list<string>
    rows: int


def _text(name: str, table: pa.Table, column: str) -> pa.Array:
    if column not in table.column_names:
        return pa.nulls(table.num_rows, pa.string())
    values = table.column(column).combine_chunks()
    if pa.types.is_null(values.type):
        return pa.nulls(len(values), pa.string())
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        raise SynthgenError(f"{name}: column {column} must hold text, found {values.type}")
    text = pc.utf8_trim_whitespace(values.cast(pa.string()))
    return pc.if_else(pc.equal(pc.utf8_length(text), 0), pa.scalar(None, pa.string()), text)


def _in(name: str, values: pa.Array, column: str, allowed: tuple[str, ...], required: bool) -> None:
    if required and values.null_count:
        raise SynthgenError(
            f"{name}: column {column} has {values.null_count:,} empty values (allowed: {', '.join(allowed)})"
        )
    outside = pc.and_(pc.invert(pc.is_in(values, value_set=pa.array(allowed))), values.is_valid())
    if pc.any(outside).as_py():
        first = values.filter(outside)[0].as_py()
        raise SynthgenError(f"{name}: {column} {first!r} is not allowed (allowed: {', '.join(allowed)})")


def _moments(name: str, table: pa.Table) -> NDArray[np.datetime64]:
    values = table.column("decided_at").combine_chunks()
    if values.null_count:
        raise SynthgenError(f"{name}: column decided_at has {values.null_count:,} empty values")
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        text = pc.utf8_trim_whitespace(values.cast(pa.string()))
        parsed = pc.strptime(
            pc.utf8_slice_codeunits(text, 0, 19), format="%Y-%m-%dT%H:%M:%S", unit="s", error_is_null=True
        )
        spaced = pc.strptime(
            pc.utf8_slice_codeunits(text, 0, 19), format="%Y-%m-%d %H:%M:%S", unit="s", error_is_null=True
        )
        minutes = pc.strptime(
            pc.utf8_slice_codeunits(text, 0, 16), format="%Y-%m-%d %H:%M", unit="s", error_is_null=True
        )
        values = pc.coalesce(parsed, spaced, minutes)
        if values.null_count:
            first = text.filter(pc.is_null(values))[0].as_py()
            raise SynthgenError(f"{name}: decided_at {first!r} is not a time (expected YYYY-MM-DD HH:MM[:SS])")
    elif pa.types.is_timestamp(values.type):
        values = pc.cast(values, pa.timestamp("s"))
    else:
        raise SynthgenError(f"{name}: column decided_at must hold times (YYYY-MM-DD HH:MM), found {values.type}")
    result: NDArray[np.datetime64] = values.to_numpy(zero_copy_only=False).astype("datetime64[s]")
    return result


def _fields(name: str, table: pa.Table, shared: NDArray[np.bool_]) -> pa.Array:
    """Each share's fields as a list of names."""
    if "shared_fields" not in table.column_names:
        if shared.any():
            raise SynthgenError(f"{name}: missing column shared_fields (the fields each share disclosed)")
        empty = np.zeros(table.num_rows + 1, np.int32)
        return pa.ListArray.from_arrays(pa.array(empty), pa.array([], pa.string()))
    values = table.column("shared_fields").combine_chunks()
    if pa.types.is_list(values.type) or pa.types.is_large_list(values.type):
        lists = values.cast(pa.list_(pa.string()))
    elif pa.types.is_string(values.type) or pa.types.is_large_string(values.type) or pa.types.is_null(values.type):
        text = pc.replace_substring(values.cast(pa.string()).fill_null(""), ",", ";")
        lists = pc.split_pattern(text, ";")
    else:
        raise SynthgenError(f"{name}: column shared_fields must hold field names separated by ';', found {values.type}")
    names = pc.utf8_trim_whitespace(pc.list_flatten(lists))
    kept = pc.greater(pc.utf8_length(names), 0).to_numpy(zero_copy_only=False)
    parents = pc.list_parent_indices(lists).to_numpy()
    counts = np.bincount(parents[kept], minlength=len(lists))
    if (shared & (counts == 0)).any():
        raise SynthgenError(
            f"{name}: every share must name the fields it disclosed (shared_fields, e.g. given_name;postcode)"
        )
    offsets = np.r_[0, np.cumsum(counts)].astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), names.filter(pa.array(kept)))


def _per_contact(name: str, row: NDArray[np.int64], *columns: pa.Array) -> NDArray[np.int64]:
    """The first row of each contact, after checking every row of a contact gives the same per-contact values."""
    text = [pc.cast(values, pa.string()).fill_null("") for values in columns]
    key = pc.binary_join_element_wise(*text, "|")
    counted = pa.table({"row": row, "key": key}).group_by("row").aggregate([("key", "count_distinct")])
    if pc.max(counted["key_count_distinct"]).as_py() > 1:
        raise SynthgenError(
            f"{name}: the rows of a contact give different decisions, ratings or times (they must agree)"
        )
    _, first = np.unique(row, return_index=True)
    result: NDArray[np.int64] = first.astype(np.int64)
    return result


def read_responses(source: str | Path | pa.Table, contact_ids: pa.Array) -> Responses:
    """A MASH system's responses, checked; `contact_ids` are the run's contacts (truth's order)."""
    name, table = adapters.load_table(source, "responses")
    missing = [column for column in REQUIRED if column not in table.column_names]
    if missing:
        raise SynthgenError(
            f"{name}: missing column {missing[0]} (expected {COLUMNS}); found: {', '.join(table.column_names)}"
        )
    ids = adapters.record_id_column(name, table, "contact_id")
    row = pc.index_in(ids, value_set=contact_ids)
    if row.null_count:
        unknown = ids.filter(pc.is_null(row))[0].as_py()
        raise SynthgenError(
            f"{name}: contact_id {unknown!r} is not a contact of this run (agencies/social_care/contacts)"
        )
    row_of = row.to_numpy(zero_copy_only=False).astype(np.int64)
    decision = _text(name, table, "decision")
    _in(name, decision, "decision", DECISIONS, required=True)
    rag = _text(name, table, "rag")
    _in(name, rag, "rag", RAGS, required=False)
    decided = _moments(name, table)
    first = _per_contact(name, row_of, decision, rag, pa.array(decided, pa.timestamp("s")))
    record = _text(name, table, "record_id")
    recipient = _text(name, table, "shared_with")
    _in(name, recipient, "shared_with", sharing_policy.AGENCIES, required=False)
    shared = recipient.is_valid().to_numpy(zero_copy_only=False)
    if (shared & record.is_null().to_numpy(zero_copy_only=False)).any():
        raise SynthgenError(f"{name}: a row shares with an agency but names no record_id")
    purpose = _text(name, table, "purpose")
    _in(name, purpose, "purpose", sharing_policy.PURPOSES, required=False)
    if (shared & purpose.is_null().to_numpy(zero_copy_only=False)).any():
        raise SynthgenError(f"{name}: every share needs a purpose (allowed: {', '.join(sharing_policy.PURPOSES)})")
    fields = _fields(name, table, shared)
    has_record = record.is_valid().to_numpy(zero_copy_only=False)
    found = pa.table({"contact": pa.array(row_of[has_record]), "record": record.filter(pa.array(has_record))})
    found = (
        found.group_by(["contact", "record"]).aggregate([]).sort_by([("contact", "ascending"), ("record", "ascending")])
    )
    share = np.flatnonzero(shared)
    take = pa.array(share, pa.int64())
    return Responses(
        contact=row_of[first],
        decision=decision.take(pa.array(first)),
        rag=rag.take(pa.array(first)),
        decided_at=decided[first],
        found_contact=found["contact"].to_numpy(),
        found_record=found["record"].combine_chunks(),
        share_contact=row_of[share],
        share_record=record.take(take),
        share_recipient=recipient.take(take),
        share_purpose=purpose.take(take),
        share_fields=fields.take(take),
        rows=table.num_rows,
    )
