"""The pupil register: reception to Year 11, valid UPNs, and FSM and SEN at England's shares (clean run)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from synthgen.kernel import identifiers


@pytest.fixture(scope="module")
def pupils(clean_run: Path):  # type: ignore[no-untyped-def]
    return pq.read_table(clean_run / "agencies/school/pupils.parquet")


def test_upns_valid_unique_and_mostly_from_the_scenarios_la(pupils) -> None:  # type: ignore[no-untyped-def]
    upn = pupils["upn"].to_numpy(zero_copy_only=False)
    assert identifiers.is_valid_upn(upn).all()
    assert len(set(upn)) == len(upn)
    local = np.array([value[1:4] == "372" for value in upn])
    assert 0.93 < local.mean() < 0.99  # about 4% moved in holding another LA's UPN


def _age_on(day: dt.date, born: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def test_year_groups_match_ages(pupils) -> None:  # type: ignore[no-untyped-def]
    cutoff = dt.date(2023, 8, 31)  # the academic year running on 1 April 2024 began in September 2023
    for born, group in zip(pupils["date_of_birth"].to_pylist(), pupils["year_group"].to_pylist(), strict=True):
        assert _age_on(cutoff, born) - 4 == (0 if group == "R" else int(group))


def test_coverage_of_school_age_children(pupils, clean_run: Path) -> None:  # type: ignore[no-untyped-def]
    people = pq.read_table(clean_run / "truth/people.parquet").filter(pc.field("resident"))
    dob = people["date_of_birth"].to_numpy().astype("datetime64[D]")
    age = (np.datetime64("2023-08-31") - dob).astype(int) // 365.25
    school_age = int(((age >= 4) & (age <= 15)).sum())
    # about 6% at independent schools and 1.2% educated at home are not on the state register
    assert pupils.num_rows / school_age == pytest.approx(0.928, abs=0.02)


@pytest.mark.parametrize(
    ("column", "value", "share", "tolerance"),
    [
        (
            "fsm_eligible",
            True,
            0.257,
            0.03,
        ),  # DfE 2024/25; household-level draws, so wider than binomial noise
        ("sen_provision", "E", 0.053, 0.012),
        ("sen_provision", "K", 0.142, 0.02),
    ],
)
def test_fsm_and_sen_shares(pupils, column: str, value: object, share: float, tolerance: float) -> None:  # type: ignore[no-untyped-def]
    assert np.mean(np.array(pupils[column].to_pylist()) == value) == pytest.approx(share, abs=tolerance)


def test_pupils_attend_schools_of_their_phase(pupils, clean_run: Path) -> None:  # type: ignore[no-untyped-def]
    schools = pq.read_table(clean_run / "agencies/school/schools.parquet")
    joined = pupils.select(["school_urn", "year_group"]).join(schools.select(["school_urn", "phase"]), "school_urn")
    assert joined.num_rows == pupils.num_rows
    secondary = np.isin(joined["year_group"].to_numpy(zero_copy_only=False), ["7", "8", "9", "10", "11"])
    assert np.all((joined["phase"].to_numpy(zero_copy_only=False) == "secondary") == secondary)
