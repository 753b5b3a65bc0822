"""The strategies draw what they promise: scenarios that validate and plan, rates that validate, and agency records
with the errors asked for, every record with its one true person."""

from __future__ import annotations

import numpy as np
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synthgen.scenario import rates
from synthgen.scenario.plan import make_plan
from synthgen.scenario.schema import Scenario
from synthgen.testing import AgencyRecords, SmallRun, agency_records, rate_overrides, scenarios, small_runs
from synthgen.testing.records import check_errors, plantable

SLOW = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@settings(max_examples=25, deadline=None)
@given(scenario=scenarios())
def test_every_scenario_drawn_validates_and_plans(scenario: Scenario) -> None:
    again = Scenario.model_validate(scenario.model_dump(mode="json"))
    assert again == scenario
    plan = make_plan(scenario)
    assert plan.people == scenario.population.people


@settings(max_examples=60, deadline=None)
@given(chosen=rate_overrides())
def test_rate_overrides_are_rates_a_scenario_accepts(chosen: dict[str, float]) -> None:
    assert chosen and not rates.problems(chosen)


def _check_truth(sample: AgencyRecords) -> None:
    """Every record maps to one person, the truth's; every record of each person drawn is there."""
    run = sample.run
    truth = run.run.read("truth/records", ["record_id", "person_id"])
    at = pc.index_in(sample.records["record_id"], value_set=truth["record_id"]).to_numpy(zero_copy_only=False)
    assert len(sample.person_id) == sample.records.num_rows == len(sample.errors)
    assert np.array_equal(truth["person_id"].to_numpy()[at], sample.person_id)
    assert len(set(sample.records["record_id"].to_pylist())) == sample.records.num_rows
    everyone = np.isin(truth["person_id"].to_numpy(), np.unique(sample.person_id))
    assert int(everyone.sum()) == sample.records.num_rows
    assert sample.run.linkage.take(sample.view_rows).equals(sample.records)


@SLOW
@given(sample=agency_records(errors=["family_name.typo"], people=600, seeds=(0, 1)))
def test_agency_records_carry_the_error_asked_for_with_their_true_person(sample: AgencyRecords) -> None:
    _check_truth(sample)
    rows = sample.planted["family_name.typo"]
    assert len(rows) >= 1
    assert all("family_name.typo" in sample.errors[row] for row in rows)
    # the person drawn for it has another record to be matched with (the others drawn beside may have one)
    assert any(len(sample.rows_of(int(sample.person_id[row]))) >= 2 for row in rows)


@SLOW
@given(
    errors=st.lists(
        st.sampled_from(["nickname", "date_of_birth.day_month_swap", "nhs_number.missing"]),
        min_size=1,
        max_size=3,
        unique=True,
    ),
    data=st.data(),
)
def test_agency_records_plant_every_kind_asked_for(errors: list[str], data: st.DataObject) -> None:
    sample = data.draw(agency_records(errors=errors, others=0, people=600, seeds=(5,)))
    _check_truth(sample)
    for error in errors:
        carried = [
            row
            for row, logged in enumerate(sample.errors)
            if error in logged or error in {e.split(".")[1] for e in logged}
        ]
        assert len(sample.planted[error]) >= 1 and set(sample.planted[error].tolist()) == set(carried)
    # no one beyond those carrying the errors: `others=0`
    assert set(np.unique(sample.person_id).tolist()) == {
        int(sample.person_id[row]) for rows in sample.planted.values() for row in rows
    }


@settings(max_examples=4, deadline=None)
@given(run=small_runs(people=(300,), seeds=(0, 1)))
def test_small_runs_are_runs_with_their_truth(run: SmallRun) -> None:
    assert run.people == 300 and run.seed in (0, 1)
    assert (run.path / "manifest.json").exists()
    assert run.linkage.num_rows == run.truth.num_rows > 0
    assert run.truth["record_id"].equals(run.linkage["record_id"])


def test_unknown_errors_are_refused_with_what_is_allowed() -> None:
    assert "family_name.typo" in plantable() and "typo" not in plantable()
    assert check_errors(["typo", "family_name.typo", "typo"]) == ("typo", "family_name.typo")
    with pytest.raises(ValueError, match=r"unknown error 'family_name.tpyo' \(allowed: a kind, .*typo"):
        check_errors(["family_name.tpyo"])
    with pytest.raises(ValueError, match="not the string 'typo'"):
        check_errors("typo")
    with pytest.raises(ValueError, match="at least one"):
        check_errors([])
