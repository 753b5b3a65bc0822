"""Scoring a series of cluster files over time, against series built from the feed's own files: the truth's own
clusters each day score F1 1.0, latency 0 and no churn; a series one day late has latency 1; a series renumbered
every day churns; a bad series folder is one line and exit code 2."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import synthgen
from synthgen.cli import cli

DAYS = 40
"""The series below cover the first 40 days of the demo's daily feed: a month of new records and links."""


@pytest.fixture(scope="module")
def held(demo_run: Path, demo_daily_feed: Path) -> list[tuple[dt.date, dict[str, int]]]:
    """The records held at the end of each of the first DAYS batch days, with their person, by replaying the
    feed's linkage batches (the person of a merged duplicate from the feed's truth/merged)."""
    truth = pq.read_table(demo_run / "truth/records.parquet", columns=["record_id", "person_id"])
    merged = pq.read_table(demo_daily_feed / "truth/merged.parquet", columns=["linkage_record_id", "person_id"])
    person = dict(zip(truth["record_id"].to_pylist(), truth["person_id"].to_pylist(), strict=True))
    person |= dict(zip(merged["linkage_record_id"].to_pylist(), merged["person_id"].to_pylist(), strict=True))
    days = json.loads((demo_daily_feed / "feed.json").read_text())["batches"][:DAYS]
    state: dict[str, int] = {}
    out = []
    for day in days:
        path = demo_daily_feed / "linkage" / day / "records.parquet"
        if path.exists():
            batch = pq.read_table(path, columns=["operation", "record_id"])
            for operation, record in zip(batch["operation"].to_pylist(), batch["record_id"].to_pylist(), strict=True):
                if operation == "delete":
                    del state[record]
                else:
                    state[record] = person[record]
        out.append((dt.date.fromisoformat(day), dict(state)))
    return out


def _write(folder: Path, day: dt.date, ids: list[str], clusters: list[object]) -> None:
    folder.mkdir(exist_ok=True)
    pq.write_table(pa.table({"record_id": ids, "cluster_id": clusters}), folder / f"{day.isoformat()}.parquet")


def test_the_truths_own_clusters_score_one_every_day(
    demo_run: Path, held: list[tuple[dt.date, dict[str, int]]], tmp_path: Path
) -> None:
    for day, records in held:
        _write(tmp_path / "perfect", day, list(records), list(records.values()))
    result = synthgen.evaluate_linkage_series(demo_run, tmp_path / "perfect")
    assert result.days == DAYS and result.last_day_scores is None
    for day, (date, records) in zip(result.over_time, held, strict=True):
        assert (day.date, day.records, day.absent_singletons) == (date.isoformat(), len(records), 0)
        assert day.pairwise.f1 == day.bcubed.f1 == 1.0
        assert day.from_the_future == day.no_longer_held == 0
    latency = result.latency
    assert latency.people > 1000 and latency.linked == latency.people
    assert (latency.median_days, latency.within_0_days, latency.never) == (0.0, 1.0, 0.0)
    assert result.churn.changes == result.churn.churned == 0
    kept = sum(len(set(a) & set(b)) for (_, a), (_, b) in itertools.pairwise(held))
    assert result.churn.compared == kept


def test_a_series_linking_a_day_late_has_latency_one(
    demo_run: Path, held: list[tuple[dt.date, dict[str, int]]], tmp_path: Path
) -> None:
    """A record of a person with other records is a singleton on the day it arrives and with its person from the
    next day on (a person's only record is named by its person from the start: renaming a lone record is churn)."""
    before: dict[str, int] = {}
    late_people: dict[int, int] = {}  # person -> the day index their second record arrived
    for k, (day, records) in enumerate(held):
        counts_before = Counter(before.values())
        new = Counter(p for r, p in records.items() if r not in before)
        labels = [
            f"new {r}" if k and r not in before and (counts_before[p] or new[p] > 1) else p for r, p in records.items()
        ]
        _write(tmp_path / "late", day, list(records), [str(label) for label in labels])
        for p, count in Counter(records.values()).items():
            if k and count >= 2 and counts_before[p] < 2:
                late_people.setdefault(p, k)
        before = records
    result = synthgen.evaluate_linkage_series(demo_run, tmp_path / "late")
    # linked the next day only if two of the records held on the day are still held then (a duplicate merged the
    # next day, or a second record on the last day, is never linked within the series)
    linked = {
        p
        for p, k in late_people.items()
        if k + 1 < DAYS and sum(q == p and r in held[k + 1][1] for r, q in held[k][1].items()) >= 2
    }
    assert set(result.latency.histogram) == {"0", "1"}
    assert result.latency.histogram["1"] == len(linked) > 10
    assert result.latency.never == (len(late_people) - len(linked)) / result.latency.people
    assert result.churn.churned == 0 and result.churn.changes > 0


def test_a_series_renumbering_its_clusters_churns(
    demo_run: Path, held: list[tuple[dt.date, dict[str, int]]], tmp_path: Path
) -> None:
    for k, (day, records) in enumerate(held):
        _write(tmp_path / "renumbered", day, list(records), [p + 1_000_000 * (k % 2) for p in records.values()])
    result = synthgen.evaluate_linkage_series(demo_run, tmp_path / "renumbered")
    assert all(day.pairwise.f1 == 1.0 for day in result.over_time)
    churn = result.churn
    assert churn.changes == churn.compared and churn.churned > 0.9 * churn.compared
    assert churn.churned_records > 20_000
    assert result.over_time[1].churned > 0


def test_the_cli_writes_json_and_a_report_over_time(
    demo_run: Path, held: list[tuple[dt.date, dict[str, int]]], tmp_path: Path
) -> None:
    for day, records in held[:5]:
        _write(tmp_path / "series", day, list(records), list(records.values()))
    (tmp_path / "series" / "series.json").write_text("{}")
    args = ["evaluate", "linkage", str(demo_run), str(tmp_path / "series")]
    result = CliRunner().invoke(cli, [*args, "--json", str(tmp_path / "s.json"), "--report", str(tmp_path / "s.html")])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == f"5 days, {held[0][0]} to {held[4][0]}"
    written = json.loads((tmp_path / "s.json").read_text())
    assert [d["date"] for d in written["over_time"]] == [d.isoformat() for d, _ in held[:5]]
    assert written["provenance"]["input_sha256"]["series"] and written["format"] == "series"
    page = (tmp_path / "s.html").read_text()
    assert "Over time" in page and "<svg" in page and "http" not in page.split("</head>")[1]


def test_bad_series_folders_are_one_line(
    demo_run: Path, held: list[tuple[dt.date, dict[str, int]]], tmp_path: Path
) -> None:
    day, records = held[3]
    ids = list(records)

    def folder(name: str, files: dict[str, pa.Table | str]) -> Path:
        path = tmp_path / name
        path.mkdir()
        for file_name, content in files.items():
            if isinstance(content, str):
                (path / file_name).write_text(content)
            else:
                pq.write_table(content, path / file_name)
        return path

    good = pa.table({"record_id": ids, "cluster_id": list(range(len(ids)))})
    pairs = pa.table({"record_id_l": ids[:2], "record_id_r": ids[1:3], "match_probability": [0.9, 0.8]})
    unknown = pa.table({"record_id": ["nobody"], "cluster_id": [1]})
    cases = {
        "empty": (
            {"notes.md": ""},
            "{path}/notes.md: not a cluster file of a series (name each day's file "
            "YYYY-MM-DD.parquet or YYYY-MM-DD.csv)",
        ),
        "nothing": ({}, "{path}: no cluster files named by date (YYYY-MM-DD.parquet or YYYY-MM-DD.csv)"),
        "badname": (
            {"2024-02-30.parquet": good},
            "{path}/2024-02-30.parquet: not a cluster file of a series (name "
            "each day's file YYYY-MM-DD.parquet or YYYY-MM-DD.csv)",
        ),
        "outside": (
            {"2025-04-01.parquet": good},
            "{path}/2025-04-01.parquet: 2025-04-01 is outside the run's period, 2024-04-01 to 2025-03-31",
        ),
        "pairs": (
            {f"{day}.parquet": pairs},
            "{path}/" + f"{day}.parquet: not clusters; expected record_id and "
            "cluster_id (Splink: unique_id, cluster_id); found: record_id_l, record_id_r, match_probability",
        ),
        "unknown": (
            {f"{day}.parquet": unknown},
            "{path}/" + f"{day}.parquet: 1 record_id values are not records of this run's feed (e.g. 'nobody')",
        ),
        "twice": (
            {f"{day}.parquet": good, f"{day}.csv": "record_id,cluster_id\n"},
            "{path}/" + f"{day}.parquet: a second file for {day} (beside {day}.csv)",
        ),
    }
    for name, (files, message) in cases.items():
        path = folder(name, files)
        result = CliRunner().invoke(cli, ["evaluate", "linkage", str(demo_run), str(path)])
        assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"Error: {message.format(path=path)}\n")
    result = CliRunner().invoke(
        cli, ["evaluate", "linkage", str(demo_run), str(tmp_path / "pairs"), "--threshold", "0.5"]
    )
    assert result.stderr == "Error: --threshold applies to scored pairs; a series holds clusters\n"
