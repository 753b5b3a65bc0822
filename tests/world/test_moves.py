"""Moves within the area during the period: a new address of their own, and the old one left for stale records."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq


def test_movers_get_a_new_address_that_nobody_else_has(demo_run: Path) -> None:
    moves = pq.read_table(demo_run / "truth/moves.parquet")
    households = pq.read_table(demo_run / "truth/households.parquet")
    addresses = pq.read_table(demo_run / "truth/addresses.parquet")
    in_area = households.filter(pc.field("in_area"))
    share = moves.num_rows / in_area.num_rows
    assert 0.04 < share < 0.09  # about 6.5% of households a year (Census 2021 TS019, local share derived)
    days = moves["moved_on"].to_numpy().astype("datetime64[D]")
    assert ((days > np.datetime64("2024-04-01")) & (days <= np.datetime64("2025-03-31"))).all()
    assert len(set(addresses["address_id"].to_pylist())) == addresses.num_rows
    ends = households.select(["household_id", "address_id"]).join(addresses, "address_id")
    places = list(zip(ends["postcode"].to_pylist(), ends["house_number"].to_pylist(), strict=True))
    assert len(set(places)) == len(places)  # no two households at one address
    moved = households.filter(pc.is_valid(pc.field("moved_on")))
    assert moved["previous_address_id"].to_pylist() == moved["household_id"].to_pylist()
    assert (moved["address_id"].to_numpy() != moved["household_id"].to_numpy()).all()


def test_agencies_hold_the_new_address_or_log_the_old_one(demo_run: Path) -> None:
    moves = pq.read_table(demo_run / "truth/moves.parquet")
    people = pq.read_table(demo_run / "truth/people.parquet", columns=["person_id", "household_id"])
    movers = people.join(
        moves.select(["household_id", "to_address_id", "from_address_id"]), "household_id", join_type="inner"
    )
    addresses = pq.read_table(demo_run / "truth/addresses.parquet", columns=["address_id", "address_line"])
    new = addresses.rename_columns(["to_address_id", "new_line"])
    old = addresses.rename_columns(["from_address_id", "old_line"])
    records = pq.read_table(demo_run / "truth/records.parquet", columns=["record_id", "person_id"])
    view = pq.read_table(demo_run / "linkage/records.parquet", columns=["record_id", "address_line"])
    joined = (
        view.join(records, "record_id", join_type="inner")
        .join(movers, "person_id", join_type="inner")
        .join(new, "to_address_id", join_type="inner")
        .join(old, "from_address_id", join_type="inner")
    )
    line = np.asarray(joined["address_line"].to_pylist(), dtype=object)
    current = line == np.asarray(joined["new_line"].to_pylist(), dtype=object)
    stale = line == np.asarray(joined["old_line"].to_pylist(), dtype=object)
    assert current.mean() > 0.6 and stale.sum() > 0
