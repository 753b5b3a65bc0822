"""When each agency record became known to its agency: the day it was first on the agency's system.

What a partner check could have found on the day of a contact, and what a feed would have carried by a day,
both rest on this. A record is known from its registry date (`known_from`, else the date it is filed under); a
role in a police incident from the incident's day; a police nominal from the first incident the person was in;
the local authority's child record from the child's first referral, a contact's subject from the contact; a
half-term's attendance from the
half-term's last school day. Undated records (a looked-after child's UASC status, a care leaver's return) are
NaT: held from before the period.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen import signals, tables
from synthgen.agencies import AgencyTable
from synthgen.agencies.producer import Context

Day = NDArray[np.datetime64]


def _first_by(keys: pa.Array, on: Day, lookup: pa.Array) -> Day:
    """For each value of `lookup`, the earliest `on` among the rows whose key equals it (NaT where none)."""
    codes = pc.index_in(lookup, value_set=pc.unique(keys))
    key_codes = pc.index_in(keys, value_set=pc.unique(keys)).to_numpy(zero_copy_only=False)
    first = np.full(len(pc.unique(keys)), np.datetime64("NaT"), dtype="datetime64[D]")
    order = np.lexsort((on, key_codes))
    sorted_codes = key_codes[order]
    starts = np.r_[True, sorted_codes[1:] != sorted_codes[:-1]] if len(order) else np.zeros(0, bool)
    first[sorted_codes[starts]] = on[order][starts]
    found = codes.is_valid().to_numpy(zero_copy_only=False)
    result = np.full(len(lookup), np.datetime64("NaT"), dtype="datetime64[D]")
    result[found] = first[codes.to_numpy(zero_copy_only=False)[found].astype(np.int64)]
    return result


def known_on(ctx: Context, table: AgencyTable) -> Day:
    """The day each row of an agency table became known to the agency (NaT: from before the period, or undated)."""
    entry = tables.table(table.path)
    if table.day is not None:
        return table.day.astype("datetime64[D]")
    column = entry.known_from or entry.event_date
    if column is not None:
        return signals.days(table.table.column(column).combine_chunks())
    records = table.table
    if table.path == "agencies/school/attendance":
        years = records.column("academic_year").fill_null("")
        numbers = records.column("half_term").fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
        return signals.half_term_last_days(years, numbers)
    if table.path == "agencies/police/persons":
        roles = ctx.made.get("agencies/police/incident_persons")
        if roles is not None and roles.day is not None:
            return _first_by(pa.array(roles.person_id), roles.day, pa.array(table.person_id))
    if table.path == "agencies/social_care/children":
        referrals = ctx.made.get("agencies/social_care/referrals")
        if referrals is not None:
            on = signals.days(referrals.table.column("referral_date").combine_chunks())
            lookup = records.column("la_child_id").combine_chunks()
            return _first_by(referrals.table.column("la_child_id").combine_chunks(), on, lookup)
    if table.path == "agencies/social_care/contact_subjects":
        contacts = ctx.made.get("agencies/social_care/contacts")
        if contacts is not None:
            on = signals.days(contacts.table.column("received_at").combine_chunks())
            lookup = records.column("contact_id").combine_chunks()
            return _first_by(contacts.table.column("contact_id").combine_chunks(), on, lookup)
    return np.full(records.num_rows, np.datetime64("NaT"), dtype="datetime64[D]")
