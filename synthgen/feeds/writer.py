"""Writing a feed: each agency's batches, day by day, the linkage view's, and the feed's truth apart.

```
<feed>/feed.json                                 what the feed is: its run, cadence, format, batch days, row counts
<feed>/agencies/<agency>/<YYYY-MM-DD>/<table>.parquet   the batch the agency's system exported that day
<feed>/linkage/<YYYY-MM-DD>/records.parquet      the linkage view's batch (what `synthgen link --incremental` reads)
<feed>/truth/changes.parquet                     every change after a record was made: when, why, which fields
<feed>/truth/merged.parquet                      duplicates made and merged within the year: whose, and when
```
With `--snapshot-on DATE`, instead, the run's own layout as it stood at the end of that day:
```
<feed>/feed.json, <feed>/agencies/<agency>/<table>.parquet, <feed>/linkage/records.parquet
<feed>/truth/{records,events,signals,changes,merged}.parquet   the truth as it stood that day
```
A batch file is written only for a table with rows that day. Every row starts with `operation` and `batch_day`,
then the table's own columns as the run's file declares them. Tables are written one at a time (the linkage view
last, from the person-level tables' views), so memory holds about one table's history.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from synthgen import __version__, tables
from synthgen.feeds.batches import exported, operation_counts, state_on
from synthgen.feeds.history import Days, History, dates
from synthgen.feeds.known import RunFacts, date_of
from synthgen.feeds.merges import Merged
from synthgen.feeds.replay import row_key
from synthgen.feeds.tables import feed_tables, linkage_history, table_history, view_part
from synthgen.feeds.truth_on import truth_on
from synthgen.outputs.parquet import COMPRESSION

MANIFEST = "feed.json"
COMPRESS_FROM = 1000
"""Batch files of fewer rows are written uncompressed: most of a daily feed's files hold a handful of rows, which
compression barely shrinks and setting it up per column costs more than the rows themselves."""
WRITERS = 8
"""Threads writing batch files: a feed is thousands of small files, and writing one waits mostly on the file
system (pyarrow lets go of the interpreter while it writes), so several at once finish sooner. The bytes of each
file do not depend on it."""
TRUTH_CHANGES = pa.schema(
    [
        ("source", pa.string()),
        ("table", pa.string()),
        ("record_id", pa.string()),
        ("changed_on", pa.date32()),
        ("change", pa.string()),
        ("fields", pa.list_(pa.string())),
    ]
)


def header(facts: RunFacts, kind: str, **more: Any) -> dict[str, Any]:
    """What every feed's feed.json starts with."""
    manifest = facts.run.manifest
    return {
        "synthgen_version": __version__,
        "synthetic": True,
        "kind": kind,
        "run": str(facts.run.path),
        "scenario_sha256": manifest.get("scenario_sha256"),
        "seed": facts.seed,
        "period": manifest["period"],
        **more,
    }


def _metadata(facts: RunFacts, path: str, day: str | None) -> dict[bytes, bytes]:
    values = {
        "synthgen.version": __version__,
        "synthgen.scenario_sha256": str(facts.run.manifest.get("scenario_sha256")),
        "synthgen.seed": str(facts.seed),
        "synthgen.synthetic": "true",
        "synthgen.table": path,
        **({"synthgen.batch_day": day} if day else {}),
    }
    return {k.encode(): v.encode() for k, v in values.items()}


def csv_ready(table: pa.Table) -> pa.Table:
    """A table CSV can hold: lists joined with '; ' (the training pack's convention), all else as Arrow writes it."""
    columns = []
    for column in table.columns:
        values = column.combine_chunks()
        if pa.types.is_list(values.type):
            values = pc.binary_join(pc.cast(values, pa.list_(pa.string())), "; ")
        columns.append(values)
    return pa.table(columns, names=table.column_names)


def write_file(table: pa.Table, path: Path, fmt: str, metadata: dict[bytes, bytes]) -> None:
    """One file of a feed, Parquet (with the run's metadata) or CSV."""
    if fmt == "csv":
        pacsv.write_csv(csv_ready(table), path.with_suffix(".csv"))
    else:
        compression = COMPRESSION if table.num_rows >= COMPRESS_FROM else "none"
        pq.write_table(table.replace_schema_metadata(metadata), path.with_suffix(".parquet"), compression=compression)


def _folder(path: str) -> tuple[str, str]:
    """Where a table's batches go (agencies/<agency> or linkage) and the name of its files."""
    folder, name = path.rsplit("/", 1)
    return folder, name


def write_batches(facts: RunFacts, temp: Path, days: Days, fmt: str) -> list[dict[str, Any]]:
    """Every table's batches into `temp`, the linkage view's last, and the feed's truth; returns each table's
    counts for feed.json."""
    counts, parts, changes, merged = [], [], [], []
    folders: set[Path] = set()
    pool = ThreadPoolExecutor(max_workers=WRITERS)
    with pool:
        for path in feed_tables(facts):
            table = table_history(facts, path)
            counts.append(_write_table(facts, temp, table.history, days, fmt, pool, folders))
            changes.append(_truth_changes(table.history))
            if table.merged is not None:
                merged.append(_truth_merged(facts, table.history, table.merged))
            if tables.table(path).person is not None:
                parts.append(view_part(facts, table))
        if parts:
            counts.append(_write_table(facts, temp, linkage_history(facts, parts), days, fmt, pool, folders))
    (temp / "truth").mkdir(parents=True, exist_ok=True)
    write_file(pa.concat_tables(changes), temp / "truth" / "changes", fmt, _metadata(facts, "truth/changes", None))
    merged_table = pa.concat_tables(merged) if merged else MERGED.empty_table()
    write_file(merged_table, temp / "truth" / "merged", fmt, _metadata(facts, "truth/merged", None))
    return counts


def _write_table(
    facts: RunFacts, temp: Path, history: History, days: Days, fmt: str, pool: ThreadPoolExecutor, folders: set[Path]
) -> dict[str, Any]:
    """One table's batch files (`folders`: the day folders made so far, each made once: a daily feed has thousands
    and the file system is slow to be asked again)."""
    rows = exported(history, days)
    table = rows.table(history, days)
    folder, name = _folder(history.path)
    bounds = np.searchsorted(rows.batch, np.arange(len(days) + 1), side="left")
    jobs = []
    for k in np.flatnonzero(np.diff(bounds)).tolist():
        day = date_of(int(days[k])).isoformat()
        target = temp / folder / day
        if target not in folders:
            target.mkdir(parents=True, exist_ok=True)
            folders.add(target)
        part = table.slice(int(bounds[k]), int(bounds[k + 1] - bounds[k]))
        jobs.append(pool.submit(write_file, part, target / name, fmt, _metadata(facts, history.path, day)))
    for job in jobs:
        job.result()
    return {"path": history.path, **operation_counts(rows), "batches": len(jobs)}


def _record_ids(history: History) -> pa.Array:
    """Each record's id, from its last version."""
    last = np.r_[np.flatnonzero(history.record[1:] != history.record[:-1]), len(history.record) - 1]
    key = row_key(history.path)
    column = key[0] if key else None
    if column is None or not len(history.record):
        return pa.nulls(history.records, pa.string())
    return history.versions[column].combine_chunks().take(pa.array(last))


def _truth_changes(history: History) -> pa.Table:
    entry = tables.table(history.path)
    found = history.changes
    n = found.num_rows
    ids = _record_ids(history).take(found["record"]) if n else pa.array([], pa.string())
    return pa.table(
        [
            pa.array(np.full(n, entry.agency, dtype=object), pa.string()),
            pa.array(np.full(n, entry.name, dtype=object), pa.string()),
            ids,
            found["changed_on"],
            found["change"],
            found["fields"],
        ],
        schema=TRUTH_CHANGES,
    )


MERGED = pa.schema(
    [
        ("source", pa.string()),
        ("table", pa.string()),
        ("record_id", pa.string()),
        ("linkage_record_id", pa.string()),
        ("person_id", pa.int64()),
        ("duplicate_of", pa.string()),
        ("made_on", pa.date32()),
        ("merged_on", pa.date32()),
    ]
)


def _truth_merged(facts: RunFacts, history: History, merged: Merged) -> pa.Table:
    """The table's merged duplicates: whose they are, which record they were merged into, and when."""
    entry = tables.table(history.path)
    extra = np.arange(history.year_end_rows, history.records)
    ids = _record_ids(history)
    originals = ids.take(pa.array(merged.transients.copy_of))
    truth = facts.person_records(history.path)
    person = (
        truth["person_id"]
        .combine_chunks()
        .take(pc.index_in(originals, value_set=truth["source_record_id"].combine_chunks()))
    )
    m = len(extra)
    return pa.table(
        [
            pa.array(np.full(m, entry.agency, dtype=object), pa.string()),
            pa.array(np.full(m, entry.name, dtype=object), pa.string()),
            ids.take(pa.array(extra)),
            merged.linkage_ids,
            person,
            originals,
            dates(history.made[extra]),
            dates(history.purged[extra]),
        ],
        schema=MERGED,
    )


def write_snapshot(facts: RunFacts, temp: Path, day: int, fmt: str) -> list[dict[str, Any]]:
    """Every table as it stood at the end of `day`, in the run's layout (agencies/<agency>/<table>, linkage), and
    the truth as it stood then (synthgen.feeds.truth_on)."""
    counts, parts, changes, merged = [], [], [], []
    for path in feed_tables(facts):
        table = table_history(facts, path)
        counts.append(_write_state(facts, temp, table.history, day, fmt))
        changes.append(_truth_changes(table.history))
        if table.merged is not None:
            merged.append(_truth_merged(facts, table.history, table.merged))
        if tables.table(path).person is not None:
            parts.append(view_part(facts, table))
    held = pa.array([], pa.string())
    if parts:
        linkage = linkage_history(facts, parts)
        counts.append(_write_state(facts, temp, linkage, day, fmt))
        held = linkage.versions["record_id"].combine_chunks().take(pa.array(state_on(linkage, day)))
    merged_table = pa.concat_tables(merged) if merged else MERGED.empty_table()
    truth = truth_on(facts, day, held, pa.concat_tables(changes), merged_table)
    for path, rows in truth.items():
        target = temp / path
        target.parent.mkdir(parents=True, exist_ok=True)
        write_file(rows, target, fmt, _metadata(facts, path, date_of(day).isoformat()))
    return counts


def _write_state(facts: RunFacts, temp: Path, history: History, day: int, fmt: str) -> dict[str, Any]:
    rows = history.versions.take(pa.array(state_on(history, day)))
    key = row_key(history.path)
    if key:
        rows = rows.take(pc.sort_indices(rows, sort_keys=[(key[0], "ascending")]))
    target = temp / f"{history.path}.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    write_file(rows, target.with_suffix(""), fmt, _metadata(facts, history.path, date_of(day).isoformat()))
    return {"path": history.path, "rows": rows.num_rows}
