"""Agency files never leak truth: no truth keys, random record ids, rows in no order that follows people."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

TRUTH_KEYS = {"person_id", "household_id", "address_id", "relative_id"}


def agency_files(run: Path) -> list[Path]:
    return sorted((run / "agencies").rglob("*.parquet"))


def test_no_truth_keys_in_agency_files(demo_run: Path) -> None:
    for path in agency_files(demo_run):
        assert not TRUTH_KEYS & set(pq.read_schema(path).names), path


def test_every_agency_record_maps_to_exactly_one_person(demo_run: Path) -> None:
    records = pq.read_table(
        demo_run / "truth/records.parquet", columns=["record_id", "source_record_id", "table", "person_id"]
    )
    ids = records["record_id"].to_pylist()
    assert len(ids) == len(set(ids))
    people = set(pq.read_table(demo_run / "truth/people.parquet")["person_id"].to_pylist())
    assert set(records["person_id"].to_pylist()) <= people
    for table in ("health/gp_registrations", "school/pupils"):
        agency_ids = pq.read_table(demo_run / f"agencies/{table}.parquet")["record_id"].to_pylist()
        of_table = records.filter(pc.field("table") == table.split("/")[1])["source_record_id"].to_pylist()
        assert sorted(agency_ids) == sorted(of_table), table
    linkage_ids = pq.read_table(demo_run / "linkage/records.parquet")["record_id"].to_pylist()
    assert sorted(linkage_ids) == sorted(ids)


@pytest.mark.parametrize("table", ["health/gp_registrations", "school/pupils", "linkage/records"])
def test_rows_are_not_in_person_or_household_order(demo_run: Path, table: str) -> None:
    path = demo_run / (f"{table}.parquet" if table.startswith("linkage") else f"agencies/{table}.parquet")
    agency = pq.read_table(path).select(["record_id"])
    id_column = "record_id" if table.startswith("linkage") else "source_record_id"
    records = pq.read_table(demo_run / "truth/records.parquet").select([id_column, "person_id"])
    joined = agency.join(records, "record_id", id_column)
    person = joined.sort_by([("record_id", "ascending")])["person_id"].to_numpy()
    # rows are written in record-id order, and record ids are a keyed permutation: no correlation with people
    assert pq.read_table(path)["record_id"].to_pylist() == sorted(agency["record_id"].to_pylist())
    rank = np.argsort(np.argsort(person))
    assert abs(np.corrcoef(rank, np.arange(len(rank)))[0, 1]) < 0.05
    adjacent_same_household = np.mean(np.abs(np.diff(person)) < 8)
    assert adjacent_same_household < 0.01


def test_files_carry_synthetic_metadata_and_match_the_manifest(demo_run: Path) -> None:
    manifest = json.loads((demo_run / "manifest.json").read_text())
    assert manifest["synthetic"] is True
    listed = {table["path"] for table in manifest["tables"]}
    on_disk = {str(p.relative_to(demo_run)) for p in demo_run.rglob("*.parquet")}
    assert listed == on_disk
    for table in manifest["tables"]:
        metadata = pq.read_schema(demo_run / table["path"]).metadata
        assert metadata[b"synthgen.synthetic"] == b"true"
        assert metadata[b"synthgen.scenario_sha256"].decode() == manifest["scenario_sha256"]
        assert pq.read_metadata(demo_run / table["path"]).num_rows == table["rows"]
