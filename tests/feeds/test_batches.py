"""A feed's batches, replayed in order, give every table as it stood on each batch day, and after the last the
year-end file row for row: held for any history (hypothesis draws the records, their changes, duplicates made
and merged, and the batch days)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from synthgen.feeds.batches import BATCH_DAY, OPERATION, batch_days, exported, state_on
from synthgen.feeds.history import Change, History, Transients, build
from synthgen.feeds.replay import replay

PATH = "agencies/social_care/referrals"  # any table whose rows are named by one id column
KEY = "referral_id"


@st.composite
def histories(draw: st.DrawFn) -> tuple[History, pa.Table, np.ndarray]:
    """A table of up to 12 records made on days 0..last, changes to two of its columns (one of them twice, the
    second change of a record's column dropped), duplicates copied from some records and purged later, and the
    batch days (always ending on the last day)."""
    last = draw(st.integers(1, 30))
    n = draw(st.integers(0, 12))
    day = st.integers(0, last)
    made = np.array(draw(st.lists(day, min_size=n, max_size=n)), np.int64)
    final = pa.table(
        {
            KEY: pa.array([f"R{i:03d}" for i in range(n)], pa.string()),
            "note": pa.array([f"final-{i}" for i in range(n)], pa.string()),
            "other": pa.array(draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)), pa.int64()),
        }
    )
    changes = []
    for kind, column, values in [("a", "note", st.text("xyz", max_size=2)), ("b", "other", st.integers(0, 3))]:
        for _ in range(draw(st.integers(0, 2))):
            rows = np.array(sorted(draw(st.sets(st.integers(0, max(n - 1, 0)), max_size=n))) if n else [], np.int64)
            days = np.array(draw(st.lists(st.integers(0, last + 5), min_size=len(rows), max_size=len(rows))), np.int64)
            before = pa.array(draw(st.lists(st.none() | values, min_size=len(rows), max_size=len(rows))))
            changes.append(Change(kind, rows, days, {column: before.cast(final.schema.field(column).type)}))
    transients = []
    copies = np.array(sorted(draw(st.sets(st.integers(0, max(n - 1, 0)), max_size=n))) if n else [], np.int64)
    copies = copies[made[copies] < last] if len(copies) else copies
    if len(copies):
        copy_made = np.array([draw(st.integers(int(made[c]), last - 1)) for c in copies], np.int64)
        purged = np.array([draw(st.integers(int(m) + 1, last)) for m in copy_made], np.int64)
        ids = pa.array([f"T{j:03d}" for j in range(len(copies))], pa.string())
        transients.append(Transients("merged", copies, copy_made, purged, {KEY: ids}))
    history = build(PATH, final, made, changes, transients, last)
    batches = sorted({*draw(st.sets(day, max_size=last)), last})
    return history, final, np.array(batches, np.int64)


def _sorted(table: pa.Table) -> pa.Table:
    return table.take(pc.sort_indices(table, sort_keys=[(KEY, "ascending")]))


@settings(max_examples=60, deadline=None)
@given(histories())
def test_replaying_the_batches_gives_each_batch_days_state_and_at_last_the_year_end_file(
    drawn: tuple[History, pa.Table, np.ndarray],
) -> None:
    history, final, days = drawn
    rows = exported(history, days)
    table = rows.table(history, days)
    assert np.all(np.diff(rows.batch) >= 0)
    for k, day in enumerate(days.tolist()):
        upto = table.slice(0, int(np.searchsorted(rows.batch, k, side="right")))
        expected = _sorted(history.versions.take(pa.array(state_on(history, day))))
        assert replay(PATH, upto).equals(expected), f"batch {k} (day {day})"
        batch = rows.batch == k
        assert len(set(table[KEY].filter(pa.array(batch)).to_pylist())) == int(batch.sum()), "a record twice"
    assert replay(PATH, table).equals(final)


@settings(max_examples=60, deadline=None)
@given(histories())
def test_every_records_last_version_is_its_year_end_row_and_operations_follow_its_life(
    drawn: tuple[History, pa.Table, np.ndarray],
) -> None:
    history, final, days = drawn
    last = np.r_[np.flatnonzero(history.record[1:] != history.record[:-1]), len(history.record) - 1]
    assert history.versions.take(pa.array(last[: history.year_end_rows])).equals(final)
    rows = exported(history, days)
    ops = rows.operation.astype(str)
    record = history.record[rows.version]
    for r in np.unique(record).tolist():
        mine = ops[record == r].tolist()
        assert mine[0] == "insert" and "insert" not in mine[1:]
        assert "delete" not in mine[:-1]
        assert (mine[-1] == "delete") == (r >= history.year_end_rows)


def test_weekly_batches_fall_every_seventh_day_and_the_last_on_the_last_day() -> None:
    days = batch_days(dt.date(2024, 4, 1), dt.date(2025, 3, 31), "weekly")
    as_dates = [dt.date(1970, 1, 1) + dt.timedelta(days=int(d)) for d in days]
    assert as_dates[0] == dt.date(2024, 4, 7)
    assert set(np.diff(days)[:-1].tolist()) == {7}
    assert as_dates[-1] == dt.date(2025, 3, 31)
    assert len(batch_days(dt.date(2024, 4, 1), dt.date(2025, 3, 31), "daily")) == 365


def test_a_batch_row_starts_with_its_operation_and_day() -> None:
    final = pa.table({KEY: ["R000"], "note": ["x"], "other": pa.array([1], pa.int64())})
    history = build(PATH, final, np.array([3], np.int64), [], [], 10)
    days = np.array([2, 5, 10], np.int64)
    table = exported(history, days).table(history, days)
    assert table.column_names[:2] == [OPERATION, BATCH_DAY]
    assert table.to_pylist() == [
        {OPERATION: "insert", BATCH_DAY: dt.date(1970, 1, 6), KEY: "R000", "note": "x", "other": 1}
    ]
