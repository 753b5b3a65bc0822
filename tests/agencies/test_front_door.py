"""The MASH front door: every referral has its contact, nothing happens out of order or after a death, early help
and social care hand over rather than overlap, and the statutory flows follow their rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import synthgen
from synthgen.kernel import identifiers
from tests.conftest import SCENARIO


def read(run: Path, table: str, columns: list[str] | None = None) -> pa.Table:
    return pq.read_table(run / f"{table}.parquet", columns=columns)


def _days(column: pa.ChunkedArray) -> np.ndarray:
    if pa.types.is_timestamp(column.type):
        column = pc.cast(pc.cast(column, pa.timestamp("s")), pa.date32())
    result: np.ndarray = column.to_numpy(zero_copy_only=False).astype("datetime64[D]")
    return result


def test_every_referral_comes_from_a_contact_received_by_its_day(demo_run: Path) -> None:
    referrals = read(demo_run, "agencies/social_care/referrals")
    contacts = read(demo_run, "agencies/social_care/contacts")
    assert referrals["contact_id"].null_count == 0
    joined = referrals.join(contacts, "contact_id", join_type="inner")
    assert joined.num_rows == referrals.num_rows  # every one found, each once
    assert np.all(_days(joined["received_at"]) <= _days(joined["referral_date"]))
    assert pc.all(pc.equal(joined["cin_source"], joined["referral_source"])).as_py()
    assert set(joined["decision"].to_pylist()) <= {"referral", "strategy_discussion"}
    # and most contacts do not become referrals
    assert referrals.num_rows < 0.6 * contacts.num_rows


def test_no_decision_before_its_contact_and_most_within_a_working_day(demo_run: Path) -> None:
    contacts = read(demo_run, "agencies/social_care/contacts")
    received = contacts["received_at"].to_numpy().astype("datetime64[s]")
    decided = contacts["decided_at"].to_numpy().astype("datetime64[s]")
    assert np.all(decided > received)
    due = np.busday_offset(received.astype("datetime64[D]"), 1, roll="forward").astype("datetime64[s]")
    within = decided <= due + np.timedelta64(17 * 3600, "s")
    assert 0.75 < within.mean() < 0.95  # realistic, not perfect
    late = ~within
    assert late.any() and (decided[late] - received[late]).max() < np.timedelta64(10, "D")


def _episodes(run: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(person, opened, closed) of every social care episode, from the referrals and their truth."""
    referrals = read(run, "agencies/social_care/referrals", ["referral_id", "referral_date", "closure_date"])
    events = read(run, "truth/events").filter(pc.field("table") == "referrals")
    joined = referrals.join(events.select(["record_id", "person_id"]), keys="referral_id", right_keys="record_id")
    closed = _days(joined["closure_date"])
    closed[np.isnat(closed)] = np.datetime64("2100-01-01")
    return joined["person_id"].to_numpy(), _days(joined["referral_date"]), closed


def test_early_help_and_social_care_only_meet_at_a_hand_over(demo_run: Path) -> None:
    helped = read(demo_run, "agencies/social_care/early_help")
    records = read(demo_run, "truth/records").filter(pc.field("table") == "early_help")
    helped = helped.join(
        records.select(["source_record_id", "person_id"]), keys="record_id", right_keys="source_record_id"
    )
    assert helped.num_rows > 20
    person, opened, closed = _episodes(demo_run)
    start = _days(helped["start_date"])
    end = _days(helped["end_date"])
    end[np.isnat(end)] = np.datetime64("2100-01-01")
    who = helped["person_id"].to_numpy()
    for row in range(helped.num_rows):  # a few hundred episodes: the assertion reads best one by one
        mine = person == who[row]
        # an open social care episode strictly inside the early help episode, or the reverse, is an overlap
        overlap = (opened[mine] > start[row]) & (opened[mine] < end[row])
        overlap |= (start[row] > opened[mine]) & (start[row] < closed[mine])
        assert not overlap.any(), helped.slice(row, 1).to_pylist()
    stepped_up = helped.filter(pc.field("closure_reason") == "stepped_up")
    assert stepped_up.num_rows > 0
    routes = set(helped["route"].to_pylist())
    assert {"contact", "step_down"} <= routes


def test_nothing_happens_to_a_child_after_they_died(tmp_path: Path, write_scenario: Callable[..., Path]) -> None:
    text = SCENARIO.format(name="deaths", seed=5, people=4000) + "rates:\n  death_rate.1_15: 0.2\n"
    out = tmp_path / "run"
    synthgen.generate(synthgen.load_scenario(write_scenario(text)), out)
    people = read(out, "truth/people", ["person_id", "died_on"]).filter(pc.is_valid(pc.field("died_on")))
    assert people.num_rows > 50
    died = dict(zip(people["person_id"].to_pylist(), _days(people["died_on"]).tolist(), strict=True))
    truth = read(out, "truth/contacts", ["person_id", "received_on"])
    for person, day in zip(truth["person_id"].to_pylist(), _days(truth["received_on"]).tolist(), strict=True):
        assert person not in died or day <= died[person]


def test_operation_encompass_follows_its_rule(demo_run: Path) -> None:
    sent = read(demo_run, "agencies/police/encompass_notifications")
    roles = read(demo_run, "agencies/police/incident_persons")
    incidents = read(demo_run, "agencies/police/incidents", ["incident_id", "incident_type", "occurred_at"])
    joined = sent.join(roles, ["incident_id", "police_person_id"]).join(incidents, "incident_id")
    assert joined.num_rows == sent.num_rows > 20
    assert set(joined["role"].to_pylist()) == {"child_present"}
    assert set(joined["incident_type"].to_pylist()) == {"domestic_abuse"}
    was_sent = sent.filter(pc.field("status") != "not_sent")
    assert was_sent["school_urn"].null_count == 0
    on_time = sent.filter(pc.field("status") == "on_time")
    assert pc.all(pc.less_equal(on_time["sent_at"], on_time["due_by"])).as_py()
    due = _days(joined["due_by"])
    assert np.all(due > _days(joined["occurred_at"])) and np.all(np.is_busday(due))
    assert set(sent.filter(pc.field("status") == "not_sent")["reason_not_sent"].to_pylist()) <= {
        "child_not_identified",
        "school_unknown",
    }


def test_marac_hears_adult_victims_of_domestic_abuse_after_referral(demo_run: Path) -> None:
    cases = read(demo_run, "agencies/police/marac_cases")
    roles = read(demo_run, "agencies/police/incident_persons")
    joined = cases.join(roles, ["incident_id", "police_person_id"])
    assert joined.num_rows == cases.num_rows > 10
    assert set(joined["role"].to_pylist()) == {"victim"}
    assert np.all(_days(cases["meeting_date"]) >= _days(cases["referral_date"]) + np.timedelta64(3, "D"))
    children = read(demo_run, "agencies/police/marac_children")
    counts = pc.value_counts(children["case_id"]).to_pylist()
    listed = {c["values"]: c["counts"] for c in counts}
    for case, count in zip(cases["case_id"].to_pylist(), cases["children_in_household"].to_pylist(), strict=True):
        assert listed.get(case, 0) == count


def test_cp_is_shares_what_a_valid_nhs_number_can_carry(demo_run: Path) -> None:
    uploads = read(demo_run, "agencies/social_care/cpis_uploads")
    valid = identifiers.is_valid_nhs_number(uploads["nhs_number"].combine_chunks())
    assert list(valid) == uploads["uploaded"].to_pylist()
    assert 0 < sum(valid) < uploads.num_rows  # some children are left out for want of a number
    flags = read(demo_run, "agencies/health/cpis_flags")
    assert flags.num_rows == sum(valid)
    assert set(uploads["plan_type"].to_pylist()) <= {"CPP", "UCPP", "CLA"}


def test_partner_checks_belong_to_enquiries_and_are_answered_after_asked(demo_run: Path) -> None:
    checks = read(demo_run, "agencies/social_care/partner_checks")
    contacts = read(demo_run, "agencies/social_care/contacts", ["contact_id", "mash_enquiry", "received_at"])
    joined = checks.join(contacts, "contact_id")
    assert joined.num_rows == checks.num_rows
    assert pc.all(joined["mash_enquiry"]).as_py()
    assert pc.all(pc.greater(joined["requested_at"], joined["received_at"])).as_py()
    answered = joined.filter(pc.is_valid(pc.field("answered_at")))
    assert pc.all(pc.greater(answered["answered_at"], answered["requested_at"])).as_py()
    assert set(checks["agency"].to_pylist()) == {"police", "health", "school"}


def test_the_truth_of_a_contact_is_what_was_known_by_its_day(demo_run: Path) -> None:
    truth = read(demo_run, "truth/contacts")
    known = read(demo_run, "truth/contact_records")
    joined = known.join(truth.select(["contact_id", "received_on", "household_id"]), "contact_id")
    on = _days(joined["known_on"])
    assert np.all(np.isnat(on) | (on <= _days(joined["received_on"])))
    people = read(demo_run, "truth/people", ["person_id", "household_id"])
    homes = joined.join(people, "person_id", right_suffix="_record")
    assert pc.all(pc.equal(homes["household_id"], homes["household_id_record"])).as_py()
    assert set(truth["supported_decision"].to_pylist()) == {"nfa", "early_help", "referral", "strategy_discussion"}
    # a contact about a child at risk is more often one the truth supports acting on
    at_risk = truth.filter(pc.field("at_risk"))
    assert pc.mean(pc.not_equal(at_risk["supported_decision"], "nfa").cast(pa.float64())).as_py() > 0.8


@pytest.mark.parametrize("switch", ["enabled", "operation_encompass", "marac", "cp_is"])
def test_each_part_can_be_switched_off(tmp_path: Path, write_scenario: Callable[..., Path], switch: str) -> None:
    text = SCENARIO.format(name="switched", seed=3, people=3000) + f"front_door:\n  {switch}: false\n"
    out = tmp_path / "run"
    synthgen.generate(synthgen.load_scenario(write_scenario(text)), out)
    written = set(synthgen.open_run(out).tables)
    parts = {
        "enabled": "agencies/social_care/contacts",
        "operation_encompass": "agencies/police/encompass_notifications",
        "marac": "agencies/police/marac_cases",
        "cp_is": "agencies/social_care/cpis_uploads",
    }
    for name, table in parts.items():
        assert (table in written) == (name != switch), table
    if switch == "enabled":
        assert read(out, "agencies/social_care/referrals")["contact_id"].null_count > 0


def test_a_contact_names_the_child_as_its_source_knows_them(demo_run: Path) -> None:
    subjects = read(demo_run, "agencies/social_care/contact_subjects")
    contacts = read(demo_run, "agencies/social_care/contacts", ["contact_id", "source"])
    joined = subjects.join(contacts, "contact_id").filter(pc.field("role") == "child")
    public = joined.filter(pc.is_in(pc.field("source"), pa.array(["neighbour", "anonymous", "public"])))
    police = joined.filter(pc.field("source") == "police_notification")
    assert public["date_of_birth"].null_count / max(public.num_rows, 1) > 0.5  # an age, or nothing
    assert police["date_of_birth"].null_count / max(police.num_rows, 1) < 0.3
    assert dt.date(1900, 1, 1) < pc.min(subjects["date_of_birth"]).as_py()
