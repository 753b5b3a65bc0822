"""The two files a screening and information-sharing system hands over, read and checked: FLAGS (`record_id`,
`flagged_at`, optionally `concern`) and DISCLOSURES (`record_id`, `fields`, `recipient`, `shared_at`, `case`,
`purpose`), as Parquet or CSV files or as tables in memory.

A record id may be any agency file's id (a person-level register's `record_id`, an event's id: an A&E attendance,
a referral, a police incident) or a linkage view `record_id`; truth/records and truth/events map each to its
person. An id that maps to several people (a police incident) flags the children among them (under 18, or
unborn, on the flag date), or everyone in it when none is a child; a disclosure of such a record is about
everyone in it. Every problem is one line naming the file (or, for a table, what it holds) and what was expected.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen import sharing_policy
from synthgen import signals as signal_rules
from synthgen.errors import SynthgenError, shown
from synthgen.evaluation import adapters, columns
from synthgen.evaluation.sharing_truth import Days, Ids, Truth, is_child

FLAG_COLUMNS = "flags need record_id and flagged_at (concern optional)"
DISCLOSURE_COLUMNS = "disclosures need record_id, fields, recipient, shared_at, case and purpose"
FIELD_SEPARATORS = (";", ",")
NO_CONCERN = "(none given)"


def _require(name: str, table: pa.Table, needed: tuple[str, ...], expected: str) -> None:
    missing = [c for c in needed if c not in table.column_names]
    if missing:
        raise SynthgenError(f"{name}: missing column {missing[0]} ({expected}); {adapters.found(table)}")


def _dates(name: str, table: pa.Table, column: str) -> NDArray[np.datetime64]:
    """A column of dates (a date, a timestamp, or text as YYYY-MM-DD or an ISO timestamp) as days."""
    return signal_rules.days(columns.dates(name, table, column))


def _person_rows(name: str, ids: pa.Array, column: str, truth: Truth) -> pa.Table:
    """(row, person_id, agency) for every person each id maps to; an unknown id is an error.

    The run's ids are first cut down to those the file names (hashing the file's few ids, not the run's many)."""
    rows = pa.table({"row": pa.array(np.arange(len(ids))), "record_id": ids})
    named = truth.ids.filter(pc.is_in(truth.ids["record_id"], value_set=pc.unique(ids)))
    joined = rows.join(named, "record_id", join_type="inner")
    known = np.zeros(len(ids), bool)
    known[joined["row"].to_numpy()] = True
    if not known.all():
        unknown = pc.unique(ids.filter(pa.array(~known)))
        raise SynthgenError(
            f"{name}: {len(unknown):,} {column} values are not record ids of this run's agency files or linkage view "
            f"(e.g. {shown(unknown[0].as_py())})"
        )
    return joined.sort_by([("row", "ascending"), ("person_id", "ascending")])


@dataclass(frozen=True)
class Flags:
    person: Ids  # flagged people, sorted
    first_flag: Days  # their first flag
    concern: pa.Array  # the concern given with it
    rows: int
    stated_concerns: dict[str, int]
    from_the_future: int  # rows flagging on a day before their record existed (its agency first held it)


def read_flags(source: str | Path | pa.Table, truth: Truth) -> Flags:
    """A system's flags: each person flagged, with the first day and the concern given."""
    name, table = adapters.load_table(source, "flags")
    _require(name, table, ("record_id", "flagged_at"), FLAG_COLUMNS)
    ids = adapters.record_id_column(name, table, "record_id")
    when = _dates(name, table, "flagged_at")
    concern = (
        columns.text(name, table, "concern", integers=True).fill_null(NO_CONCERN)
        if "concern" in table.column_names
        else pa.array(np.full(table.num_rows, NO_CONCERN, dtype=object), pa.string())
    )
    mapped = _person_rows(name, ids, "record_id", truth)
    row = mapped["row"].to_numpy()
    person = mapped["person_id"].to_numpy()
    day = when[row]
    child = is_child(truth, person, day)
    # a flag citing a record before its agency held it could not have been raised that day: from the future,
    # counted apart and never credited
    known = mapped["known_on"].combine_chunks().to_numpy(zero_copy_only=False).astype("datetime64[D]")
    future = day < known
    # an id of several people (an incident) flags the children in it, or everyone when none is a child
    people_per_row = np.bincount(row, minlength=table.num_rows)
    children_per_row = np.bincount(row, weights=child, minlength=table.num_rows)
    keep = np.flatnonzero(((people_per_row[row] == 1) | child | (children_per_row[row] == 0)) & ~future)
    # each person's earliest flag; on a tie, the first row of the file
    order = keep[np.lexsort((keep, day[keep].astype(np.int64), person[keep]))]
    first = order[np.r_[True, person[order][1:] != person[order][:-1]]] if len(order) else order
    counts = pc.value_counts(concern)
    stated = sorted(zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True))
    from_the_future = len(np.unique(row[future]))
    return Flags(
        person[first], day[first], concern.take(pa.array(row[first])), table.num_rows, dict(stated), from_the_future
    )


@dataclass(frozen=True)
class Disclosures:
    """The disclosures file as columns: a value per row, and (row, value) pairs where a row holds several."""

    rows: int
    record_agency: pa.Array  # the agency whose record each row discloses
    field_row: Ids  # each field a row names: its row ...
    field: pa.Array  # ... and its name
    recipient: pa.Array
    purpose: pa.Array  # null for none
    person_row: Ids  # each person a row's record is about: its row ...
    person: Ids  # ... and the person
    case_row: Ids  # each person the row's case (the flagged record) names: its row ...
    case_person: Ids  # ... and the person
    shared_at: Days


def _fields(name: str, table: pa.Table) -> tuple[Ids, pa.Array]:
    """(row, field name) for each field each row names; every row must name one."""
    values = columns.column(name, table, "fields")
    empty = f"{name}: every fields entry must list a field name (e.g. given_name;postcode)"
    if pa.types.is_list(values.type) or pa.types.is_large_list(values.type):
        inner = values.type.value_type
        if not (pa.types.is_string(inner) or pa.types.is_large_string(inner)):
            raise SynthgenError(f"{name}: column fields must hold lists of field names, found {values.type}")
        if len(values) and (
            values.null_count
            or not pc.all(pc.greater(pc.list_value_length(values), 0)).as_py()
            or pc.list_flatten(values).null_count
        ):
            raise SynthgenError(empty)
        names = pc.utf8_trim_whitespace(pc.list_flatten(values).cast(pa.string()))
        return pc.list_parent_indices(values).to_numpy().astype(np.int64), names
    text = columns.text(name, table, "fields", holding="field names separated by ';'").fill_null("")
    for separator in FIELD_SEPARATORS[1:]:
        text = pc.replace_substring(text, separator, FIELD_SEPARATORS[0])
    parts = pc.split_pattern(text, FIELD_SEPARATORS[0])
    names = pc.utf8_trim_whitespace(pc.list_flatten(parts))
    named = pc.greater(pc.utf8_length(names), 0)
    row = pc.list_parent_indices(parts).to_numpy().astype(np.int64)[named.to_numpy(zero_copy_only=False)]
    if (np.bincount(row, minlength=len(values)) == 0).any():
        raise SynthgenError(empty)
    return row, names.filter(named)


def _text_column(name: str, table: pa.Table, column: str) -> pa.Array:
    """A text column trimmed, with empty text as null."""
    text = pc.utf8_trim_whitespace(columns.text(name, table, column))
    return pc.if_else(pc.equal(pc.utf8_length(text), 0), pa.scalar(None, pa.string()), text)


def _first_outside(values: pa.Array, allowed: tuple[str, ...], nulls_allowed: bool) -> tuple[bool, str | None]:
    """Whether some value is not among `allowed` (a null is, unless `nulls_allowed`), and the first such value."""
    inside = pc.is_in(values, value_set=pa.array(allowed, pa.string())).fill_null(False).to_numpy(zero_copy_only=False)
    if nulls_allowed:
        inside |= ~values.is_valid().to_numpy(zero_copy_only=False)
    bad = np.flatnonzero(~inside)
    return (True, values[int(bad[0])].as_py()) if len(bad) else (False, None)


def read_disclosures(source: str | Path | pa.Table, truth: Truth) -> Disclosures:
    """A system's disclosures, checked against the policy's vocabulary, each mapped to the people its record (and
    its case) names."""
    name, table = adapters.load_table(source, "disclosures")
    _require(name, table, ("record_id", "fields", "recipient", "shared_at", "case", "purpose"), DISCLOSURE_COLUMNS)
    ids = adapters.record_id_column(name, table, "record_id")
    field_row, field = _fields(name, table)
    recipients = _text_column(name, table, "recipient")
    bad, value = _first_outside(recipients, sharing_policy.AGENCIES, nulls_allowed=False)
    if bad:
        raise SynthgenError(
            f"{name}: recipient {shown(value)} is not an agency (allowed: {', '.join(sharing_policy.AGENCIES)})"
        )
    purposes = _text_column(name, table, "purpose")
    bad, value = _first_outside(purposes, sharing_policy.PURPOSES, nulls_allowed=True)
    if bad:
        raise SynthgenError(
            f"{name}: purpose {shown(value)} is not allowed "
            f"(allowed: {', '.join(sharing_policy.PURPOSES)}, or empty for none)"
        )
    shared_at = _dates(name, table, "shared_at")
    mapped = _person_rows(name, ids, "record_id", truth)
    mapped_row = mapped["row"].to_numpy()
    last = np.flatnonzero(np.r_[mapped_row[1:] != mapped_row[:-1], True]) if len(mapped_row) else mapped_row
    cases = columns.text(name, table, "case", integers=True, holding="the flagged record's id")
    case_row, case_person = np.zeros(0, np.int64), np.zeros(0, np.int64)
    with_case = np.flatnonzero(cases.is_valid().to_numpy(zero_copy_only=False))
    if len(with_case):
        case_ids = cases.cast(pa.string()).take(pa.array(with_case))
        case_map = _person_rows(name, case_ids, "case", truth)
        case_row = with_case[case_map["row"].to_numpy()].astype(np.int64)
        case_person = case_map["person_id"].to_numpy()
    return Disclosures(
        rows=table.num_rows,
        record_agency=mapped["agency"].combine_chunks().take(pa.array(last)),
        field_row=field_row,
        field=field,
        recipient=recipients,
        purpose=purposes,
        person_row=mapped_row.astype(np.int64),
        person=mapped["person_id"].to_numpy(),
        case_row=case_row,
        case_person=case_person,
        shared_at=shared_at,
    )
