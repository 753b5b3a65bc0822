"""The error model: truth untouched, every change logged and visible, shares as configured, none when clean."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from synthgen import quality, tables

TRUTH_TABLES = ("people", "households", "addresses", "relationships", "hard_negatives")
FIELDS = tuple(field for field in quality.FIELDS if field != "record")  # every field a record carries


def read(run: Path, table: str, columns: list[str] | None = None) -> pa.Table:
    return pq.read_table(run / f"{table}.parquet", columns=columns)


@pytest.mark.parametrize("table", TRUTH_TABLES)
def test_truth_is_never_altered_by_the_error_model(demo_run: Path, clean_run: Path, table: str) -> None:
    assert read(demo_run, f"truth/{table}").equals(read(clean_run, f"truth/{table}"))


def test_clean_applies_no_errors(clean_run: Path) -> None:
    """Nothing but what cannot be otherwise: a contact about an unborn child names no child yet."""
    records = read(clean_run, "truth/records")
    kinds = pc.struct_field(pc.list_flatten(records["errors"]), "kind")
    assert set(kinds.to_pylist()) <= {"unborn"}
    assert records["duplicate_of"].null_count == records.num_rows
    assert pc.sum(read(clean_run, "truth/quality")["changed"]).as_py() == 0


def _holds(joined: pa.Table, column: str) -> pa.Array:
    """Whether each record's agency table has the column."""
    paths = pc.binary_join_element_wise("agencies/", joined["source"], "/", joined["table"], "")
    holding = [t.path for t in tables.all_tables() if column in t.column_names]
    return pc.is_in(paths, value_set=pa.array(holding))


def _expected_and_recorded(run: Path) -> tuple[dict[str, list[object]], dict[str, list[object]], list[set[str]]]:
    """Per field: the truth value and the recorded value of every linkage record; and each record's logged fields."""
    view = read(run, "linkage/records")
    records = read(run, "truth/records", ["record_id", "table", "person_id", "errors"])
    people = read(run, "truth/people")
    households = read(run, "truth/households", ["household_id", "address_id"])
    addresses = read(run, "truth/addresses", ["address_id", "address_line", "postcode"])
    truth = (
        people.join(households, "household_id")
        .join(addresses, "address_id")
        .rename_columns({"address_line": "truth_address", "postcode": "truth_postcode"})
    )
    joined = view.join(records.drop_columns(["errors"]), "record_id").join(truth, "person_id", right_suffix="_truth")
    errors = records["errors"].take(pc.index_in(joined["record_id"], value_set=records["record_id"]))
    expected = {
        "given_name": joined["given_name_truth"],
        "middle_names": joined["middle_names_truth"],
        "family_name": joined["family_name_truth"],
        "date_of_birth": joined["date_of_birth_truth"],
        "sex": joined["sex_truth"],
        # an identifier is expected where the record's table holds it (the registry says which)
        "nhs_number": pc.if_else(_holds(joined, "nhs_number"), joined["nhs_number_truth"], None),
        "upn": pc.if_else(_holds(joined, "upn"), joined["upn_truth"], None),
        "postcode": joined["truth_postcode"],
        "address": joined["truth_address"],
    }
    recorded = {name: joined[name if name != "address" else "address_line"] for name in FIELDS}
    logged = [{e["field"] for e in record} for record in errors.to_pylist()]
    return (
        {k: v.to_pylist() for k, v in expected.items()},
        {k: v.to_pylist() for k, v in recorded.items()},
        logged,
    )


@pytest.mark.parametrize("run_name", ["demo_run", "clean_run"])
def test_every_change_is_logged_and_every_logged_change_is_visible(
    run_name: str, request: pytest.FixtureRequest
) -> None:
    run = request.getfixturevalue(run_name)
    expected, recorded, logged = _expected_and_recorded(run)
    for field in FIELDS:
        unexplained = [
            i
            for i, (e, r) in enumerate(zip(expected[field], recorded[field], strict=True))
            if e != r and field not in logged[i]
        ]
        invisible = [
            i
            for i, (e, r) in enumerate(zip(expected[field], recorded[field], strict=True))
            if e == r and field in logged[i]
        ]
        assert unexplained == [], f"{field}: {len(unexplained)} records differ from the truth with no logged error"
        assert invisible == [], f"{field}: {len(invisible)} logged errors leave the record as the truth has it"


def test_error_shares_match_the_configured_rates(demo_run: Path) -> None:
    """Each error's share of the records eligible for it is the share its rates lead one to expect: the configured
    rate, weighted by the eligible records' groups where a group-dependent mechanism multiplies it."""
    summary = (
        read(demo_run, "truth/quality")
        .group_by(["source", "field", "kind", "rate"])
        .aggregate([("eligible", "sum"), ("changed", "sum"), ("expected", "sum")])
    )
    checked = weighted = 0
    for row in summary.to_pylist():
        rate, eligible, changed = row["rate"], row["eligible_sum"], row["changed_sum"]
        if row["kind"] == "ocr" or eligible < 100 or rate == 0:
            continue  # OCR changes only values holding a confusable sequence; rare kinds cannot be measured
        expected = row["expected_sum"] / eligible
        assert expected >= rate - 1e-12, row  # the default multipliers only raise a rate
        weighted += expected > rate + 1e-9
        tolerance = 4 * math.sqrt(expected * (1 - expected) / eligible) + 0.002
        assert abs(changed / eligible - expected) <= tolerance, row
        checked += 1
    assert checked >= 25 and weighted >= 5


def test_scenario_overrides_change_the_rates() -> None:
    rates = quality.rates_for("realistic", {"health": {"nhs_number": {"missing": 0.3}}})
    assert rates["health"][("nhs_number", "missing")] == 0.3
    assert rates["health"][("nhs_number", "transposition")] > 0
    assert all(value == 0 for value in quality.rates_for("clean")["health"].values())
    messy, realistic = quality.rates_for("messy")["school"], quality.rates_for("realistic")["school"]
    assert all(messy[key] >= realistic[key] for key in realistic)


def test_duplicates_point_to_an_original_of_the_same_person(demo_run: Path) -> None:
    records = read(demo_run, "truth/records", ["record_id", "person_id", "duplicate_of", "source"])
    duplicates = records.filter(pc.is_valid(records["duplicate_of"]))
    assert duplicates.num_rows > 100
    originals = records.select(["record_id", "person_id", "source"]).rename_columns(
        ["duplicate_of", "original_person", "original_source"]
    )
    joined = duplicates.join(originals, "duplicate_of")
    assert joined.num_rows == duplicates.num_rows
    assert joined["person_id"].to_pylist() == joined["original_person"].to_pylist()
    assert joined["source"].to_pylist() == joined["original_source"].to_pylist()


def test_hard_negatives_come_from_the_population(demo_run: Path) -> None:
    pairs = read(demo_run, "truth/hard_negatives")
    people = read(demo_run, "truth/people", ["person_id", "date_of_birth", "family_name", "given_name", "household_id"])
    left = people.rename_columns([f"{c}_l" if c != "person_id" else "person_id_l" for c in people.column_names])
    right = people.rename_columns([f"{c}_r" if c != "person_id" else "person_id_r" for c in people.column_names])
    joined = pairs.join(left, "person_id_l").join(right, "person_id_r")
    assert set(joined["kind"].to_pylist()) == {"twins", "siblings", "same_name_relatives", "same_name_same_area"}
    strangers = joined.filter(pc.equal(joined["kind"], "same_name_same_area")).to_pylist()
    assert strangers and all(
        t["given_name_l"] == t["given_name_r"]
        and t["family_name_l"] == t["family_name_r"]
        and t["household_id_l"] != t["household_id_r"]
        for t in strangers
    )
    twins = joined.filter(pc.equal(joined["kind"], "twins")).to_pylist()
    assert twins and all(
        t["date_of_birth_l"] == t["date_of_birth_r"] and t["household_id_l"] == t["household_id_r"] for t in twins
    )
    namesakes = joined.filter(pc.equal(joined["kind"], "same_name_relatives")).to_pylist()
    assert namesakes and all(
        t["given_name_l"] == t["given_name_r"] and t["family_name_l"] == t["family_name_r"] for t in namesakes
    )


def _cross_source_pairs(run: Path) -> pa.Table:
    pairs = read(run, "truth/pairs")
    view = read(run, "linkage/records", ["record_id", "given_name", "family_name", "date_of_birth", "nhs_number"])
    left = view.rename_columns([f"{c}_l" if c != "record_id" else "unique_id_l" for c in view.column_names])
    right = view.rename_columns([f"{c}_r" if c != "record_id" else "unique_id_r" for c in view.column_names])
    joined = pairs.join(left, "unique_id_l").join(right, "unique_id_r")
    return joined


def _born(run: Path) -> pa.Array:
    """The linkage records of people who existed when the record was made (not a contact about an unborn child)."""
    records = read(run, "truth/records", ["record_id", "errors"])
    flat = pc.list_flatten(records["errors"])
    parent = pc.list_parent_indices(records["errors"]).to_numpy()
    unborn = pc.equal(pc.struct_field(flat, "kind"), "unborn").to_numpy(zero_copy_only=False)
    keep = np.ones(records.num_rows, bool)
    keep[parent[unborn]] = False
    return records["record_id"].filter(pa.array(keep))


def _found_by_name_and_dob(pairs: pa.Table) -> float:
    same = np.ones(pairs.num_rows, bool)
    for column in ("given_name", "family_name", "date_of_birth"):
        same &= pc.fill_null(pc.equal(pairs[f"{column}_l"], pairs[f"{column}_r"]), False).to_numpy(zero_copy_only=False)
    return float(same.mean())


def test_difficulty_is_real_under_realistic_and_absent_when_clean(demo_run: Path, clean_run: Path) -> None:
    realistic, clean = _cross_source_pairs(demo_run), _cross_source_pairs(clean_run)
    born = _born(clean_run)
    clean = clean.filter(
        pc.and_(pc.is_in(clean["unique_id_l"], value_set=born), pc.is_in(clean["unique_id_r"], value_set=born))
    )
    assert _found_by_name_and_dob(clean) == 1.0
    assert _found_by_name_and_dob(realistic) < 0.85  # an exact name and birth-date key misses a real share
    nhs_found = pc.fill_null(pc.equal(realistic["nhs_number_l"], realistic["nhs_number_r"]), False)
    assert pc.mean(nhs_found.cast(pa.float64())).as_py() < 0.5  # schools hold no NHS number
