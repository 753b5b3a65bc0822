"""Parquet output: shard parts on disk, merged into one file per table, plus the manifest.

Shards write their tables as Arrow IPC parts. Agency tables are split into buckets by record id, so the merge
can shuffle every table across all shards one bucket at a time: memory stays at about one shard's worth however
large the run, and the result is the same bytes whichever worker wrote which part.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray

KEY = "_key"
COMPRESSION = "zstd"


def bucket_bounds(keys: NDArray[np.uint64], buckets: int) -> NDArray[np.int64]:
    """Row offsets where each bucket starts in a table sorted by its 60-bit key (plus the end)."""
    edges = ((np.arange(buckets + 1, dtype=np.float64) / buckets) * float(1 << 60)).astype(np.uint64)
    edges[-1] = np.uint64(1 << 60)
    result: NDArray[np.int64] = np.searchsorted(keys, edges, side="left").astype(np.int64)
    return result


def write_part(path: Path, table: pa.Table, keys: NDArray[np.uint64] | None = None, buckets: int = 1) -> None:
    """An IPC part: one batch per bucket when keyed (rows sorted by key), else one batch."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if keys is not None:
        order = np.argsort(keys, kind="stable")
        keys = keys[order]
        table = table.take(pa.array(order)).append_column(KEY, pa.array(keys))
        bounds = bucket_bounds(keys, buckets)
        batches = [table.slice(bounds[b], bounds[b + 1] - bounds[b]) for b in range(buckets)]
    else:
        batches = [table]
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        for batch in batches:
            # exactly one record batch per bucket, even an empty one, so batch b is always bucket b
            combined = batch.combine_chunks()
            chunks = combined.to_batches(max_chunksize=max(combined.num_rows, 1))
            writer.write_batch(chunks[0] if chunks else pa.RecordBatch.from_pylist([], schema=table.schema))


def _with_metadata(schema: pa.Schema, metadata: dict[str, str]) -> pa.Schema:
    return schema.with_metadata({k.encode(): v.encode() for k, v in metadata.items()})


def _write_row_groups(
    tables: Iterable[pa.Table], out: Path, metadata: dict[str, str], schema: pa.Schema | None = None
) -> int:
    """One Parquet file, one row group per non-empty table; returns the rows. With a schema (the registry's, whose
    fields carry their descriptions) every table is cast to it, so the file holds exactly the declared columns."""
    rows = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    writer: pq.ParquetWriter | None = None
    for table in tables:
        if schema is not None:
            table = table.cast(schema)
        if writer is None:
            writer = pq.ParquetWriter(str(out), _with_metadata(table.schema, metadata), compression=COMPRESSION)
        if table.num_rows:
            writer.write_table(table.replace_schema_metadata(writer.schema.metadata), row_group_size=table.num_rows)
        rows += table.num_rows
    if writer is not None:
        writer.close()
    return rows


def _sorted_by_key(table: pa.Table) -> pa.Table:
    return table.take(pa.compute.sort_indices(table, [(KEY, "ascending")])).drop_columns([KEY])


def merge_shuffled(
    parts: list[Path], out: Path, buckets: int, metadata: dict[str, str], schema: pa.Schema | None = None
) -> int:
    """Merge keyed parts bucket by bucket, each bucket sorted by record id: a shuffle across all shards.

    Each part is opened once and read a bucket (one record batch) at a time."""
    with ExitStack() as stack:
        readers = [pa.ipc.open_file(stack.enter_context(pa.memory_map(str(part), "r"))) for part in parts]
        part_schema = readers[0].schema
        tables = (pa.Table.from_batches([r.get_batch(b) for r in readers], schema=part_schema) for b in range(buckets))
        return _write_row_groups(map(_sorted_by_key, tables), out, metadata, schema)


def read_part(path: Path) -> pa.Table:
    """A whole IPC part (all its batches)."""
    with pa.memory_map(str(path), "r") as source:
        return pa.ipc.open_file(source).read_all()


def merge_in_order(parts: list[Path], out: Path, metadata: dict[str, str], schema: pa.Schema | None = None) -> int:
    """Concatenate parts in shard order, one row group per shard."""
    return _write_row_groups(map(read_part, parts), out, metadata, schema)


def write_table(table: pa.Table, out: Path, metadata: dict[str, str], schema: pa.Schema | None = None) -> int:
    out.parent.mkdir(parents=True, exist_ok=True)
    if schema is not None:
        table = table.cast(schema)
    pq.write_table(
        table.replace_schema_metadata(_with_metadata(table.schema, metadata).metadata),
        str(out),
        compression=COMPRESSION,
    )
    return int(table.num_rows)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(root: Path, header: dict[str, Any], tables: Iterable[tuple[str, int]]) -> dict[str, Any]:
    """manifest.json: what the run is and what it holds; written last, so a folder with one is complete."""
    entries = []
    for relative, rows in sorted(tables):
        path = root / relative
        schema = pq.read_schema(str(path))
        entries.append(
            {
                "path": relative,
                "rows": rows,
                "columns": schema.names,
                "bytes": path.stat().st_size,
                "sha256": sha256(path),
            }
        )
    manifest = {**header, "tables": entries}
    (root / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return manifest
