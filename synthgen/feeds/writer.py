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
then the table's own columns as the run's file declares them. Tables are written one at a time, each a chunk of
records at a time (the linkage view last, from the person-level tables' views put aside as they pass), so memory
holds about one chunk's history and one day's batch file (synthgen.feeds.spill).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from numpy.typing import NDArray

from synthgen import __version__, tables
from synthgen.allocators import release
from synthgen.feeds.batches import exported, operation_counts, state_on
from synthgen.feeds.history import NEVER, Days, History, dates
from synthgen.feeds.known import RunFacts, date_of
from synthgen.feeds.replay import row_key
from synthgen.feeds.spill import Spill, regroup
from synthgen.feeds.tables import (
    CHUNK_RECORDS,
    LINKAGE,
    TableLife,
    chunk_history,
    feed_tables,
    id_numbers,
    linkage_ids,
    table_life,
    view_part,
)
from synthgen.feeds.truth_on import truth_on
from synthgen.feeds.view_spill import ViewSpill
from synthgen.outputs.parquet import COMPRESSION

MANIFEST = "feed.json"
ROW_GROUP = 256 * 1024
"""Rows in a Parquet row group of a feed's file: a file of more (an opening day's batch of a big table) is written
a row group at a time (`write_pieces`), so memory holds one row group of it, however big the run; a file written
at once is cut into row groups of the same size, so either way it is the same bytes."""
POOLED = 16_384
"""Batch files of at most this many rows are written by the pool: every day's but the opening load's, and at most
2 * WRITERS of them wait at once."""
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
        pq.write_table(
            table.replace_schema_metadata(metadata),
            path.with_suffix(".parquet"),
            compression=compression,
            row_group_size=ROW_GROUP,
        )


def _folder(path: str) -> tuple[str, str]:
    """Where a table's batches go (agencies/<agency> or linkage) and the name of its files."""
    folder, name = path.rsplit("/", 1)
    return folder, name


def write_batches(
    facts: RunFacts, temp: Path, days: Days, fmt: str, chunk: int = CHUNK_RECORDS
) -> list[dict[str, Any]]:
    """Every table's batches into `temp`, the linkage view's last, and the feed's truth; returns each table's
    counts for feed.json. The truth is put aside by table first (synthgen.feeds.truth_index); each table's changes
    are drawn a chunk of year-end rows at a time, its history built a chunk of records at a time and its batch rows
    put aside on disk (synthgen.feeds.spill), as are the person-level tables' versions in the linkage view's schema
    and the feed's truth of changes, so memory holds one chunk's rows and history, one row group of a day's batch
    file and a few numbers a record, never a whole table. `chunk` (records built at once) changes no byte."""
    counts, merged = [], []
    folders: set[Path] = set()
    scratch = temp / SCRATCH
    scratch.mkdir(parents=True, exist_ok=True)
    index = facts.index_truth(scratch)
    release()
    view = _View(facts, scratch, chunk)
    changes = Spill(scratch / "changes.arrow")
    with ThreadPoolExecutor(max_workers=WRITERS) as pool, view.spill, changes:
        for path in feed_tables(facts):
            life = table_life(facts, path, scratch)
            release()
            log = life.change_log()
            ids = _Ids(_wanted(life, log))
            counts.append(_write_table(facts, temp, path, view.chunks(life, ids), days, fmt, pool, folders))
            changes.put(0, _truth_changes(path, log, ids))
            if life.merged is not None:
                merged.append(_truth_merged(life, ids))
            life.close()
            del life, log, ids
            release()
        index.close()
        facts.index = None
        if view.spill.started:
            counts.append(_write_table(facts, temp, LINKAGE, view.histories(), days, fmt, pool, folders))
        (temp / "truth").mkdir(parents=True, exist_ok=True)
        metadata = _metadata(facts, "truth/changes", None)
        if changes.rows(0):
            write_pieces(changes.batches(0), changes.rows(0), temp / "truth" / "changes", fmt, metadata)
        else:
            write_file(TRUTH_CHANGES.empty_table(), temp / "truth" / "changes", fmt, metadata)
    scratch.rmdir()
    merged_table = pa.concat_tables(merged) if merged else MERGED.empty_table()
    write_file(merged_table, temp / "truth" / "merged", fmt, _metadata(facts, "truth/merged", None))
    return counts


SCRATCH = ".spill"
"""The folder inside a feed's temporary folder where rows are put aside while it is written (removed before the
feed is put in place)."""


def _wanted(life: TableLife, log: pa.Table) -> NDArray[np.int64]:
    """The records of a table whose ids the feed's truth names: those changed, merged duplicates and their
    originals (as the table numbers records: year-end rows, then merged duplicates)."""
    found = [log["record"].to_numpy()]
    if life.merged is not None:
        found += [life.merged.transients.copy_of, life.rows + np.arange(len(life.merged.transients.made))]
    return np.unique(np.concatenate(found).astype(np.int64))


class _Ids:
    """The ids of some records of a table, gathered chunk by chunk as its history is built."""

    def __init__(self, wanted: NDArray[np.int64]) -> None:
        self.wanted = wanted
        self._numbers: list[NDArray[np.int64]] = []
        self._ids: list[pa.Array] = []

    def gather(self, records: NDArray[np.int64], ids: pa.Array) -> None:
        """Keep the ids of the wanted ones of `records` (`ids`: each record's)."""
        keep = np.flatnonzero(np.isin(records, self.wanted))
        self._numbers.append(records[keep])
        self._ids.append(ids.take(pa.array(keep)))

    def of(self, records: NDArray[np.int64]) -> pa.Array:
        """The ids of `records` (each one gathered)."""
        numbers = np.concatenate(self._numbers) if self._numbers else np.zeros(0, np.int64)
        if not len(records):
            return pa.array([], self._ids[0].type if self._ids else pa.string())
        order = np.argsort(numbers, kind="stable")
        ids = pa.concat_arrays(self._ids)
        return ids.take(pa.array(order[np.searchsorted(numbers[order], records)]))


class _View:
    """The linkage view's versions, put aside as each chunk of a person-level table is built
    (synthgen.feeds.view_spill), and read back a bucket of view records at a time."""

    def __init__(self, facts: RunFacts, scratch: Path, chunk: int) -> None:
        self.facts = facts
        self.chunk = chunk
        self.spill = ViewSpill(facts.run, scratch, chunk)

    def chunks(self, life: TableLife, ids: _Ids) -> Iterator[History]:
        """`life`'s history a chunk at a time; a person-level table's chunks are put aside in the view's schema as
        they pass, and the ids the feed's truth names gathered into `ids`."""
        person = tables.table(life.path).person is not None and life.linkage is not None
        if person and not self.spill.started:
            self.spill.start()
        transients = life.transients
        made = np.concatenate([t.made for t in transients]) if transients else np.zeros(0, np.int64)
        purged = np.concatenate([t.purged for t in transients]) if transients else np.zeros(0, np.int64)
        for start, stop, final in life.finals(self.chunk):
            chunk = chunk_history(life, start, stop, final)
            del final
            history = chunk.history
            ids.gather(chunk.records, _chunk_record_ids(history))
            if person:
                records = chunk.records
                extra = records[records >= life.rows] - life.rows
                view_ids = linkage_ids(life, records)
                self.spill.put(
                    id_numbers(view_ids),
                    np.r_[life.made.range(start, stop), made[extra]],
                    np.r_[np.full(stop - start, NEVER, np.int64), purged[extra]],
                    view_part(history, view_ids),
                )
            yield history
            del chunk, history
            release()

    def histories(self) -> Iterator[History]:
        """The view's history a bucket of records at a time, in its records' order."""
        for history in self.spill.histories():
            yield history
            del history
            release()


def _write_table(
    facts: RunFacts,
    temp: Path,
    path: str,
    histories: Iterable[History],
    days: Days,
    fmt: str,
    pool: ThreadPoolExecutor,
    folders: set[Path],
) -> dict[str, Any]:
    """One table's batch files from its history's chunks (`folders`: the day folders made so far, each made once:
    a daily feed has thousands and the file system is slow to be asked again).

    Each chunk's batch rows are put aside under (batch, part): part 0 the year-end records', 1 their merged
    duplicates', as the whole history orders its versions (year-end records in file order, duplicates after);
    each day's file is then that day's rows of every chunk, part 0 then part 1, in chunk order."""
    counts = dict.fromkeys(("insert", "update", "delete"), 0)
    with Spill(temp / SCRATCH / "batches.arrow") as spill:
        for history in histories:
            rows = exported(history, days)
            for operation, count in operation_counts(rows).items():
                counts[operation] += count
            table = rows.table(history, days)
            key = 2 * rows.batch + (history.record[rows.version] >= history.year_end_rows)
            starts = np.r_[0, np.flatnonzero(np.diff(key)) + 1]
            for start, stop in zip(starts.tolist(), np.r_[starts[1:], len(key)].tolist(), strict=True):
                if stop > start:
                    spill.put(int(key[start]), table.slice(start, stop - start))
            del history, rows, table  # let go before the next chunk is built (which hands freed memory back)
        batches = _write_days(facts, temp, path, spill, days, fmt, pool, folders)
    return {"path": path, **counts, "batches": batches}


def _write_days(
    facts: RunFacts,
    temp: Path,
    path: str,
    spill: Spill,
    days: Days,
    fmt: str,
    pool: ThreadPoolExecutor,
    folders: set[Path],
) -> int:
    """Each day's batch file from the rows put aside; returns how many. Small files are written by the pool, a
    few at a time (each holds its rows until written); a bigger one (an opening day's) is written here, a row
    group at a time, so how much waits in the pool never depends on how busy the machine is."""
    folder, name = _folder(path)
    jobs: deque[Future[None]] = deque()
    written = sorted({key // 2 for key in spill.filled()})
    for k in written:
        day = date_of(int(days[k])).isoformat()
        target = temp / folder / day
        if target not in folders:
            target.mkdir(parents=True, exist_ok=True)
            folders.add(target)
        rows = spill.rows(2 * k) + spill.rows(2 * k + 1)
        pieces = chain(spill.batches(2 * k), spill.batches(2 * k + 1))
        metadata = _metadata(facts, path, day)
        if rows > POOLED:
            write_pieces(pieces, rows, target / name, fmt, metadata)
            release()
            continue
        table = pa.Table.from_batches(list(pieces)).combine_chunks()
        jobs.append(pool.submit(write_file, table, target / name, fmt, metadata))
        while len(jobs) > 2 * WRITERS:
            jobs.popleft().result()
    for job in jobs:
        job.result()
    return len(written)


def write_pieces(
    batches: Iterable[pa.RecordBatch], rows: int, path: Path, fmt: str, metadata: dict[bytes, bytes]
) -> None:
    """One file from its rows in pieces, a row group at a time: the same bytes `write_file` writes from all of them
    at once (Parquet's writer cuts a table into row groups of ROW_GROUP rows, each written from one piece of
    memory per column; `regroup` makes the same pieces)."""
    groups = regroup(batches, ROW_GROUP)
    if fmt == "csv":
        first = csv_ready(next(groups))
        with pacsv.CSVWriter(path.with_suffix(".csv"), first.schema) as writer:
            writer.write_table(first)
            del first
            for group in groups:
                writer.write_table(csv_ready(group))
                del group
        return
    compression = COMPRESSION if rows >= COMPRESS_FROM else "none"
    first = next(groups)
    schema = first.schema.with_metadata(metadata)
    with pq.ParquetWriter(path.with_suffix(".parquet"), schema, compression=compression) as writer:
        writer.write_table(first.replace_schema_metadata(metadata))
        del first  # each group let go once written, before the next is made: memory holds one at a time
        for group in groups:
            writer.write_table(group.replace_schema_metadata(metadata))
            del group


def _chunk_record_ids(history: History) -> pa.Array:
    """Each record's id, from its last version."""
    last = np.r_[np.flatnonzero(history.record[1:] != history.record[:-1]), len(history.record) - 1]
    key = row_key(history.path)
    column = key[0] if key else None
    if column is None or not len(history.record):
        return pa.nulls(history.records, pa.string())
    return history.versions[column].combine_chunks().take(pa.array(last))


def _truth_changes(path: str, found: pa.Table, ids: _Ids) -> pa.Table:
    """A table's changes (its change log) with each record named by its id."""
    entry = tables.table(path)
    n = found.num_rows
    named = ids.of(found["record"].to_numpy()).cast(pa.string()) if n else pa.array([], pa.string())
    return pa.table(
        [
            pa.array(np.full(n, entry.agency, dtype=object), pa.string()),
            pa.array(np.full(n, entry.name, dtype=object), pa.string()),
            named,
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


def _truth_merged(life: TableLife, ids: _Ids) -> pa.Table:
    """The table's merged duplicates: whose they are, which record they were merged into, and when."""
    assert life.merged is not None
    entry = tables.table(life.path)
    merged = life.merged
    m = len(merged.transients.made)
    originals = ids.of(merged.transients.copy_of).cast(pa.string())
    return pa.table(
        [
            pa.array(np.full(m, entry.agency, dtype=object), pa.string()),
            pa.array(np.full(m, entry.name, dtype=object), pa.string()),
            ids.of(life.rows + np.arange(m)).cast(pa.string()),
            merged.linkage_ids,
            pa.array(np.where(life.merged_person >= 0, life.merged_person, 0), pa.int64(), mask=life.merged_person < 0),
            originals,
            dates(merged.transients.made),
            dates(merged.transients.purged),
        ],
        schema=MERGED,
    )


def write_snapshot(facts: RunFacts, temp: Path, day: int, fmt: str, chunk: int = CHUNK_RECORDS) -> list[dict[str, Any]]:
    """Every table as it stood at the end of `day`, in the run's layout (agencies/<agency>/<table>, linkage), and
    the truth as it stood then (synthgen.feeds.truth_on). Built a chunk of records at a time, as the batches are:
    memory holds one chunk's history and one table's rows held that day."""
    counts, changes, merged = [], [], []
    scratch = temp / SCRATCH
    scratch.mkdir(parents=True, exist_ok=True)
    index = facts.index_truth(scratch)
    view = _View(facts, scratch, chunk)
    held = pa.array([], pa.string())
    with view.spill:
        for path in feed_tables(facts):
            life = table_life(facts, path, scratch)
            log = life.change_log()
            ids = _Ids(_wanted(life, log))
            counts.append(_write_state(facts, temp, path, view.chunks(life, ids), day, fmt)[0])
            changes.append(_truth_changes(path, log, ids))
            if life.merged is not None:
                merged.append(_truth_merged(life, ids))
            life.close()
        index.close()
        facts.index = None
        if view.spill.started:
            count, rows = _write_state(facts, temp, LINKAGE, view.histories(), day, fmt)
            counts.append(count)
            held = rows["record_id"].combine_chunks()
            del rows  # the ids alone are kept: the view's rows held that day are let go before the truth is read
    scratch.rmdir()
    merged_table = pa.concat_tables(merged) if merged else MERGED.empty_table()
    for path, rows in truth_on(facts, day, held, pa.concat_tables(changes), merged_table):
        target = temp / path
        target.parent.mkdir(parents=True, exist_ok=True)
        write_file(rows, target, fmt, _metadata(facts, path, date_of(day).isoformat()))
        del rows  # written: let go before the next truth table is read
    return counts


def _write_state(
    facts: RunFacts, temp: Path, path: str, histories: Iterable[History], day: int, fmt: str
) -> tuple[dict[str, Any], pa.Table]:
    """One table as it stood on `day`, in its key's order: the versions then holding, year-end records' then merged
    duplicates' (as the whole history orders them), gathered chunk by chunk. Returns its counts and its rows."""
    year_end, transients = [], []
    for history in histories:
        at = state_on(history, day)
        split = np.searchsorted(history.record[at], history.year_end_rows)
        year_end.append(history.versions.take(pa.array(at[:split])))
        transients.append(history.versions.take(pa.array(at[split:])))
    rows = pa.concat_tables(year_end + transients).combine_chunks()
    key = row_key(path)
    if key:
        rows = rows.take(pc.sort_indices(rows, sort_keys=[(key[0], "ascending")]))
    target = temp / f"{path}.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    write_file(rows, target.with_suffix(""), fmt, _metadata(facts, path, date_of(day).isoformat()))
    return {"path": path, "rows": rows.num_rows}, rows
