"""Periods of any length validation accepts generate: two and three years (a three-year period once ran out of NHS
numbers for its babies), down to four weeks; validation refuses what generation cannot do."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import synthgen
from tests.conftest import SCENARIO


def _scenario(write_scenario: Callable[..., Path], start: str, end: str, people: int = 1500, extra: str = "") -> Path:
    text = SCENARIO.format(name="period", seed=11, people=people)
    text = text.replace("start: 2024-04-01", f"start: {start}").replace("end: 2025-03-31", f"end: {end}")
    return write_scenario(text + extra)


@pytest.mark.parametrize(("start", "years"), [("2023-04-01", 2), ("2022-04-01", 3)])
def test_a_multi_year_period_generates_and_exports(
    write_scenario: Callable[..., Path], tmp_path: Path, start: str, years: int
) -> None:
    scenario = synthgen.load_scenario(_scenario(write_scenario, start, "2025-03-31"))
    out = tmp_path / "run"
    manifest = synthgen.generate(scenario, out)
    assert manifest["period"] == {"start": start, "end": "2025-03-31"}
    people = pq.read_table(out / "truth" / "people.parquet", columns=["date_of_birth", "nhs_number"])
    first_day = pc.strptime(start, "%Y-%m-%d", "s").cast("date32")
    babies = people.filter(pc.greater_equal(people["date_of_birth"], first_day))
    assert babies.num_rows > 10 * years  # each year's babies, each with an NHS number of its own
    assert babies["nhs_number"].null_count == 0
    assert len(pc.unique(babies["nhs_number"])) == babies.num_rows
    assert synthgen.describe(out)
    synthgen.export_ssda903(out, tmp_path / "903")
    census = synthgen.export_cin_census(out, tmp_path / "cin.xml")
    assert census.year.year == 2025  # the last whole collection year


def test_four_weeks_generate(write_scenario: Callable[..., Path], tmp_path: Path) -> None:
    scenario = synthgen.load_scenario(_scenario(write_scenario, "2024-08-01", "2024-08-28", people=600))
    synthgen.generate(scenario, tmp_path / "run")
    assert synthgen.open_run(tmp_path / "run").has("truth/people")


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (
            "2024-04-01",
            "2024-04-27",
            "period.end: the period from 2024-04-01 to 2024-04-27 is 27 days; it must be 28 at least",
        ),
        (
            "2015-04-01",
            "2025-04-01",
            "period.end: the period from 2015-04-01 to 2025-04-01 is 3,654 days; it may be 3,653 at most",
        ),
        (
            "1949-12-31",
            "1950-12-31",
            "period.start: 1949-12-31 is outside the dates a period may cover (1950-01-01 to 2099-12-31)",
        ),
        (
            "2024-02-30",
            "2025-03-31",
            "period.start: must be a valid date or datetime, day value is outside expected range",
        ),
        (
            "2024-13-01",
            "2025-03-31",
            "period.start: must be a valid date or datetime, month value is outside expected range of 1-12",
        ),
    ],
)
def test_a_period_generation_cannot_do_is_refused(
    write_scenario: Callable[..., Path], start: str, end: str, message: str
) -> None:
    path = _scenario(write_scenario, start, end)
    with pytest.raises(synthgen.ScenarioError) as caught:
        synthgen.load_scenario(path)
    assert [line.split(": ", 1)[1] for line in caught.value.lines] == [message]


def test_a_storyline_needs_a_period_it_can_begin_in(write_scenario: Callable[..., Path]) -> None:
    path = _scenario(
        write_scenario, "2024-04-01", "2024-05-31", extra="storylines:\n  - {template: domestic_abuse, count: 1}\n"
    )
    with pytest.raises(synthgen.ScenarioError) as caught:
        synthgen.load_scenario(path)
    assert caught.value.lines == [
        f"{path}:14: storylines[0].template: domestic_abuse needs a period of 118 days at least (it begins up to "
        "day 80), not 61"
    ]
