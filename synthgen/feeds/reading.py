"""Reading a feed folder back: its feed.json and the linkage view's batches, day by day.

What a consumer of a feed (`synthgen link --incremental`) needs, checked as a user's folder is: a folder holding a
feed.json of kind `batches` (a snapshot has no batches) written as Parquet or CSV (the formats that carry the
linkage view), each batch in `linkage/<YYYY-MM-DD>/records.<format>`. A day with no batch file had no changes.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from synthgen.errors import SynthgenError
from synthgen.feeds.batches import BATCH_DAY, OPERATION
from synthgen.feeds.writer import MANIFEST

LINKAGE_FORMATS = ("parquet", "csv")


@dataclass(frozen=True)
class FeedFolder:
    """A feed folder that carries the linkage view's batches."""

    path: Path
    manifest: dict[str, Any]
    days: list[dt.date]
    format: str

    def linkage_batches(self, schema: pa.Schema) -> Iterator[tuple[dt.date, pa.Table | None]]:
        """Each batch day with the linkage view's batch (operation, record_id and the view's columns, as `schema`
        types them), or None on a day without one."""
        for day in self.days:
            path = self.path / "linkage" / day.isoformat() / f"records.{self.format}"
            yield day, (_read(path, self.format, schema) if path.exists() else None)


def open_feed(path: str | Path) -> FeedFolder:
    """A feed folder, checked: a feed of batches, in a format that carries the linkage view."""
    folder = Path(path)
    if not folder.is_dir():
        raise SynthgenError(f"{folder}: no such feed folder" if not folder.exists() else f"{folder}: not a folder")
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise SynthgenError(f"{folder}: not a feed (no readable {MANIFEST}; write one with synthgen feed)") from None
    if not isinstance(manifest, dict) or manifest.get("kind") not in ("batches", "snapshot"):
        raise SynthgenError(f"{folder}: {MANIFEST} is not a synthgen feed's")
    if manifest["kind"] != "batches":
        raise SynthgenError(f"{folder}: a snapshot has no batches; link its linkage/records.parquet as a run's")
    fmt = manifest.get("format")
    if fmt not in LINKAGE_FORMATS:
        raise SynthgenError(f"{folder}: a {fmt} feed carries no linkage batches; write the feed as parquet or csv")
    try:
        days = [dt.date.fromisoformat(day) for day in manifest["batches"]]
    except (KeyError, TypeError, ValueError):
        raise SynthgenError(f"{folder}: {MANIFEST} lists no batch days") from None
    return FeedFolder(folder, manifest, days, str(fmt))


def _read(path: Path, fmt: str, schema: pa.Schema) -> pa.Table:
    types = {OPERATION: pa.string(), BATCH_DAY: pa.date32(), **{f.name: f.type for f in schema}}
    try:
        if fmt == "csv":
            table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=types))
        else:
            table = pq.read_table(path)
        return table.select([OPERATION, *(f.name for f in schema)]).cast(
            pa.schema([pa.field(OPERATION, pa.string()), *schema])
        )
    except (pa.ArrowException, OSError, ValueError, KeyError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise SynthgenError(f"{path}: not a batch of the linkage view ({reason})") from None


__all__ = ["FeedFolder", "open_feed"]
