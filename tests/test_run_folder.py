"""Reading a run's tables: the rows a scoring asks for by id."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from synthgen.run_folder import open_run

COLUMNS = ["record_id", "source", "family_name"]


def test_reading_matching_rows_gives_those_rows_and_none_gives_an_empty_table_of_the_same_columns(
    demo_run: Path,
) -> None:
    run = open_run(demo_run)
    whole = run.read("linkage/records", COLUMNS)
    some = whole["record_id"].take(pa.array([0, 7, whole.num_rows - 1]))
    found = run.read_matching("linkage/records", "record_id", some, COLUMNS)
    assert sorted(found["record_id"].to_pylist()) == sorted(some.to_pylist())
    assert found.schema == whole.schema
    none = run.read_matching("linkage/records", "record_id", pa.array([], pa.string()), COLUMNS)
    assert none.num_rows == 0
    assert none.schema == whole.schema
