"""The run-level namesake pass, done a bucket of districts at a time, finds the pairs a pass over the whole merged
truth finds, and writes truth/hard_negatives with the bytes of writing it whole."""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import synthgen
from synthgen import namesake_pass
from synthgen.outputs import parquet
from synthgen.outputs.storage import Store
from synthgen.run_folder import open_run
from synthgen.scenario import plan as plan_module
from synthgen.truth import population


@pytest.mark.parametrize("finding_rows", [1, 1_000, 10**6])
def test_namesakes_found_by_bucket_are_those_of_the_whole_run(
    write_scenario: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, finding_rows: int
) -> None:
    """Whether a task finds the namesakes of one bucket of districts, of a few, or of all of them."""
    monkeypatch.setattr(plan_module, "SHARD_PEOPLE", 1_500)
    monkeypatch.setattr(namesake_pass, "FINDING_ROWS", finding_rows)
    synthgen.generate(synthgen.load_scenario(write_scenario(people=4_500)), tmp_path / "run")
    run = open_run(tmp_path / "run")
    assert run.manifest["shards"] == 3
    whole = population.namesakes(
        run.read("truth/people", ["person_id", "household_id", "given_name", "family_name", "resident"]),
        run.read("truth/households", ["household_id", "address_id"]),
        run.read("truth/addresses", ["address_id", "outward_code"]),
    )
    negatives = run.read("truth/hard_negatives")
    written = negatives.filter(pc.equal(negatives["kind"], "same_name_same_area"))
    assert whole.num_rows > 0
    assert written.equals(whole.cast(written.schema))


@pytest.mark.parametrize("partitioned", [False, True])
def test_the_bytes_do_not_depend_on_how_the_buckets_are_split_into_tasks(
    write_scenario: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, partitioned: bool
) -> None:
    monkeypatch.setattr(plan_module, "SHARD_PEOPLE", 1_500)
    scenario = synthgen.load_scenario(write_scenario(people=4_500))
    manifests = []
    for finding_rows in (1, 10**6):
        monkeypatch.setattr(namesake_pass, "FINDING_ROWS", finding_rows)
        spans = namesake_pass.finding_spans(np.array([5, 2, 7], dtype=np.int64))
        assert len(spans) == (3 if finding_rows == 1 else 1)
        manifests.append(synthgen.generate(scenario, tmp_path / str(finding_rows), partitioned=partitioned))
    assert manifests[0] == manifests[1]


def test_a_streamed_file_has_the_bytes_of_a_table_written_whole(tmp_path: Path) -> None:
    """Row groups re-cut to write_table's size, from pieces of any size, give write_table's own bytes."""
    rng = np.random.default_rng(5)
    rows = namesake_pass.WHOLE_FILE_ROW_GROUP * 2 + 12_345
    table = pa.table(
        {
            "person_id_l": pa.array(np.sort(rng.integers(0, 10**9, rows))),
            "person_id_r": pa.array(rng.integers(0, 10**9, rows)),
            "kind": pa.array(rng.choice(["twins", "siblings", "same_name_same_area"], rows)),
        }
    )
    meta = {"synthgen.table": "truth/hard_negatives"}
    whole = io.BytesIO()
    pq.write_table(
        table.replace_schema_metadata(meta),
        whole,
        compression=parquet.COMPRESSION,
        use_dictionary=parquet.dictionary_columns(table),
    )
    cuts = [0, 7, 400_000, 1_048_576, 1_500_000, 2_090_000, rows]
    pieces = (table.slice(a, b - a) for a, b in itertools.pairwise(cuts))
    written = parquet.write_row_groups(
        Store(str(tmp_path)), "t.parquet", namesake_pass._whole_file_row_groups(pieces), meta, table.schema
    )
    assert written["rows"] == rows
    assert (tmp_path / "t.parquet").read_bytes() == whole.getvalue()
