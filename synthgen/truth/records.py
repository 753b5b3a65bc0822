"""Whose every agency record is: the truth behind the event tables."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from synthgen import tables
from synthgen.agencies import AgencyTable
from synthgen.agencies.known import known_on
from synthgen.agencies.producer import Context
from synthgen.kernel import strings


def events_table(ctx: Context, events: list[AgencyTable]) -> pa.Table:
    """Whose every event record is (an A&E attendance, a role in a police incident): source, table, the
    record's id in its table (the registry's id column), the person, and the day the agency first held it."""
    if not events:
        return tables.table("truth/events").schema.empty_table()
    return pa.concat_tables(
        [
            pa.table(
                {
                    "source": strings.repeated(e.source, e.table.num_rows),
                    "table": strings.repeated(e.name, e.table.num_rows),
                    "record_id": e.table.column(tables.table(e.path).id_column or "record_id").combine_chunks(),
                    "person_id": pa.array(e.person_id),
                    "known_on": _days(known_on(ctx, e)),
                }
            )
            for e in events
        ]
    )


def _days(day: np.ndarray) -> pa.Array:
    return pa.array(day.astype("datetime64[D]"), pa.date32(), mask=np.isnat(day))


def with_known_on(ctx: Context, records: pa.Table, held: AgencyTable) -> pa.Table:
    """truth/records rows of one person-level table, with the day the agency first held each record."""
    return records.append_column("known_on", _days(known_on(ctx, held)))
