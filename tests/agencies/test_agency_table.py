"""AgencyTable helpers: concatenating two parts of one table and filtering rows keep table, keys and people aligned."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from synthgen.agencies import AgencyTable, concatenated, filtered


def _part(ids: list[str], keys: list[int], people: list[int]) -> AgencyTable:
    return AgencyTable(
        "health", "gp_registrations", pa.table({"record_id": ids}), np.array(keys, np.uint64), np.array(people)
    )


def test_concatenated_then_filtered_keep_rows_aligned() -> None:
    both = concatenated(_part(["a", "b"], [1, 2], [10, 20]), _part(["c"], [3], [30]))
    kept = filtered(both, np.array([True, False, True]))
    assert (kept.source, kept.name) == ("health", "gp_registrations")
    assert kept.table.column("record_id").to_pylist() == ["a", "c"]
    assert kept.key.tolist() == [1, 3]
    assert kept.person_id.tolist() == [10, 30]
