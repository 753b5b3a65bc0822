"""Opening a run folder that synthgen wrote: its manifest and its tables.

Everything that reads a run (describe, link, screen, evaluate, export) goes through here, so that a folder that is not a
complete synthgen run is refused with one clear line rather than a traceback from deep inside pyarrow.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
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

    def read(self, table: str, columns: list[str] | None = None, filters: Any = None) -> pa.Table:
        """A table of the run by its name without suffix, e.g. 'truth/people' (optionally only matching rows)."""
        if not self.has(table):
            raise SynthgenError(f"{self.path}: this run has no table {table!r}")
        return pq.read_table(self.path / f"{table}.parquet", columns=columns, filters=filters)

    def read_or_empty(self, table: str) -> pa.Table:
        """A table the run may lack (one written before the table existed, e.g. truth/storylines): absent is
        empty, with the schema the registry declares."""
        return self.read(table) if self.has(table) else tables.table(table).schema.empty_table()


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
        needed = [t["path"] for t in tables if truth or not str(t["path"]).startswith("truth/")]
        missing = [name for name in needed if not (path / name).exists()]
    except (ValueError, KeyError, TypeError):
        raise SynthgenError(f"{manifest_path}: not a synthgen manifest") from None
    if missing:
        raise SynthgenError(f"{path}: incomplete run, missing {', '.join(missing)}")
    return Run(path, manifest)
