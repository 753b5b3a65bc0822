"""GP registrations: every registered resident once under a valid NHS number, plus England's list inflation.

These read the `clean` run: the register as the truth has it. The realistic profile's changes to it are tested
in tests/quality.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from synthgen.kernel import identifiers


def read(run: Path, table: str):  # type: ignore[no-untyped-def]
    return pq.read_table(run / f"{table}.parquet")


def test_nhs_numbers_valid_unique_and_from_the_test_range(clean_run: Path) -> None:
    gp = read(clean_run, "agencies/health/gp_registrations")
    nhs = gp["nhs_number"].to_numpy(zero_copy_only=False)
    assert identifiers.is_valid_nhs_number(nhs).all()
    assert all(value.startswith("999") for value in nhs)
    assert len(set(nhs)) == len(nhs)


def test_list_inflation_and_coverage(clean_run: Path) -> None:
    people = read(clean_run, "truth/people")
    records = (
        read(clean_run, "truth/records").select(["table", "person_id"]).filter(pc.field("table") == "gp_registrations")
    )
    registered = set(records["person_id"].to_pylist())
    resident = people.filter(pc.field("resident"))
    former = people.filter(~pc.field("resident"))
    covered = np.isin(resident["person_id"].to_numpy(), list(registered)).mean()
    assert covered == pytest.approx(0.985, abs=0.005)  # 1.5% of residents on no GP list (design)
    assert np.isin(former["person_id"].to_numpy(), list(registered)).all()
    inflation = len(registered) / resident.num_rows - 1
    assert 0.02 < inflation < 0.06  # registered exceed residents by about 4% (NHS Digital 2022)


def test_former_residents_are_registered_at_their_old_address(clean_run: Path) -> None:
    gp = read(clean_run, "agencies/health/gp_registrations")
    records = read(clean_run, "truth/records").select(["source_record_id", "person_id"])
    people = read(clean_run, "truth/people").filter(~pc.field("resident"))
    households = read(clean_run, "truth/households")
    addresses = read(clean_run, "truth/addresses")
    joined = (
        records.join(people.select(["person_id", "household_id"]), "person_id", join_type="inner")
        .join(households.select(["household_id", "address_id", "moved_out_on"]), "household_id")
        .join(addresses.select(["address_id", "postcode"]), "address_id")
        .join(
            gp.select(["record_id", "postcode", "registration_date"]),
            "source_record_id",
            "record_id",
            right_suffix="_gp",
        )
    )
    assert joined.num_rows == people.num_rows
    assert joined["postcode"].to_pylist() == joined["postcode_gp"].to_pylist()
    assert pc.all(pc.less_equal(joined["registration_date"], joined["moved_out_on"])).as_py()


def test_practices_have_ods_codes(clean_run: Path) -> None:
    practices = read(clean_run, "agencies/health/practices")
    codes = practices["practice_ods_code"].to_pylist()
    assert all(re.fullmatch(r"[A-Z]\d{5}", code) for code in codes)
    gp = read(clean_run, "agencies/health/gp_registrations")
    assert set(gp["practice_ods_code"].to_pylist()) <= set(codes)


def test_sex_uses_nhs_codes(clean_run: Path) -> None:
    gp = read(clean_run, "agencies/health/gp_registrations")
    assert set(gp["sex"].to_pylist()) == {"1", "2"}
