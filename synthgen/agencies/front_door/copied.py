"""Details copied from what an agency holds, with the errors they carry: a record made from another agency's
record (a police notification's subjects, the early help record of a child social care knows) says what that
record says, so the copy's truth lists the original's logged errors for the fields it took."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen.agencies import AgencyTable
from synthgen.agencies.producer import Changes, Context
from synthgen.kernel.arrays import ranges

COPIED = ("given_name", "middle_names", "family_name", "date_of_birth", "address_line", "postcode")
FIELD_OF = {"address_line": "address"}
"""The data-quality model's name for a copied column where it differs (the address line is the address)."""


def held_rows(held: AgencyTable, person_id: NDArray[np.int64]) -> NDArray[np.int64]:
    """Each person's first row in an agency's table (its original, not a duplicate), -1 where it has none."""
    result = np.full(len(person_id), -1, np.int64)
    if not len(held.person_id):
        return result
    ids, first = np.unique(held.person_id, return_index=True)
    at = np.minimum(np.searchsorted(ids, person_id), len(ids) - 1)
    found = ids[at] == person_id
    result[found] = first[at[found]]
    return result


def _changes_of(changes: Changes, held_row: NDArray[np.int64], fields: set[str]) -> Changes:
    """The original rows' logged changes to the copied fields, as changes of the copies (row i copies held_row[i],
    -1: copies nothing)."""
    order = np.argsort(changes.rows, kind="stable")
    rows = changes.rows[order]
    low = np.searchsorted(rows, held_row, side="left")
    high = np.searchsorted(rows, held_row, side="right")
    count = np.where(held_row >= 0, high - low, 0)
    copy = np.repeat(np.arange(len(held_row)), count)
    entry = order[ranges(low, count)]
    keep = np.isin(changes.fields[entry], sorted(fields))
    return Changes(copy[keep], changes.kinds[entry][keep], changes.fields[entry][keep])


def copy_held(
    ctx: Context, details: dict[str, pa.Array], person_id: NDArray[np.int64], path: str, use: NDArray[np.bool_]
) -> tuple[dict[str, pa.Array], Changes]:
    """The rows marked `use` take the details the agency's table at `path` holds of the person, where it holds
    them; returns the details and the copied errors."""
    held = ctx.held.get(path)
    if held is None or not held.table.num_rows:
        return details, Changes.none()
    row = np.where(use, held_rows(held, person_id), -1)
    taken = row >= 0
    if not taken.any():
        return details, Changes.none()
    index = pa.array(np.where(taken, row, 0))
    fields = set()
    for name in COPIED:
        if name in held.table.column_names:
            copied = held.table.column(name).combine_chunks().take(index).cast(details[name].type)
            details[name] = pc.if_else(pa.array(taken), copied, details[name])
            fields.add(FIELD_OF.get(name, name))
    changes = ctx.held_changes.get(path, Changes.none())
    return details, _changes_of(changes, row, fields)


def joined(parts: list[Changes]) -> Changes:
    return Changes(
        np.concatenate([p.rows for p in parts]) if parts else np.zeros(0, np.int64),
        np.concatenate([p.kinds for p in parts]) if parts else np.zeros(0, dtype=object),
        np.concatenate([p.fields for p in parts]) if parts else np.zeros(0, dtype=object),
    )


def blanked(before: pa.Array, after: pa.Array, kind: str, field: str) -> Changes:
    """A change wherever a value was there before and is gone after."""
    rows = np.flatnonzero(
        before.is_valid().to_numpy(zero_copy_only=False) & after.is_null().to_numpy(zero_copy_only=False)
    )
    return Changes(
        rows.astype(np.int64), np.full(len(rows), kind, dtype=object), np.full(len(rows), field, dtype=object)
    )


def altered(before: pa.Array, after: pa.Array, kind: str, field: str) -> Changes:
    """A change wherever a value is still there but no longer the same."""
    differs = pc.fill_null(pc.not_equal(before, after), False).to_numpy(zero_copy_only=False)
    rows = np.flatnonzero(differs)
    return Changes(
        rows.astype(np.int64), np.full(len(rows), kind, dtype=object), np.full(len(rows), field, dtype=object)
    )
