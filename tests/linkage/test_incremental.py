"""The reference linker day by day: lasting cluster ids, records leaving on delete, and, on the demo's feed, the
last day's clusters equal to `synthgen link` on the run."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

import synthgen
from synthgen.cli import cli
from synthgen.linkage import exact
from synthgen.linkage.incremental import apply_batch, carry_ids, link_batches


def _clusters(ids: list[str], labels: list[int]) -> pa.Table:
    return pa.table({"record_id": pa.array(ids, pa.string()), "cluster_id": pa.array(labels, pa.int64())})


def _partition(table: pa.Table) -> set[frozenset[str]]:
    groups: dict[object, set[str]] = {}
    for record, cluster in zip(table["record_id"].to_pylist(), table["cluster_id"].to_pylist(), strict=True):
        groups.setdefault(cluster, set()).add(record)
    return {frozenset(g) for g in groups.values()}


@given(
    before=st.lists(st.integers(0, 6), min_size=0, max_size=25),
    after=st.lists(st.integers(0, 6), min_size=1, max_size=25),
    next_id=st.integers(7, 50),
)
def test_carried_ids_keep_the_partition_and_the_ids_of_unchanged_clusters(
    before: list[int], after: list[int], next_id: int
) -> None:
    """Records r0..r(n-1) yesterday in clusters `before` (ids 0..6), today in clusters `after`."""
    previous = _clusters([f"r{i:02d}" for i in range(len(before))], before)
    today = _clusters([f"r{i:02d}" for i in range(len(after))], after)
    carried = carry_ids(previous, today, next_id)
    assert carried.clusters["record_id"].to_pylist() == today["record_id"].to_pylist()
    assert _partition(carried.clusters) == _partition(today)
    ids = carried.clusters["cluster_id"].to_numpy()
    fresh = sorted({int(i) for i in ids if i >= next_id})
    assert fresh == list(range(next_id, carried.next_id))
    old = {int(i) for i in ids if i < next_id}
    assert old <= set(before)
    # a cluster holding exactly the records of one of yesterday's (those still here) keeps its id
    for group in _partition(today):
        rows = [int(r[1:]) for r in group]
        olds = {before[r] for r in rows if r < len(before)}
        if len(olds) == 1 and all(r < len(before) for r in rows):
            (cluster,) = olds
            members = {f"r{i:02d}" for i, c in enumerate(before) if c == cluster and i < len(after)}
            if members == set(group):
                assert {int(ids[r]) for r in rows} == {cluster}


def test_a_merge_keeps_the_smallest_id_and_a_split_gives_the_id_to_the_larger_part() -> None:
    previous = _clusters(["a", "b", "c", "d", "e"], [4, 4, 9, 9, 9])
    merged = carry_ids(previous, _clusters(["a", "b", "c", "d", "e", "f"], [0, 0, 0, 0, 0, 0]), 10)
    assert merged.clusters["cluster_id"].to_pylist() == [4] * 6 and merged.next_id == 10
    split = carry_ids(previous, _clusters(["a", "b", "c", "d", "e"], [0, 0, 2, 3, 3]), 10)
    assert split.clusters["cluster_id"].to_pylist() == [4, 4, 10, 9, 9] and split.next_id == 11


def test_new_records_join_clusters_under_their_ids_and_deleted_records_leave() -> None:
    def batch(operations: list[str], ids: list[str], nhs: list[str]) -> pa.Table:
        return pa.table({"operation": operations, "record_id": ids, "nhs_number": nhs})

    days = [dt.date(2024, 4, 1) + dt.timedelta(days=k) for k in range(4)]
    batches: list[tuple[dt.date, pa.Table | None]] = [
        (days[0], batch(["insert"] * 3, ["r1", "r2", "r3"], ["9990000001", "9990000002", "9990000002"])),
        (days[1], batch(["insert"], ["r0"], ["9990000002"])),
        (days[2], None),
        (days[3], batch(["delete", "update"], ["r2", "r1"], ["9990000002", "9990000002"])),
    ]
    out = dict(link_batches(batches, lambda view: exact.link(view, use_upn=False)))
    assert out[days[0]].to_pylist() == [
        {"record_id": "r1", "cluster_id": 0},
        {"record_id": "r2", "cluster_id": 1},
        {"record_id": "r3", "cluster_id": 1},
    ]
    assert dict(zip(out[days[1]]["record_id"].to_pylist(), out[days[1]]["cluster_id"].to_pylist(), strict=True)) == {
        "r0": 1,
        "r1": 0,
        "r2": 1,
        "r3": 1,
    }
    assert out[days[2]].equals(out[days[1]])
    # r1 now shares r0's and r3's NHS number: the merge keeps the older id, 0; r2 has left
    assert out[days[3]].to_pylist() == [
        {"record_id": "r0", "cluster_id": 0},
        {"record_id": "r1", "cluster_id": 0},
        {"record_id": "r3", "cluster_id": 0},
    ]


def test_a_batch_replaces_updated_records_and_drops_deleted_ones() -> None:
    state = pa.table({"record_id": ["a", "b"], "given_name": ["Ann", "Bob"]})
    batch = pa.table(
        {"operation": ["update", "delete", "insert"], "record_id": ["a", "b", "c"], "given_name": ["Anne", "Bob", "Cy"]}
    )
    after = apply_batch(state, batch)
    assert sorted(after.to_pylist(), key=lambda r: r["record_id"]) == [
        {"record_id": "a", "given_name": "Anne"},
        {"record_id": "c", "given_name": "Cy"},
    ]


@pytest.fixture(scope="module")
def weekly_feed(demo_weekly_feed: Path) -> Path:
    return demo_weekly_feed


@pytest.fixture(scope="module")
def weekly_series(weekly_feed: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("series") / "exact"
    result = CliRunner().invoke(cli, ["link", str(weekly_feed), "--incremental", "--method", "exact", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Wrote {out}: 53 days of clusters (exact) in ")
    return out


def test_the_last_day_is_the_run_linked_whole(demo_run: Path, weekly_feed: Path, weekly_series: Path) -> None:
    batches = json.loads((weekly_feed / "feed.json").read_text())["batches"]
    written = sorted(p.name for p in weekly_series.iterdir() if not p.name.startswith("."))
    assert written == sorted([f"{day}.parquet" for day in batches] + ["series.json"])
    last = pq.read_table(weekly_series / f"{batches[-1]}.parquet")
    whole = synthgen.link(demo_run, "exact")
    assert last["record_id"].equals(whole["record_id"])
    assert _partition(last) == _partition(whole)
    manifest = json.loads((weekly_series / "series.json").read_text())
    assert (manifest["method"], manifest["days"], manifest["cadence"]) == ("exact", batches, "weekly")


def test_the_series_scores_as_the_run_on_its_last_day(demo_run: Path, weekly_series: Path) -> None:
    """The exact linker's ids only change when a person's records change: no churn."""
    result = synthgen.evaluate_linkage_series(demo_run, weekly_series)
    whole = synthgen.evaluate_linkage(demo_run, synthgen.link(demo_run, "exact"))
    assert result.last_day_scores is not None
    assert result.last_day_scores.pairwise == whole.pairwise == result.over_time[-1].pairwise
    assert result.churn.churned == 0 and result.churn.changes > 0
    assert 0.5 < result.latency.within_0_days < 1.0
    assert all(day.absent_singletons == day.from_the_future == day.no_longer_held == 0 for day in result.over_time)


def test_linking_incrementally_needs_a_feed_of_batches(demo_run: Path, weekly_feed: Path, tmp_path: Path) -> None:
    snapshot = tmp_path / "snapshot"
    synthgen.feed(demo_run, snapshot, snapshot_on="2024-06-01")
    cases = {
        str(demo_run): f"{demo_run}: not a feed (no readable feed.json; write one with synthgen feed)",
        str(snapshot): f"{snapshot}: a snapshot has no batches; link its linkage/records.parquet as a run's",
        str(tmp_path / "nowhere"): f"{tmp_path / 'nowhere'}: no such feed folder",
    }
    for source, message in cases.items():
        result = CliRunner().invoke(cli, ["link", source, "--incremental", "-o", str(tmp_path / "out")])
        assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"Error: {message}\n")
        assert not (tmp_path / "out").exists()
    (tmp_path / "taken").write_text("mine")
    result = CliRunner().invoke(cli, ["link", str(weekly_feed), "--incremental", "-o", str(tmp_path / "taken")])
    assert result.exit_code == 2 and (tmp_path / "taken").read_text() == "mine"
