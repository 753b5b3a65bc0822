"""Safeguarding signals: only about children, each a real record of its agency, dated in the period, and the
visibility date is the second agency's first signal."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthgen import signals, tables
from synthgen.kernel.dates import age_on

PERIOD = (dt.date(2024, 4, 1), dt.date(2025, 3, 31))


@pytest.fixture(scope="module")
def found(demo_run: Path) -> pa.Table:
    return pq.read_table(demo_run / "truth/signals.parquet")


def test_the_demo_has_signals_from_every_agency(found: pa.Table) -> None:
    assert found.schema == signals.SIGNAL_SCHEMA
    assert set(found["agency"].to_pylist()) == {"police", "health", "school", "social_care"}
    background = found.filter(pc.field("storyline_id").is_null())
    for agency, kinds in signals.KINDS.items():
        # a storyline's event the rules do not catch keeps the storyline's own kind (e.g. "injury")
        assert set(background.filter(pc.field("agency") == agency)["kind"].to_pylist()) <= set(kinds)


def test_every_storyline_event_about_a_child_is_a_signal(demo_run: Path, found: pa.Table) -> None:
    events = pq.read_table(demo_run / "truth/storyline_events.parquet")
    assert events.num_rows > 0  # the demo plants storylines
    people = pq.read_table(demo_run / "truth/people.parquet", columns=["person_id", "date_of_birth"])
    born = dict(zip(people["person_id"].to_pylist(), people["date_of_birth"].to_pylist(), strict=True))
    tagged = {
        (r["storyline_id"], r["agency"], r["table"], r["record_id"], r["person_id"])
        for r in found.filter(pc.field("storyline_id").is_valid()).to_pylist()
    }

    def age(r: dict[str, Any]) -> int:
        b, d = born[r["person_id"]], r["date"]
        return int(d.year - b.year - ((d.month, d.day) < (b.month, b.day)))

    children = [r for r in events.to_pylist() if age(r) < 18]
    assert children
    for r in children:  # (an adult's record, the mother's A&E visit after an assault, is no signal about a child)
        assert (r["storyline_id"], r["agency"], r["table"], r["record_id"], r["person_id"]) in tagged


def test_signals_are_only_about_children_on_the_day(demo_run: Path, found: pa.Table) -> None:
    people = pq.read_table(demo_run / "truth/people.parquet", columns=["person_id", "date_of_birth"])
    joined = found.join(people, "person_id", join_type="inner")
    assert joined.num_rows == found.num_rows
    dob = joined["date_of_birth"].to_numpy().astype("datetime64[D]")
    day = joined["date_known"].to_numpy().astype("datetime64[D]")
    assert (age_on(dob, day) < 18).all()


def test_signals_are_dated_in_the_period_and_one_per_record_and_child(demo_run: Path, found: pa.Table) -> None:
    day = found["date_known"].to_numpy().astype("datetime64[D]")
    assert (day >= np.datetime64(PERIOD[0])).all() and (day <= np.datetime64(PERIOD[1])).all()
    keys = found.select(["agency", "table", "record_id", "person_id"]).to_pylist()
    assert len({tuple(k.values()) for k in keys}) == len(keys)


def test_every_signal_is_a_record_of_its_agency_about_its_person(demo_run: Path, found: pa.Table) -> None:
    events = pq.read_table(demo_run / "truth/events.parquet")
    for agency, table in {(r["agency"], r["table"]) for r in found.select(["agency", "table"]).to_pylist()}:
        mine = found.filter((pc.field("agency") == agency) & (pc.field("table") == table))
        column = tables.agency_table(agency, table).id_column or "record_id"
        held = pq.read_table(demo_run / f"agencies/{agency}/{table}.parquet", columns=[column])[column]
        assert pc.all(pc.is_in(mine["record_id"], value_set=held)).as_py(), (agency, table)
        truth = events.filter((pc.field("source") == agency) & (pc.field("table") == table))
        pairs = {(r["record_id"], r["person_id"]) for r in truth.select(["record_id", "person_id"]).to_pylist()}
        assert {(r["record_id"], r["person_id"]) for r in mine.to_pylist()} <= pairs, (agency, table)


def test_children_at_risk_show_more_signals_than_others(demo_run: Path, found: pa.Table) -> None:
    risk = pq.read_table(demo_run / "truth/risk.parquet").filter(pc.is_valid(pc.field("onset")))
    at_risk = set(risk["person_id"].to_pylist())
    visible = set(signals.visibility(found)["person_id"].to_pylist())
    assert len(at_risk & visible) / len(at_risk) > 0.5  # most children at risk reach two agencies
    people = pq.read_table(demo_run / "truth/people.parquet", columns=["person_id", "age_at_start"])
    children = {
        p for p, a in zip(people["person_id"].to_pylist(), people["age_at_start"].to_pylist(), strict=True) if a < 18
    }
    assert len(visible - at_risk) / len(children - at_risk) < len(at_risk & visible) / len(at_risk) / 5


def _roles(rows: list[tuple[str, str]]) -> pa.Table:
    return pa.table(
        {
            "role": [r for r, _ in rows],
            "incident_type": [t for _, t in rows],
            "occurred_at": pa.array([dt.datetime(2024, 6, 1, 12)] * len(rows), pa.timestamp("ms")),
        }
    )


def test_police_rules() -> None:
    table = _roles(
        [
            ("child_present", "domestic_abuse"),
            ("witness", "antisocial_behaviour"),
            ("missing_person", "missing_person"),
            ("victim", "assault"),
            ("suspect", "drugs"),
            ("witness", "domestic_abuse"),
        ]
    )
    found = signals.concerns("police", "incident_persons", table, np.zeros(6, "datetime64[D]"), PERIOD)
    assert found.rows.tolist() == [0, 2, 3, 4, 5]
    assert found.kind.tolist() == [
        "domestic_abuse_incident",
        "missing_episode",
        "crime_victim",
        "crime_suspect",
        "domestic_abuse_incident",
    ]
    assert found.day.tolist() == [dt.date(2024, 6, 1)] * 5


def test_a_and_e_rules_count_every_injury_of_an_infant_but_not_of_an_older_child() -> None:
    table = pa.table(
        {
            "chief_complaint_group": ["injury", "injury", "fever", "overdose/poisoning", "fever"],
            "safeguarding_concern": [False, False, False, False, True],
            "arrived_at": pa.array([dt.datetime(2024, 9, 1)] * 5, pa.timestamp("ms")),
        }
    )
    dob = np.array(["2024-03-01", "2019-03-01", "2024-03-01", "2010-01-01", "2015-01-01"], dtype="datetime64[D]")
    found = signals.concerns("health", "ae_attendances", table, dob, PERIOD)
    assert found.rows.tolist() == [0, 3, 4]
    assert found.kind.tolist() == ["infant_injury", "ae_self_harm", "ae_safeguarding_concern"]


def test_persistent_absence_is_known_at_the_end_of_its_half_term_or_the_period() -> None:
    table = pa.table(
        {
            "academic_year": ["2024/25", "2024/25", "2024/25"],
            "half_term": pa.array([1, 1, 4], pa.int8()),
            "possible_sessions": [70, 70, 60],
            "authorised_absence": [3, 4, 0],
            "unauthorised_absence": [3, 3, 6],
        }
    )
    found = signals.concerns("school", "attendance", table, np.zeros(3, "datetime64[D]"), PERIOD)
    assert found.rows.tolist() == [1, 2]  # 6 of 70 is under 10%; 7 of 70 and 6 of 60 are not
    assert found.day.tolist() == [dt.date(2024, 10, 25), PERIOD[1]]  # autumn 1 ends on a Friday; spring 2 later


def test_an_unborn_child_is_a_child_and_an_unknown_birth_date_is_not() -> None:
    dob = np.array(["2025-01-01", "2006-06-02", "2006-06-01", "NaT"], dtype="datetime64[D]")
    day = np.full(4, np.datetime64("2024-06-01"))
    assert signals.is_child(dob, day).tolist() == [True, True, False, False]


def _signal_rows(rows: list[tuple[int, str, int]]) -> pa.Table:
    return pa.table(
        {
            "person_id": pa.array([p for p, _, _ in rows], pa.int64()),
            "agency": [a for _, a, _ in rows],
            "date_known": pa.array([PERIOD[0] + dt.timedelta(days=d) for _, _, d in rows], pa.date32()),
        }
    )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 5), st.sampled_from(["police", "health", "school", "social_care"]), st.integers(0, 364)
        ),
        max_size=40,
    )
)
def test_visibility_is_the_first_day_two_agencies_know(rows: list[tuple[int, str, int]]) -> None:
    visible = signals.visibility(_signal_rows(rows))
    expected = {}
    for person in {p for p, _, _ in rows}:
        firsts = sorted(
            min(d for p, a, d in rows if p == person and a == agency)
            for agency in {a for p, a, _ in rows if p == person}
        )
        if len(firsts) >= 2:
            expected[person] = PERIOD[0] + dt.timedelta(days=firsts[1])
    got = dict(zip(visible["person_id"].to_pylist(), visible["visible_on"].to_pylist(), strict=True))
    assert got == expected


def test_storyline_events_name_their_signals_and_add_what_the_rules_miss() -> None:
    people = pa.table(
        {
            "person_id": pa.array([1, 2, 3], pa.int64()),
            "date_of_birth": pa.array([dt.date(2015, 1, 1), dt.date(1980, 1, 1), dt.date(2012, 5, 5)], pa.date32()),
        }
    )
    source = signals.Source(
        "social_care",
        "referrals",
        pa.table({"referral_date": pa.array([dt.date(2024, 5, 1), dt.date(2024, 6, 1)], pa.date32())}),
        pa.array(["R1", "R2"]),
        np.array([1, 3]),
    )
    events = pa.table(
        {
            "storyline_id": ["S1", "S1", "S1", "S1"],
            "person_id": pa.array([1, 1, 2, 3], pa.int64()),
            "agency": ["social_care", "school", "police", "school"],
            "table": ["referrals", "moves", "incident_persons", "moves"],
            "record_id": ["R1", "M1", "I1", "M2"],
            "kind": ["referral", "school_move", "domestic_abuse_incident", "school_move"],
            "date": pa.array(
                [dt.date(2024, 5, 1), dt.date(2024, 7, 1), dt.date(2024, 7, 2), dt.date(2026, 1, 1)], pa.date32()
            ),
        }
    )
    found = signals.signals(people, [source], PERIOD, events).to_pylist()
    assert [(r["record_id"], r["person_id"], r["kind"], r["storyline_id"]) for r in found] == [
        ("R1", 1, "referral", "S1"),  # a rule's signal, named by its storyline
        ("R2", 3, "referral", None),  # background
        ("M1", 1, "school_move", "S1"),  # the storyline's own event, which no rule reads as a signal
    ]  # the adult's event and the event after the period are not signals about a child in the period


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.integers(-3, 12)), max_size=15),
    st.lists(st.integers(-5, 15), max_size=20),
)
def test_birth_lookup_finds_what_a_hash_look_up_finds(people_ids: list[int | None], wanted: list[int]) -> None:
    """The sorted look-up gives each id the birth date of its first row in truth/people, as `index_in` does, NaT
    for an id it does not hold (duplicates, nulls and all)."""
    dob = pa.array([dt.date(2000, 1, 1) + dt.timedelta(days=i) for i in range(len(people_ids))], pa.date32())
    people = pa.table({"person_id": pa.array(people_ids, pa.int64()), "date_of_birth": dob})
    person = np.array(wanted, dtype=np.int64)
    index = pc.index_in(pa.array(person, pa.int64()), value_set=people["person_id"].combine_chunks())
    expected = np.full(len(person), np.datetime64("NaT"), dtype="datetime64[D]")
    known = index.is_valid().to_numpy(zero_copy_only=False)
    days = dob.to_numpy(zero_copy_only=False).astype("datetime64[D]")
    expected[known] = days[index.to_numpy(zero_copy_only=False)[known].astype(np.int64)]
    np.testing.assert_array_equal(signals.BirthLookup.of(people)(person), expected)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["2023/24", "2024/25", "", "spring", None]), st.integers(-1, 8)), max_size=30)
)
def test_half_term_last_days_read_alike_from_arrow_and_numpy(rows: list[tuple[str | None, int]]) -> None:
    """An Arrow column of academic years gives the days its Python strings give (nulls read as no year)."""
    years = pa.array([year for year, _ in rows], pa.string())
    numbers = np.array([number for _, number in rows], dtype=np.int64)
    as_objects = years.fill_null("").to_numpy(zero_copy_only=False).astype(object)
    expected = signals.half_term_last_days(as_objects, numbers)
    np.testing.assert_array_equal(signals.half_term_last_days(years, numbers), expected)
    np.testing.assert_array_equal(
        signals.half_term_last_days(pa.chunked_array([years], pa.string()), numbers), expected
    )
