"""Opening a run folder that synthgen wrote: its manifest and its tables.

Everything that reads a run (describe, link, screen, evaluate, export) goes through here, so that a folder that is not a
complete synthgen run is refused with one clear line rather than a traceback from deep inside pyarrow.
"""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from synthgen import tables
from synthgen.errors import SynthgenError


@dataclass(frozen=True)
class Run:
    path: Path
    manifest: dict[str, Any]

    @property
    def tables(self) -> list[str]:
        return [str(t["path"]).removesuffix(".parquet") for t in self.manifest["tables"]]

    def has(self, table: str) -> bool:
        return table in self.tables

    def files(self, table: str) -> list[Path]:
        """The Parquet files a table is stored in, in row order: its one file, or a partitioned table's parts."""
        for entry in self.manifest["tables"]:
            if str(entry["path"]).removesuffix(".parquet") == table:
                return [self.path / str(part["path"]) for part in entry.get("parts", [entry])]
        raise SynthgenError(f"{self.path}: this run has no table {table!r}")

    def read(
        self, table: str, columns: list[str] | None = None, filters: Any = None, dictionary: list[str] | None = None
    ) -> pa.Table:
        """A table of the run by its name without suffix, e.g. 'truth/people' (optionally only matching rows),
        whether it is one file or a folder of parts. Columns named in `dictionary` (nested ones by their path,
        e.g. 'errors.list.element.kind') are read dictionary-encoded: a column of a few distinct strings in
        ten million rows costs a tenth of the time and memory."""
        files = self.files(table)
        read = [pq.read_table(f, columns=columns, filters=filters, read_dictionary=dictionary) for f in files]
        return read[0] if len(read) == 1 else pa.concat_tables(read)

    def read_matching(self, table: str, column: str, values: pa.Array, columns: list[str]) -> pa.Table:
        """The rows whose `column` holds one of `values` (a few), reading only the row groups whose statistics say
        they may hold one: a table in record-id order (every agency table, the linkage view) keeps each row group
        to a range of ids, so a handful of records costs a handful of row groups, not the whole table."""
        wanted = sorted(set(values.to_pylist()))
        found = []
        for file in self.files(table):
            parquet_file = pq.ParquetFile(file)
            groups = [
                g for g in range(parquet_file.metadata.num_row_groups) if _may_hold(parquet_file, g, column, wanted)
            ]
            for group in groups:  # one row group at a time: the examples of a big run span hundreds of them
                read = parquet_file.read_row_group(group, columns=columns)
                found.append(read.filter(pc.is_in(read[column], value_set=values)))
                del read
        if found:
            return pa.concat_tables(found)
        # none found (a perfect clustering has no examples to show): the empty table from the schema, not a read of
        # the whole table sliced to nothing (a gigabyte at ten million records)
        schema = pq.ParquetFile(self.files(table)[0]).schema_arrow
        return pa.schema([schema.field(name) for name in columns]).empty_table()

    def read_or_empty(self, table: str) -> pa.Table:
        """A table the run may lack (one written before the table existed, e.g. truth/storylines): absent is
        empty, with the schema the registry declares."""
        return self.read(table) if self.has(table) else tables.table(table).schema.empty_table()


def _may_hold(parquet_file: pq.ParquetFile, group: int, column: str, wanted: list[Any]) -> bool:
    """Whether a row group's min and max of `column` leave room for one of the sorted `wanted` values."""
    chunk = parquet_file.metadata.row_group(group).column(parquet_file.schema_arrow.get_field_index(column))
    statistics = chunk.statistics
    if statistics is None or not statistics.has_min_max:
        return True
    at = bisect.bisect_left(wanted, statistics.min)
    return at < len(wanted) and wanted[at] <= statistics.max


def open_run(path: str | Path | Run, *, truth: bool = True) -> Run:
    """The run in folder `path`, checked to be complete (a `Run` already open is returned as it is). With
    `truth=False` the truth's files need not be there: a reader of the agency files alone (the reference MASH)
    works on a run handed over without its `truth/`."""
    if isinstance(path, Run):
        return path
    path = Path(path)
    manifest_path = path / "manifest.json"
    if not path.is_dir():
        raise SynthgenError(f"{path}: no such run folder")
    if not manifest_path.exists():
        raise SynthgenError(f"{path}: not a synthgen run (no manifest.json; was the run interrupted?)")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        tables = manifest["tables"]
        listed = [part["path"] for table in tables for part in table.get("parts", [table])]
        needed = [file for file in listed if truth or not str(file).startswith("truth/")]
        missing = [file for file in needed if not (path / file).exists()]
    except (ValueError, KeyError, TypeError):
        raise SynthgenError(f"{manifest_path}: not a synthgen manifest") from None
    if missing:
        raise SynthgenError(f"{path}: incomplete run, missing {', '.join(missing)}")
    return Run(path, manifest)
