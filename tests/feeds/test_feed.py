"""The demo's feed: replayed batch by batch it is the run's agency files row for row, a snapshot on a day is the
replay up to that day with the truth cut to it, its counts are its files', the agency files carry no truth, the
same run gives the same bytes, and so does building its tables in chunks of any size."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import synthgen
from synthgen.feeds.batches import BATCH_DAY, OPERATION, batch_days
from synthgen.feeds.known import RunFacts, date_of, day_of
from synthgen.feeds.replay import replay
from synthgen.feeds.writer import write_batches, write_snapshot
from synthgen.run_folder import open_run

SNAPSHOT_ON = dt.date(2024, 10, 15)


@pytest.fixture(scope="module")
def demo_snapshot(demo_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("feeds") / "snapshot"
    synthgen.feed(demo_run, out, snapshot_on=SNAPSHOT_ON.isoformat())
    return out


@pytest.fixture(scope="module")
def demo_batches(demo_daily_feed: Path) -> dict[str, list[tuple[dt.date, pa.Table]]]:
    """Every table's batch files, read once: (batch day from the folder's name, the file), in day order."""
    found = {}
    for path in _tables(demo_daily_feed):
        folder, name = path.rsplit("/", 1)
        files = sorted((demo_daily_feed / folder).glob(f"*/{name}.parquet"))
        found[path] = [(dt.date.fromisoformat(f.parent.name), pq.read_table(f)) for f in files]
    return found


def _joined(batches: list[tuple[dt.date, pa.Table]], until: dt.date | None = None) -> pa.Table | None:
    kept = [table for day, table in batches if until is None or day <= until]
    return pa.concat_tables(kept) if kept else None


def _tables(feed: Path) -> list[str]:
    return [t["path"] for t in json.loads((feed / "feed.json").read_text())["tables"]]


def test_replaying_every_batch_gives_the_year_end_files_row_for_row(
    demo_run: Path, demo_batches: dict[str, list[tuple[dt.date, pa.Table]]]
) -> None:
    in_run = {f"{p.parent.relative_to(demo_run)}/{p.stem}" for p in demo_run.glob("agencies/*/*.parquet")}
    assert set(demo_batches) == in_run | {"linkage/records"}
    for path, batches in demo_batches.items():
        final = pq.read_table(demo_run / f"{path}.parquet")
        joined = _joined(batches)
        got = replay(path, joined) if joined is not None else final.schema.empty_table()
        assert got.equals(final), path


def test_a_snapshot_is_the_replay_up_to_its_day(
    demo_batches: dict[str, list[tuple[dt.date, pa.Table]]], demo_snapshot: Path
) -> None:
    for path, batches in demo_batches.items():
        snapshot = pq.read_table(demo_snapshot / f"{path}.parquet")
        joined = _joined(batches, SNAPSHOT_ON)
        expected = replay(path, joined) if joined is not None else snapshot.schema.empty_table()
        assert snapshot.equals(expected), path


def test_the_snapshots_truth_is_cut_to_its_day(demo_run: Path, demo_snapshot: Path) -> None:
    day = pa.scalar(SNAPSHOT_ON)
    records = pq.read_table(demo_snapshot / "truth" / "records.parquet")
    linkage = pq.read_table(demo_snapshot / "linkage" / "records.parquet")
    merged = pq.read_table(demo_snapshot / "truth" / "merged.parquet")
    # every record held that day, and only those: the year-end ones and the duplicates not yet merged
    assert sorted(records["record_id"].to_pylist()) == sorted(linkage["record_id"].to_pylist())
    duplicates = records.filter(pc.is_in(records["record_id"], value_set=merged["linkage_record_id"]))
    assert duplicates.num_rows > 0
    assert pc.all(pc.is_in(duplicates["duplicate_of"], value_set=records["record_id"])).as_py()
    year_end = pq.read_table(demo_run / "truth" / "records.parquet")
    assert 0 < records.num_rows - duplicates.num_rows < year_end.num_rows
    signals = pq.read_table(demo_snapshot / "truth" / "signals.parquet")
    assert 0 < signals.num_rows < pq.read_table(demo_run / "truth" / "signals.parquet").num_rows
    assert pc.max(signals["date_known"]).as_py() <= SNAPSHOT_ON
    changes = pq.read_table(demo_snapshot / "truth" / "changes.parquet")
    assert pc.all(pc.less_equal(changes["changed_on"], day)).as_py()
    contacts = pq.read_table(demo_snapshot / "truth" / "contacts.parquet")
    assert 0 < contacts.num_rows < pq.read_table(demo_run / "truth" / "contacts.parquet").num_rows
    assert pc.max(contacts["received_on"]).as_py() <= SNAPSHOT_ON
    behind = pq.read_table(demo_snapshot / "truth" / "contact_records.parquet")
    assert set(behind["contact_id"].to_pylist()) <= set(contacts["contact_id"].to_pylist())
    story = pq.read_table(demo_snapshot / "truth" / "storyline_events.parquet")
    assert pc.max(story["date"]).as_py() <= SNAPSHOT_ON
    assert not (demo_snapshot / "truth" / "people.parquet").exists()  # the year-end truth stays in the run


def test_feed_json_counts_are_the_files_rows(
    demo_daily_feed: Path, demo_batches: dict[str, list[tuple[dt.date, pa.Table]]]
) -> None:
    manifest = json.loads((demo_daily_feed / "feed.json").read_text())
    assert manifest["kind"] == "batches" and manifest["cadence"] == "daily" and len(manifest["batches"]) == 365
    for table in manifest["tables"]:
        batches = demo_batches[table["path"]]
        assert table["batches"] == len(batches)
        joined = _joined(batches)
        ops = joined[OPERATION].to_pylist() if joined is not None else []
        assert {op: ops.count(op) for op in ("insert", "update", "delete")} == {
            op: table[op] for op in ("insert", "update", "delete")
        }, table["path"]
    counts = {t["path"]: t for t in manifest["tables"]}
    assert counts["agencies/police/persons"]["delete"] > 0  # duplicates merged within the year
    assert counts["agencies/social_care/referrals"]["update"] > 0  # referrals closed after they were made


def test_every_batch_row_is_dated_by_its_folder_and_carries_the_runs_columns_only(
    demo_run: Path, demo_daily_feed: Path, demo_batches: dict[str, list[tuple[dt.date, pa.Table]]]
) -> None:
    """The batches hold the agency's own columns, nothing from the truth: that stays in the feed's truth/."""
    for path, batches in demo_batches.items():
        columns = pq.read_schema(demo_run / f"{path}.parquet").names
        for day, batch in batches:
            assert batch.column_names == [OPERATION, BATCH_DAY, *columns], path
            assert set(batch[BATCH_DAY].to_pylist()) == {day}, path
    assert {p.name for p in demo_daily_feed.iterdir()} == {
        "agencies",
        "linkage",
        "truth",
        "feed.json",
        ".synthgen.json",
    }


def test_the_same_run_gives_the_same_feed_bytes(demo_run: Path, tmp_path: Path) -> None:
    for name in ("a", "b"):
        synthgen.feed(demo_run, tmp_path / name, cadence="weekly", format="csv")
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert files_a == files_b and len(files_a) > 100
    for relative in files_a:
        if relative.name != "feed.json":  # names its own folder
            assert (tmp_path / "a" / relative).read_bytes() == (tmp_path / "b" / relative).read_bytes(), relative
    a = json.loads((tmp_path / "a" / "feed.json").read_text())
    assert a == json.loads((tmp_path / "b" / "feed.json").read_text())


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"cadence": "hourly"}, "cadence must be one of daily, weekly, not 'hourly'"),
        ({"format": "xml"}, "format must be one of parquet, csv, dfe-api, not 'xml'"),
        ({"dfe_api_mode": "snapshot"}, "dfe_api_mode goes with format dfe-api only, not 'parquet'"),
        ({"format": "dfe-api", "dfe_api_mode": "daily"}, "dfe_api_mode must be one of deltas, snapshot, not 'daily'"),
        (
            {"format": "dfe-api", "dfe_api_mode": "deltas", "snapshot_on": "2024-10-15"},
            "dfe_api_mode deltas cannot go with a snapshot day: a snapshot is every child",
        ),
        ({"snapshot_on": "15/10/2024"}, "snapshot_on must be a date (YYYY-MM-DD), not '15/10/2024'"),
        (
            {"snapshot_on": dt.date(2024, 3, 31)},
            "snapshot_on 2024-03-31 is outside the run's period, 2024-04-01 to 2025-03-31",
        ),
    ],
)
def test_the_library_names_a_bad_argument_and_writes_nothing(
    demo_run: Path, tmp_path: Path, arguments: dict[str, object], message: str
) -> None:
    with pytest.raises(synthgen.ArgumentError) as raised:
        synthgen.feed(demo_run, tmp_path / "feed", **arguments)  # type: ignore[arg-type]
    assert str(raised.value) == message
    assert list(tmp_path.iterdir()) == []


def _files(folder: Path) -> dict[Path, bytes]:
    """Every file of a feed but its feed.json and folder marker (which name the folder), by path."""
    skip = {"feed.json", ".synthgen.json"}
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file() and p.name not in skip}


def test_building_tables_in_small_chunks_changes_no_byte_of_the_batches(
    demo_run: Path, demo_daily_feed: Path, tmp_path: Path
) -> None:
    """The demo's tables fit in one chunk each; in chunks of 997 records (the linkage view too) every batch file
    and the truth are the same bytes, and the counts the same."""
    facts = RunFacts(open_run(demo_run))
    days = batch_days(date_of(facts.first), date_of(facts.last), "daily")
    counts = write_batches(facts, tmp_path, days, "parquet", chunk=997)
    assert counts == json.loads((demo_daily_feed / "feed.json").read_text())["tables"]
    written, expected = _files(tmp_path), _files(demo_daily_feed)
    assert written.keys() == expected.keys() and len(written) > 1000
    assert all(written[path] == expected[path] for path in written)


def test_a_snapshot_built_in_small_chunks_is_the_same_bytes(
    demo_run: Path, demo_snapshot: Path, tmp_path: Path
) -> None:
    facts = RunFacts(open_run(demo_run))
    counts = write_snapshot(facts, tmp_path, day_of(SNAPSHOT_ON), "parquet", chunk=997)
    assert counts == json.loads((demo_snapshot / "feed.json").read_text())["tables"]
    written, expected = _files(tmp_path), _files(demo_snapshot)
    assert written.keys() == expected.keys()
    assert all(written[path] == expected[path] for path in written)
