"""Babies born during the period: real mothers at home, born inside the period, met by the GP and health visitor."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

START, END = np.datetime64("2024-04-01"), np.datetime64("2025-03-31")


def test_babies_are_born_in_the_period_to_mothers_at_home(demo_run: Path) -> None:
    people = pq.read_table(demo_run / "truth/people.parquet")
    babies = people.filter(pc.field("born_in_period"))
    assert babies.num_rows > 100
    born = babies["date_of_birth"].to_numpy().astype("datetime64[D]")
    assert ((born >= START) & (born <= END)).all()
    relations = pq.read_table(demo_run / "truth/relationships.parquet")
    mothers = relations.filter(pc.field("relationship") == "mother").join(
        people.select(["person_id", "household_id", "sex", "age_at_start"]), "relative_id", "person_id"
    )
    of_babies = babies.select(["person_id", "household_id"]).join(mothers, "person_id", right_suffix="_mother")
    assert of_babies.num_rows == babies.num_rows  # every baby has a mother
    assert of_babies["household_id"].to_pylist() == of_babies["household_id_mother"].to_pylist()
    assert set(of_babies["sex"].to_pylist()) == {"F"}
    ages = of_babies["age_at_start"].to_numpy()
    assert ((ages >= 16) & (ages <= 45)).all()


def test_the_gp_registers_babies_after_birth_and_the_health_visitor_visits(demo_run: Path) -> None:
    people = pq.read_table(demo_run / "truth/people.parquet", columns=["person_id", "born_in_period", "date_of_birth"])
    babies = set(people.filter(pc.field("born_in_period"))["person_id"].to_pylist())
    records = pq.read_table(demo_run / "truth/records.parquet", columns=["source_record_id", "person_id", "table"])
    registered = records.filter(pc.field("table") == "gp_registrations")
    baby_records = registered.filter(pc.is_in(registered["person_id"], value_set=pa.array(list(babies))))
    assert baby_records.num_rows > 0.8 * len(babies)
    gp = pq.read_table(demo_run / "agencies/health/gp_registrations.parquet")
    joined = gp.join(baby_records, "record_id", "source_record_id", join_type="inner").join(
        people, "person_id", right_suffix="_truth", join_type="inner"
    )
    registered_on = joined["registration_date"].to_numpy().astype("datetime64[D]")
    born = joined["date_of_birth_truth"].to_numpy().astype("datetime64[D]")
    assert (registered_on > born).all()
    events = pq.read_table(demo_run / "truth/events.parquet").filter(pc.field("table") == "health_visits")
    visited = set(events["person_id"].to_pylist()) & babies
    assert len(visited) > 0.8 * len(babies)


def test_a_booking_leads_to_the_baby(demo_run: Path) -> None:
    """A mother whose baby was born late enough in the period booked with maternity services in it, and the
    booking's expected delivery date is the baby's birthday."""
    people = pq.read_table(demo_run / "truth/people.parquet", columns=["person_id", "born_in_period", "date_of_birth"])
    babies = people.filter(pc.field("born_in_period"))
    mothers = pq.read_table(demo_run / "truth/relationships.parquet").filter(pc.field("relationship") == "mother")
    births = babies.join(mothers, "person_id", join_type="inner").select(["relative_id", "date_of_birth"])
    events = pq.read_table(demo_run / "truth/events.parquet").filter(pc.field("table") == "maternity_bookings")
    bookings = pq.read_table(demo_run / "agencies/health/maternity_bookings.parquet")
    booked = bookings.join(events, "record_id", join_type="inner").select(["person_id", "expected_delivery_date"])
    born_late = births["date_of_birth"].to_numpy().astype("datetime64[D]") > np.datetime64("2024-12-01")
    late_births = births.filter(pa.array(born_late))
    matched = late_births.join(
        booked, ["relative_id", "date_of_birth"], ["person_id", "expected_delivery_date"], join_type="inner"
    )
    assert late_births.num_rows > 20
    assert matched.num_rows == late_births.num_rows
