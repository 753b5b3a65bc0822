"""Whose every agency record is: the truth behind the event tables."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from synthgen import tables
from synthgen.agencies import AgencyTable


def events_table(events: list[AgencyTable]) -> pa.Table:
    """Whose every event record is (an A&E attendance, a role in a police incident): source, table, the
    record's id in its table (the registry's id column), and the person."""
    if not events:
        return tables.table("truth/events").schema.empty_table()
    return pa.concat_tables(
        [
            pa.table(
                {
                    "source": pa.array(np.full(e.table.num_rows, e.source, dtype=object), pa.string()),
                    "table": pa.array(np.full(e.table.num_rows, e.name, dtype=object), pa.string()),
                    "record_id": e.table.column(tables.table(e.path).id_column or "record_id").combine_chunks(),
                    "person_id": pa.array(e.person_id),
                }
            )
            for e in events
        ]
    )
