"""Scoring a linkage system over time: a series of cluster files, one per day, against the truth as of each day.

SERIES is a folder of cluster files named by date (`YYYY-MM-DD.parquet` or `.csv`, record_id and cluster_id, or
Splink's unique_id), what `synthgen link --incremental` writes (its `series.json` and hidden files are ignored).
Each day's file is scored against the records the linkage view held at the end of that day, as the run's feed
carries them (`synthgen.feeds.linkage_timeline`: a record counts from the day it was made, a merged duplicate
until the day it was deleted, each as its person's): pairwise and B-cubed precision, recall and F1, with held
records the file leaves out as singletons and records it names that were not held that day (not yet made, or
deleted) counted apart and left out. Over the whole series:

- **link latency**: for each person with two records held on some day of the series, the days from the first such
  day to the first day the system has two of the person's records in one cluster (0: linked on the day they
  could first be; never: not within the series);
- **id churn**: a record held and named on two consecutive days of the series whose cluster id differs, without a
  truth reason: no record of the same person was made, changed or deleted (a duplicate merged) after the first
  day and by the second, and its new cluster holds no more of its person's records than its old one (a link made
  late is latency, not churn). Ids are compared as they are written (integers, or text), so a renumbering is
  churn.

The last file, when it is the run's last day, is also scored in full as `synthgen evaluate linkage` scores one
file (`last_day_scores`). Every problem with the folder is one line: no dated files, a name that is not a date, a
date outside the run's period, a file that is not clusters, a record id that is not the feed's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen.errors import SynthgenError, shown
from synthgen.evaluation import adapters, columns, metrics
from synthgen.evaluation.linkage import score_linkage
from synthgen.evaluation.linkage_scores import PrecisionRecall
from synthgen.evaluation.linkage_series_report import series_report
from synthgen.evaluation.linkage_series_scores import DayScore, IdChurn, LinkLatency, SeriesScores
from synthgen.evaluation.provenance import provenance
from synthgen.evaluation.record_index import RecordIndex
from synthgen.feeds.known import date_of, day_of
from synthgen.feeds.linkage_timeline import Timeline, linkage_timeline
from synthgen.outputs.files import claimed, write_text
from synthgen.outputs.parquet import sha256
from synthgen.run_folder import Run, open_run

DATED = re.compile(r"(\d{4}-\d{2}-\d{2})\.(parquet|csv)", re.IGNORECASE)
IGNORED = ("series.json",)
"""Files a series folder may hold beside its cluster files: what `synthgen link --incremental` writes."""


def evaluate_linkage_series(
    run: str | Path | Run,
    series: str | Path,
    *,
    json_path: str | Path | None = None,
    report_path: str | Path | None = None,
    overwrite: bool = False,
) -> SeriesScores:
    """Score a folder of cluster files named by date against a run's truth as of each day; with `json_path` and
    `report_path`, also write the scores as JSON and as one self-contained HTML page (an existing file is replaced
    only with `overwrite`)."""
    with claimed([json_path, report_path], overwrite):
        result = score_linkage_series(run, series)
        written = result.as_dict()
        if json_path is not None:
            write_text(Path(json_path), json.dumps(written, indent=2, allow_nan=False) + "\n")
        if report_path is not None:
            write_text(Path(report_path), series_report(written))
    return result


def series_files(series: str | Path, first: dt.date, last: dt.date) -> list[tuple[dt.date, Path]]:
    """The series' cluster files by date, checked: every file named by a date in the run's period, one per date."""
    folder = Path(series)
    if not folder.is_dir():
        raise SynthgenError(f"{folder}: no such folder" if not folder.exists() else f"{folder}: a series is a folder")
    found: dict[dt.date, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.name in IGNORED:
            continue
        match = DATED.fullmatch(path.name)
        day = _date(match.group(1)) if match else None
        if day is None or not path.is_file():
            raise SynthgenError(
                f"{path}: not a cluster file of a series (name each day's file YYYY-MM-DD.parquet or YYYY-MM-DD.csv)"
            )
        if not first <= day <= last:
            raise SynthgenError(f"{path}: {day} is outside the run's period, {first} to {last}")
        if day in found:
            raise SynthgenError(f"{path}: a second file for {day} (beside {found[day].name})")
        found[day] = path
    if not found:
        raise SynthgenError(f"{folder}: no cluster files named by date (YYYY-MM-DD.parquet or YYYY-MM-DD.csv)")
    return sorted(found.items())


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class DayClusters:
    """One file of the series: the timeline's row of each record it names, and each record's cluster id as
    written (int64 or text)."""

    rows: NDArray[np.int64]
    labels: pa.Array


def read_day(path: Path, index: RecordIndex) -> DayClusters:
    """A day's cluster file, checked: clusters (not pairs), each record once, every record the feed's."""
    name = str(path)
    table = columns.read_file(path, "clusters", allow_empty=True)
    names = set(table.column_names)
    id_column = next((ids for ids, cluster in adapters.CLUSTER_COLUMNS if {ids, cluster} <= names), None)
    if id_column is None:
        raise SynthgenError(
            f"{name}: not clusters; expected record_id and cluster_id (Splink: unique_id, cluster_id); "
            f"{adapters.found(table)}"
        )
    ids = adapters.record_id_column(name, table, id_column)
    rows = index.rows(ids)
    if (rows < 0).any():
        unknown = pc.unique(ids.filter(pa.array(rows < 0)))
        raise SynthgenError(
            f"{name}: {len(unknown):,} {id_column} values are not records of this run's feed "
            f"(e.g. {shown(unknown[0].as_py())})"
        )
    if len(rows) and (np.bincount(rows) > 1).any():
        counts = np.bincount(rows)
        repeated = index.ids_of(np.flatnonzero(counts > 1)[:1])[0].as_py()
        raise SynthgenError(f"{name}: record {shown(repeated)} is in more than one row; a record is in one cluster")
    labels = columns.column(name, table, "cluster_id")
    if pa.types.is_integer(labels.type):
        labels = labels.cast(pa.int64())
    else:
        labels = columns.text(name, table, "cluster_id", integers=True, holding="cluster labels (text or integers)")
    if labels.null_count:
        raise SynthgenError(f"{name}: column cluster_id has {labels.null_count:,} empty values")
    return DayClusters(rows.astype(np.int64), labels)


def score_linkage_series(run: str | Path | Run, series: str | Path) -> SeriesScores:
    """As `evaluate_linkage_series`, without writing anything."""
    opened = open_run(run)
    for name in ("linkage/records", "truth/records"):
        if not opened.has(name):
            raise SynthgenError(f"{opened.path}: this run has no {name} (generated before linkage views existed?)")
    timeline = linkage_timeline(opened)
    files = series_files(series, date_of(timeline.first), date_of(timeline.last))
    index = RecordIndex.of(timeline.record_id)
    tracker = _Tracker(timeline)
    days = [tracker.day(day_of(day), day.isoformat(), read_day(path, index)) for day, path in files]
    last_day, last_path = files[-1]
    # the last file scored in full as one file is, when it names exactly the records held that day (the run's)
    whole = days[-1].from_the_future == days[-1].no_longer_held == 0
    full = score_linkage(opened, last_path) if day_of(last_day) == timeline.last and whole else None
    digest = hashlib.sha256("".join(f"{p.name} {sha256(p)}\n" for _, p in files).encode()).hexdigest()
    proof = provenance(opened, {})
    proof = replace(proof, input_sha256={"series": digest})
    return SeriesScores(
        run=str(opened.path) if isinstance(run, Run) else str(run),
        series=str(series),
        format="series",
        days=len(files),
        first_day=files[0][0].isoformat(),
        last_day=last_day.isoformat(),
        over_time=days,
        latency=tracker.latency(),
        churn=tracker.churn(),
        last_day_scores=full,
        provenance=proof,
    )


class _Tracker:
    """Walks the series day by day, scoring each day and keeping what latency and churn need: each person's first
    day with two records held and first day linked, and the day before's cluster id of every record."""

    def __init__(self, timeline: Timeline) -> None:
        self.timeline = timeline
        people, self.person = np.unique(timeline.person, return_inverse=True)
        self.person = self.person.reshape(-1).astype(np.int64)
        self.first_two = np.full(len(people), -1, np.int64)
        self.first_linked = np.full(len(people), -1, np.int64)
        event_person, event_day = timeline.person_events()
        self.event_key = np.searchsorted(people, event_person) * np.int64(1 << 32) + event_day
        self.previous: pa.Array | None = None
        self.previous_day = 0
        self.together = np.zeros(len(timeline.made), np.int64)  # each record's own person's records in its cluster
        self.compared = self.changes = self.explained = 0
        self.churned_records = np.zeros(len(timeline.made), bool)

    def day(self, day: int, date: str, clusters: DayClusters) -> DayScore:
        timeline = self.timeline
        held = timeline.held_on(day)
        named = np.zeros(len(held), bool)
        named[clusters.rows] = True
        rows = np.flatnonzero(held)
        label = np.full(len(held), -1, np.int64)
        inside = held[clusters.rows]
        label[clusters.rows[inside]] = adapters.first_seen_codes(clusters.labels.filter(pa.array(inside)))
        absent = held & ~named
        label[absent] = label.max(initial=-1) + 1 + np.arange(int(absent.sum()))
        table = metrics.contingency(self.person[rows], label[rows])
        scored = metrics.scores(table)
        self._latency_day(day, table)
        together = np.zeros(len(held), np.int64)
        _, cell, size = np.unique(
            self.person[rows] * np.int64(len(held) + 1) + label[rows], return_inverse=True, return_counts=True
        )
        together[rows] = size[cell.reshape(-1)]
        changes, churned = self._churn_day(day, held, clusters, together)
        outside = clusters.rows[~inside]
        return DayScore(
            date=date,
            records=len(rows),
            records_in_predictions=int(inside.sum()),
            absent_singletons=int(absent.sum()),
            from_the_future=int((timeline.made[outside] > day).sum()),
            no_longer_held=int((timeline.made[outside] <= day).sum()),
            pairwise=PrecisionRecall(scored.pairwise_precision, scored.pairwise_recall, scored.pairwise_f1),
            bcubed=PrecisionRecall(scored.bcubed_precision, scored.bcubed_recall, scored.bcubed_f1),
            true_clusters=scored.true_clusters,
            predicted_clusters=scored.predicted_clusters,
            id_changes=changes,
            churned=churned,
        )

    def _latency_day(self, day: int, table: metrics.Contingency) -> None:
        """Note the people who first have two records held, and first have two in one cluster, on this day."""
        two = table.true_labels[table.true_sizes >= 2]
        fresh = two[self.first_two[two] < 0]
        self.first_two[fresh] = day
        linked = np.unique(table.true_labels[table.cell_true[table.cell_size >= 2]])
        fresh = linked[self.first_linked[linked] < 0]
        self.first_linked[fresh] = day

    def _churn_day(
        self, day: int, held: NDArray[np.bool_], clusters: DayClusters, together: NDArray[np.int64]
    ) -> tuple[int, int]:
        """Records whose id differs from the day before's, and of those the ones without a truth reason: none of
        the person's records made, changed or deleted since the day before, and no more of them in its cluster."""
        position = np.full(len(held), -1, np.int64)
        position[clusters.rows] = np.arange(len(clusters.rows))
        position[~held] = -1
        now = clusters.labels.take(pa.array(position, mask=position < 0))
        before, self.previous = self.previous, now
        together_before, self.together = self.together, together
        start, self.previous_day = self.previous_day, day
        if before is None:
            return 0, 0
        if before.type != now.type:
            before, now = before.cast(pa.string()), now.cast(pa.string())
        both = before.is_valid().to_numpy(zero_copy_only=False) & now.is_valid().to_numpy(zero_copy_only=False)
        differs = pc.fill_null(pc.not_equal(before, now), False).to_numpy(zero_copy_only=False)
        changed = np.flatnonzero(both & differs)
        key = self.person[changed] * np.int64(1 << 32)
        after = np.searchsorted(self.event_key, key + start, "right")
        reasons = np.searchsorted(self.event_key, key + day, "right") - after
        reasons += together[changed] > together_before[changed]
        churned = changed[reasons == 0]
        self.churned_records[churned] = True
        self.compared += int(both.sum())
        self.changes += len(changed)
        self.explained += int((reasons > 0).sum())
        return len(changed), len(churned)

    def latency(self) -> LinkLatency:
        could = self.first_two >= 0
        people = int(could.sum())
        linked = could & (self.first_linked >= 0)
        days = (self.first_linked - self.first_two)[linked]
        values, counts = np.unique(days, return_counts=True)

        def share(hits: int) -> float:
            return hits / people if people else 0.0

        return LinkLatency(
            people=people,
            linked=int(linked.sum()),
            median_days=float(np.median(days)) if len(days) else None,
            within_0_days=share(int((days <= 0).sum())),
            within_7_days=share(int((days <= 7).sum())),
            within_30_days=share(int((days <= 30).sum())),
            never=share(people - int(linked.sum())),
            histogram={str(d): c for d, c in zip(values.tolist(), counts.tolist(), strict=True)},
        )

    def churn(self) -> IdChurn:
        churned = self.changes - self.explained
        return IdChurn(
            compared=self.compared,
            changes=self.changes,
            explained=self.explained,
            churned=churned,
            churned_records=int(self.churned_records.sum()),
            churn_share=churned / self.compared if self.compared else 0.0,
        )


__all__ = ["evaluate_linkage_series", "score_linkage_series", "series_files"]
