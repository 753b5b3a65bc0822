"""Children's social care: the pathway's order holds for every child, and risk finds the children."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from synthgen import load_scenario, make_plan
from synthgen.agencies.social_care import social_care
from synthgen.agencies.social_care_records import DISABILITIES
from synthgen.world.population import build_population
from synthgen.world.simulate import simulate
from tests.conftest import SCENARIO

END = np.datetime64("2025-03-31")
START = np.datetime64("2024-04-01")


def read(run: Path, table: str) -> pa.Table:
    return pq.read_table(run / f"agencies/social_care/{table}.parquet")


def days(column: pa.ChunkedArray) -> np.ndarray:
    values = np.array([np.datetime64(v) if v is not None else np.datetime64("NaT") for v in column.to_pylist()])
    return values.astype("datetime64[D]")


def test_no_plan_without_an_enquiry_and_a_conference(large_run: Path) -> None:
    plans, icpcs, s47 = read(large_run, "cp_plans"), read(large_run, "icpcs"), read(large_run, "section47")
    conference = {(c["la_child_id"], c["conference_date"]): c for c in icpcs.filter(pc.field("cp_plan")).to_pylist()}
    enquiry = {e["section47_id"]: e for e in s47.to_pylist()}
    for plan in plans.to_pylist():
        met = conference.get((plan["la_child_id"], plan["start_date"]))
        assert met is not None, plan
        assert enquiry[met["section47_id"]]["start_date"] <= met["conference_date"]


def test_nothing_ends_before_it_starts_and_nothing_starts_after_the_period(large_run: Path) -> None:
    for table, begin, finish in (
        ("cp_plans", "start_date", "end_date"),
        ("cla_episodes", "start_date", "end_date"),
        ("cin_plans", "start_date", "end_date"),
        ("referrals", "referral_date", "closure_date"),
        ("assessments", "start_date", "authorised_date"),
    ):
        rows = read(large_run, table)
        starts, ends = days(rows[begin]), days(rows[finish])
        closed = ~np.isnat(ends)
        assert (ends[closed] >= starts[closed]).all(), table
        assert (ends[closed] <= END).all(), table  # an end after the period is not known yet: left open
        assert (starts <= END).all(), table
    for table, column in (("section47", "start_date"), ("icpcs", "conference_date")):
        assert (days(read(large_run, table)[column]) <= END).all(), table


def test_every_event_belongs_to_a_known_child(large_run: Path) -> None:
    known = set(read(large_run, "children")["la_child_id"].to_pylist())
    for table in ("referrals", "assessments", "cin_plans", "section47", "icpcs", "cp_plans", "cla_episodes"):
        assert set(read(large_run, table)["la_child_id"].to_pylist()) <= known, table


def test_children_living_with_domestic_abuse_are_referred_more_often(large_run: Path) -> None:
    """The model raises a child's referral weight by its household's risk factors and its own risk: children in
    households with domestic abuse are referred at least twice as often as other children."""
    risks = pq.read_table(large_run / "truth/risk.parquet")
    abused_homes = set(risks.filter(pc.field("kind") == "domestic_abuse")["person_id"].to_pylist())
    people = pq.read_table(large_run / "truth/people.parquet", columns=["person_id", "age_at_start", "resident"])
    children = people.filter(pc.field("resident") & (pc.field("age_at_start") < 18))
    records = pq.read_table(large_run / "truth/records.parquet", columns=["source_record_id", "person_id", "table"])
    records = records.filter(pc.field("table") == "children")
    known = read(large_run, "children").select(["record_id", "la_child_id"])
    person_of = dict(
        zip(
            known.join(records, "record_id", "source_record_id")["la_child_id"].to_pylist(),
            known.join(records, "record_id", "source_record_id")["person_id"].to_pylist(),
            strict=True,
        )
    )
    referrals = read(large_run, "referrals")
    this_year = days(referrals["referral_date"]) >= START
    referred = [person_of[c] for c in np.asarray(referrals["la_child_id"].to_pylist())[this_year] if c in person_of]
    counts = pd_counts(referred)
    ids = children["person_id"].to_numpy()
    in_abuse = np.isin(ids, list(abused_homes))
    rate = np.array([counts.get(i, 0) for i in ids])
    ratio = rate[in_abuse].mean() / rate[~in_abuse].mean()
    assert ratio > 2.0


def pd_counts(values: list[int]) -> dict[int, int]:
    unique, counts = np.unique(np.asarray(values), return_counts=True)
    return dict(zip(unique.tolist(), counts.tolist(), strict=True))


@pytest.mark.parametrize("column", ["initial_category", "latest_category"])
def test_plan_categories_are_the_census_codes(large_run: Path, column: str) -> None:
    assert set(read(large_run, "cp_plans")[column].to_pylist()) <= {"NEG", "EMO", "PHY", "SAB", "MUL"}


def test_unborn_children_are_referred_and_protected_before_birth(large_run: Path) -> None:
    """Babies born in the period into homes with domestic abuse, parental mental ill health or substance misuse
    are referred before birth (by midwives and health services); some are on a plan before they are born."""
    records = pq.read_table(large_run / "truth/records.parquet", columns=["source_record_id", "person_id", "table"])
    records = records.filter(pc.field("table") == "children")
    people = pq.read_table(large_run / "truth/people.parquet", columns=["person_id", "date_of_birth"])
    children = (
        read(large_run, "children")
        .select(["record_id", "la_child_id"])
        .join(records, "record_id", "source_record_id", join_type="inner")
        .join(people, "person_id", join_type="inner")
        .group_by(["la_child_id", "date_of_birth"])
        .aggregate([])
    )
    referrals = read(large_run, "referrals").join(children, "la_child_id", join_type="inner")
    before_birth = days(referrals["referral_date"]) < days(referrals["date_of_birth"])
    assert before_birth.sum() > 20
    sources = np.asarray(referrals["referral_source"].to_pylist())[before_birth]
    assert np.isin(sources, ["3D", "3F"]).all()
    plans = read(large_run, "cp_plans").select(["la_child_id", "start_date"])
    plans = plans.join(children, "la_child_id", join_type="inner")
    assert (days(plans["start_date"]) < days(plans["date_of_birth"])).sum() > 0


def test_police_notifications_follow_the_incident(large_run: Path) -> None:
    """A police referral of a child the police have met comes a few days after that contact."""
    records = pq.read_table(large_run / "truth/records.parquet", columns=["source_record_id", "person_id", "table"])
    children = (
        read(large_run, "children")
        .select(["record_id", "la_child_id"])
        .join(records.filter(pc.field("table") == "children"), "record_id", "source_record_id", join_type="inner")
        .group_by(["la_child_id", "person_id"])
        .aggregate([])
    )
    roles = pq.read_table(large_run / "truth/events.parquet").filter(pc.field("table") == "incident_persons")
    incidents = pq.read_table(large_run / "agencies/police/incidents.parquet", columns=["incident_id", "occurred_at"])
    met = roles.join(incidents, "record_id", "incident_id", join_type="inner")
    first = met.group_by("person_id").aggregate([("occurred_at", "min")])
    referrals = read(large_run, "referrals").filter(pc.field("referral_source") == "6")
    joined = referrals.join(children, "la_child_id", join_type="inner").join(first, "person_id", join_type="inner")
    contact = pc.cast(pc.cast(joined["occurred_at_min"], pa.timestamp("s")), pa.date32()).to_numpy(zero_copy_only=False)
    this_year = days(joined["referral_date"]) >= START
    gap = (days(joined["referral_date"]) - contact.astype("datetime64[D]")).astype(int)[this_year]
    assert len(gap) > 50
    assert np.mean((gap >= 1) & (gap <= 10)) > 0.5


def test_a_disability_code_given_no_share_is_never_recorded(write_scenario: Callable[..., Path]) -> None:
    """A scenario may give a CIN disability code no share (an authority that does not use it): no child is then
    recorded with it, and a child recorded with more codes than have a share gets only those that do."""
    rates = "".join(f"  cin_disability_share.{code}: 0\n" for code in DISABILITIES if code not in ("LD", "AUT"))
    halves = "  cin_disability_share.LD: 0.5\n  cin_disability_share.AUT: 0.5\n"
    text = SCENARIO.format(name="d", seed=7, people=20_000) + "rates:\n  cin_disabled_share: 1\n" + rates + halves
    plan = make_plan(load_scenario(write_scenario(text)))
    pop = build_population(plan, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        children = social_care(plan, pop, simulate(plan, pop)).children
    recorded = children.table["disabilities"].to_pylist()
    assert all(1 <= len(codes) <= 2 and set(codes) <= {"LD", "AUT"} for codes in recorded)
    assert any(len(codes) == 2 for codes in recorded)
