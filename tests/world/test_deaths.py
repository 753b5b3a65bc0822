"""Deaths during the period: at England's age-specific rates, and nobody's story goes on after it ends."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq


def test_the_old_die_more_and_the_dead_are_residents(large_run: Path) -> None:
    people = pq.read_table(large_run / "truth/people.parquet", columns=["age_at_start", "died_on", "resident"])
    died = people["died_on"].is_valid().to_numpy(zero_copy_only=False)
    age = people["age_at_start"].to_numpy()
    assert people["resident"].to_numpy(zero_copy_only=False)[died].all()
    assert died[age >= 85].mean() > 10 * died[(age >= 25) & (age < 65)].mean()


def test_no_events_after_death(large_run: Path) -> None:
    people = pq.read_table(large_run / "truth/people.parquet", columns=["person_id", "died_on"]).filter(
        pc.is_valid(pc.field("died_on"))
    )
    events = pq.read_table(large_run / "truth/events.parquet")
    attendances = pq.read_table(
        large_run / "agencies/health/ae_attendances.parquet", columns=["record_id", "arrived_at"]
    )
    joined = (
        events.filter(pc.field("table") == "ae_attendances")
        .join(attendances, "record_id", join_type="inner")
        .join(people, "person_id", join_type="inner")
    )
    assert joined.num_rows > 0  # some of the dead went to A&E before they died
    arrived = pc.cast(pc.cast(joined["arrived_at"], pa.timestamp("s")), pa.date32()).to_numpy(zero_copy_only=False)
    assert (arrived.astype("datetime64[D]") <= joined["died_on"].to_numpy().astype("datetime64[D]")).all()
    roles = events.filter(pc.field("table") == "incident_persons").join(people, "person_id", join_type="inner")
    incidents = pq.read_table(large_run / "agencies/police/incidents.parquet", columns=["incident_id", "occurred_at"])
    dated = roles.join(incidents, "record_id", "incident_id", join_type="inner")
    when = pc.cast(pc.cast(dated["occurred_at"], pa.timestamp("s")), pa.date32()).to_numpy(zero_copy_only=False)
    assert (when.astype("datetime64[D]") <= dated["died_on"].to_numpy().astype("datetime64[D]")).all()
