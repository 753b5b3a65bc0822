"""The truth behind a partner check: every record about a contact's child and household that an agency held on
the day of the contact.

A hub that checked perfectly would find exactly these: each agency's person records (a police nominal, a GP
registration, a pupil record, the authority's own child record) and event records (an incident, an attendance,
a referral) about the child or anyone in the child's household, known to the agency (synthgen/agencies/known.py)
on or before the day the contact came in. Records from before the period count as known.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen import tables
from synthgen.agencies.front_door.contacts import Contacts
from synthgen.agencies.front_door.handling import CHECKED
from synthgen.agencies.front_door.people import Everyone
from synthgen.agencies.known import known_on
from synthgen.agencies.producer import Context
from synthgen.kernel import strings
from synthgen.kernel.arrays import ranges

AGENCIES = tables.AGENCIES


@dataclass(frozen=True)
class Known:
    """Every record about a contact's child or household known by the contact's day, one row per (contact,
    record)."""

    contact: NDArray[np.int64]
    agency: NDArray[np.int64]  # index into AGENCIES
    table: pa.Array  # the table's name
    record_id: pa.Array
    person_id: NDArray[np.int64]
    relation: pa.Array  # child or household
    known: NDArray[np.datetime64]  # NaT: from before the period

    def held_by(self, contacts: int) -> NDArray[np.bool_]:
        """[contact, partner]: whether each checked partner (CHECKED) held anything on the contact's family."""
        result = np.zeros((contacts, len(CHECKED)), bool)
        for index, partner in enumerate(CHECKED):
            mine = self.agency == AGENCIES.index(partner)
            result[self.contact[mine], index] = True
        return result


def _all_records(
    ctx: Context,
) -> tuple[NDArray[np.int64], NDArray[np.int64], pa.Array, NDArray[np.int64], NDArray[np.datetime64], tuple[str, ...]]:
    """(agency, table, record id, person id, known on) of every record the shard's agencies have made so far; the
    table as its place in the list of table names that comes last (named only for the records kept)."""
    agency, name, ids, person, known = [], [], [], [], []
    every = [*ctx.made.values(), *ctx.held.values()]
    for index, table in enumerate(every):
        entry = tables.table(table.path)
        n = table.table.num_rows
        agency.append(np.full(n, AGENCIES.index(table.source), np.int64))
        name.append(np.full(n, index, np.int64))
        ids.append(table.table.column(entry.id_column or "record_id").combine_chunks().cast(pa.string()))
        person.append(table.person_id)
        known.append(known_on(ctx, table))
    if not agency:
        empty = np.zeros(0, np.int64)
        return empty, empty, pa.array([], pa.string()), empty, np.zeros(0, "datetime64[D]"), ()
    return (
        np.concatenate(agency),
        np.concatenate(name),
        pa.concat_arrays(ids),
        np.concatenate(person),
        np.concatenate(known),
        tuple(table.name for table in every),
    )


def known_records(ctx: Context, people: Everyone, contacts: Contacts) -> Known:
    agency, name, ids, person, known, names = _all_records(ctx)
    row = people.rows(person)
    valid = (row >= 0) & (row < len(people))
    household = np.where(valid, people.household[np.where(valid, row, 0)], -1)
    order = np.argsort(household, kind="stable")
    order = order[household[order] >= 0]
    sorted_household = household[order]
    child_household = people.household[contacts.person_row]
    low = np.searchsorted(sorted_household, child_household, side="left")
    high = np.searchsorted(sorted_household, child_household, side="right")
    contact = np.repeat(np.arange(len(contacts)), high - low)
    record = order[ranges(low, high - low)]
    start = np.datetime64(ctx.plan.period_start, "D")
    day = start + contacts.day[contact].astype("timedelta64[D]")
    by_then = np.isnat(known[record]) | (known[record] <= day)
    contact, record = contact[by_then], record[by_then]
    own = row[record] == contacts.person_row[contact]
    return Known(
        contact=contact,
        agency=agency[record],
        table=strings.labelled(names, name[record]),
        record_id=ids.take(pa.array(record, pa.int64())),
        person_id=person[record],
        relation=pc.if_else(pa.array(own, pa.bool_()), strings.text("child"), strings.text("household")),
        known=known[record],
    )
