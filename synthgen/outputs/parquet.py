"""Parquet output: shard parts, merged into one file per table or into a folder of part files, plus the manifest.

Shards write their tables as Arrow IPC parts. Agency tables are split into buckets by record id (a part's batches
hold whole buckets), so the merge can shuffle every table across all shards a few buckets at a time: memory stays
at about a few shards' worth however large the run, and the result is the same bytes whichever worker wrote which
part. A merge writes consecutive buckets (or shards, for truth) as one file's row groups; a partitioned run gives
each group of them a file of its own, so the rows read in part order are the single file's rows. Each file's
sha256 is taken as it is written.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import json
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from numpy.typing import NDArray

from synthgen.outputs.storage import HashingSink, Store

KEY = "_key"
BUCKET_ROWS = "synthgen.bucket_rows"
BATCH_ROWS = "synthgen.batch_rows"
"""A keyed part's schema metadata: its rows per bucket, and the least rows of a batch it was written with."""
MERGE_BATCH_ROWS = 1024
"""Least rows of a batch in a keyed table's part: a batch's fixed cost (some microseconds a column) is small beside
a thousand rows', and a merge holds a batch of every shard's part at a time (at 200 shards, some 30 MB)."""
SORT_ROWS = 1 << 16
"""About how many rows of consecutive buckets a merge sorts at once (each bucket stays a row group of its own)."""
COMPRESSION = "zstd"
WRITE_BUFFER = 1 << 20
"""Bytes a Parquet file is written (and hashed) in."""
DICTIONARY_SAMPLE = 10_000
"""A file's first rows looked at to choose the columns it dictionary-encodes."""
DICTIONARY_DISTINCT = 0.3
"""A column is dictionary-encoded when at most this share of the sampled values are distinct."""
_READ = pa.ipc.IpcReadOptions(use_threads=False)
"""Parts are read (and lz4 parts decompressed) in the task's own thread: a merge holds a batch of every shard's part
at once, and batches decompressed by the pool's threads came from their own allocator arenas (a merge of a 4M run's
compressed parts peaked at 666 MiB, against 388 reading them plain)."""
Written = dict[str, Any]
"""A file the run wrote, as the manifest lists it: path, rows, columns, bytes, sha256."""


def bucket_bounds(keys: NDArray[np.uint64], buckets: int) -> NDArray[np.int64]:
    """Row offsets where each bucket starts in a table sorted by its 60-bit key (plus the end)."""
    edges = ((np.arange(buckets + 1, dtype=np.float64) / buckets) * float(1 << 60)).astype(np.uint64)
    edges[-1] = np.uint64(1 << 60)
    result: NDArray[np.int64] = np.searchsorted(keys, edges, side="left").astype(np.int64)
    return result


def write_part(
    store: Store,
    relative: str,
    table: pa.Table,
    keys: NDArray[np.uint64] | None = None,
    buckets: int = 1,
    batch_rows: int = 1,
) -> NDArray[np.int64]:
    """An IPC part: when keyed, its rows sorted by key, in batches of consecutive whole buckets holding at least
    `batch_rows` rows each (1: a batch per non-empty bucket), each bucket's rows listed in the schema's metadata;
    else one batch. Returns the rows per bucket (or the one batch's rows).

    Batches of several buckets keep a merge's reads linear in the run: a batch costs some microseconds a column to
    read whatever its rows, and buckets are as many as shards, so a batch per bucket made shards x buckets reads a
    table (40,000 at 10M people), most of them a few rows."""
    if keys is None:
        # a part read whole: its batches as they are, uncombined
        store.write_atomically(relative, lambda sink: _write_batches(store, sink, table.schema, table.to_batches()))
        return np.array([table.num_rows], dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    bounds = bucket_bounds(keys, buckets)
    counts = np.diff(bounds).astype(np.int64)
    schema = table.schema.append(pa.field(KEY, pa.uint64())).with_metadata(
        {BUCKET_ROWS: _listed(counts), BATCH_ROWS: str(batch_rows)}
    )
    sorted_table = pa.Table.from_arrays([*table.take(pa.array(order)).columns, pa.array(keys)], schema=schema)
    whole = sorted_table.combine_chunks().to_batches(max_chunksize=max(sorted_table.num_rows, 1))
    batch = whole[0] if whole else pa.RecordBatch.from_pylist([], schema=schema)
    batches = [batch.slice(bounds[first], bounds[last] - bounds[first]) for first, last in groups(counts, batch_rows)]
    store.write_atomically(relative, lambda sink: _write_batches(store, sink, schema, batches))
    return counts


def _listed(counts: NDArray[np.int64]) -> str:
    return ",".join(str(count) for count in counts.tolist())


class _KeyedPart:
    """A keyed part read a range of buckets at a time, in bucket order: each batch is read once however many
    ranges it serves (the one last read is kept for the next range)."""

    def __init__(self, reader: pa.ipc.RecordBatchFileReader) -> None:
        self.reader = reader
        self.counts = np.array(reader.schema.metadata[BUCKET_ROWS.encode()].decode().split(","), dtype=np.int64)
        self.offsets = np.r_[0, np.cumsum(self.counts)]
        self.spans = groups(self.counts, int(reader.schema.metadata[BATCH_ROWS.encode()].decode()))
        self.starts = [first for first, _ in self.spans]
        self.held: tuple[int, pa.RecordBatch] | None = None

    def rows(self, first: int, last: int) -> list[pa.RecordBatch]:
        """Buckets [first, last): slices of the batches holding them."""
        pieces = []
        at = bisect.bisect_right(self.starts, first) - 1
        while at < len(self.spans) and self.spans[at][0] < last:
            start = int(self.offsets[self.spans[at][0]])
            if self.held is None or self.held[0] != at:
                self.held = (at, self.reader.get_batch(at))
            lo, hi = int(self.offsets[first]) - start, int(self.offsets[last]) - start
            batch = self.held[1]
            pieces.append(batch.slice(max(lo, 0), max(0, min(hi, batch.num_rows) - max(lo, 0))))
            at += 1
        return pieces


def _write_batches(store: Store, sink: Any, schema: pa.Schema, batches: list[pa.RecordBatch]) -> None:
    """Parts are written as they are on a disk, unless the run asked for them compressed (`Store.compressed_parts`:
    a run whose parts would outgrow the page cache), and over the network to an object store: lz4 makes them about
    60% of the bytes (measured on a 4M run's parts). Every fresh page of the page cache is zeroed and filled by the
    kernel (on this VM some 1.5 to 3 CPU seconds a GiB); parts that do not fit in it are read back from the disk."""
    compressed = store.compressed_parts or not store.local
    options = pa.ipc.IpcWriteOptions(compression="lz4" if compressed else None, use_threads=False)
    with pa.ipc.new_file(sink, schema, options=options) as writer:
        for batch in batches:
            writer.write_batch(batch)


def _with_metadata(schema: pa.Schema, metadata: dict[str, str]) -> pa.Schema:
    return schema.with_metadata({k.encode(): v.encode() for k, v in metadata.items()})


def _leaf_paths(name: str, kind: pa.DataType) -> list[str]:
    """A column's Parquet leaf paths (as the writer's per-column options name them): a list's values are under
    `list.element`, a struct's fields under their names."""
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return _leaf_paths(f"{name}.list.element", kind.value_type)
    if pa.types.is_struct(kind):
        return [path for field in kind for path in _leaf_paths(f"{name}.{field.name}", field.type)]
    return [name]


def dictionary_columns(table: pa.Table) -> list[str]:
    """The leaf columns worth dictionary-encoding: those whose first DICTIONARY_SAMPLE values repeat (names,
    codes, categories). Unique ids, dates of birth and the like are written plain: pyarrow's default would build a
    dictionary for them, give up once it passes a megabyte and write them plain anyway, spending the CPU for larger
    files (measured on a 1M-person run: 16% fewer bytes and a third less encoding CPU over all its tables). The
    choice depends only on the rows, so it is the same whichever worker writes the file. Nested columns keep the
    dictionary (their values repeat)."""
    sample = table.slice(0, DICTIONARY_SAMPLE)
    chosen: list[str] = []
    for field, column in zip(sample.schema, sample.columns, strict=True):
        nested = pa.types.is_nested(field.type)
        if nested or pc.count_distinct(column, mode="all").as_py() <= DICTIONARY_DISTINCT * max(sample.num_rows, 1):
            chosen.extend(_leaf_paths(field.name, field.type))
    return chosen


def _writer_options(first: pa.Table) -> dict[str, Any]:
    """The options every Parquet file of a run is written with, the dictionary chosen from its first rows."""
    return {"compression": COMPRESSION, "use_dictionary": dictionary_columns(first)}


@contextmanager
def _hashed(sink: Any) -> Iterator[tuple[HashingSink, pa.NativeFile]]:
    """A stream for a Parquet writer that hashes and passes on its bytes a mebibyte at a time (the writer's own
    writes are a few kilobytes each: tens of thousands of Python calls and system calls for a large table); the
    HashingSink's sha256 and size are whole once the block ends."""
    hashing = HashingSink(sink)
    buffered = pa.BufferedOutputStream(pa.PythonFile(hashing, mode="w"), buffer_size=WRITE_BUFFER)
    try:
        yield hashing, buffered
    finally:
        buffered.close()


def write_row_groups(
    store: Store, relative: str, tables: Iterable[pa.Table], metadata: dict[str, str], schema: pa.Schema
) -> Written:
    """One Parquet file, one row group per non-empty table, every table cast to the registry's schema (whose fields
    carry their descriptions), so the file holds exactly the declared columns; returns it as the manifest lists
    it."""
    with row_groups_file(store, relative, metadata, schema) as file:
        for table in tables:
            file.add(table)
    return file.written


class RowGroups:
    """A Parquet file being written a row group at a time, as its tables arrive (see `row_groups_file`)."""

    def __init__(self, sink: pa.NativeFile, metadata: dict[str, str], schema: pa.Schema) -> None:
        self.sink = sink
        self.schema = _with_metadata(schema, metadata)
        self.ahead: list[pa.Table] = []
        self.writer: pq.ParquetWriter | None = None
        self.rows = 0
        self.written: Written = {}

    def add(self, table: pa.Table) -> None:
        """The table as the file's next row group (none if it is empty). The writer opens once the file's first
        DICTIONARY_SAMPLE rows are at hand, which choose the columns it dictionary-encodes."""
        table = table.cast(self.schema)
        self.rows += table.num_rows
        if self.writer is not None:
            self._write(table)
            return
        self.ahead.append(table)
        if sum(held.num_rows for held in self.ahead) >= DICTIONARY_SAMPLE:
            self._open()

    def _open(self) -> None:
        first = pa.concat_tables(self.ahead) if self.ahead else self.schema.empty_table()
        self.writer = pq.ParquetWriter(self.sink, self.schema, **_writer_options(first))
        for table in self.ahead:
            self._write(table)
        self.ahead = []

    def _write(self, table: pa.Table) -> None:
        assert self.writer is not None
        if table.num_rows:
            self.writer.write_table(
                table.replace_schema_metadata(self.writer.schema.metadata), row_group_size=table.num_rows
            )

    def close(self) -> None:
        if self.writer is None:
            self._open()
        assert self.writer is not None
        self.writer.close()


@contextmanager
def row_groups_file(store: Store, relative: str, metadata: dict[str, str], schema: pa.Schema) -> Iterator[RowGroups]:
    """A Parquet file written a row group at a time by the block, as `write_row_groups` writes it; it appears whole
    when the block ends (or not at all, if the block raises), its entry for the manifest then in `.written`. A shard
    task keeps one open for each truth table while it makes its shards one after another."""
    with store.writing(relative) as sink, _hashed(sink) as (hashing, buffered):
        file = RowGroups(buffered, metadata, schema)
        try:
            yield file
        except BaseException:
            if file.writer is not None:
                with contextlib.suppress(Exception):
                    file.writer.close()
            raise
        file.close()
    file.written = {
        "path": relative,
        "rows": file.rows,
        "columns": schema.names,
        "bytes": hashing.size,
        "sha256": hashing.digest.hexdigest(),
    }


def _buckets(store: Store, parts: list[str], first: int, last: int, sort_rows: int = SORT_ROWS) -> Iterator[pa.Table]:
    """Buckets first..last-1 of every part, each sorted by record id: a shuffle across all shards. Consecutive
    buckets of about `sort_rows` rows are gathered from every part and sorted at once; buckets are ranges of keys and
    the sort is stable, so each bucket's rows are those it would hold sorted alone, in the same order (rows of
    equal key in shard order). Each part is opened once and each of its batches read once."""
    with ExitStack() as stack:
        readers = [
            _KeyedPart(pa.ipc.open_file(stack.enter_context(store.open_input(part)), options=_READ)) for part in parts
        ]
        part_schema = readers[0].reader.schema
        counts = np.sum([reader.counts for reader in readers], axis=0)
        for start, end in groups(counts[first:last], sort_rows):
            lo, hi = first + start, first + end
            pieces = [piece for reader in readers for piece in reader.rows(lo, hi)]
            gathered = pa.Table.from_batches(pieces, schema=part_schema)
            # the order from the keys alone (numpy's stable sort finds the pieces' sorted runs), the rows taken once
            keys = np.concatenate([piece.column(KEY).to_numpy() for piece in pieces] or [np.zeros(0, np.uint64)])
            ordered = gathered.drop_columns([KEY]).take(pa.array(np.argsort(keys, kind="stable")))
            offsets = np.r_[0, np.cumsum(counts[lo:hi])]
            for at in range(hi - lo):
                yield ordered.slice(offsets[at], offsets[at + 1] - offsets[at])


def merge_shuffled(
    store: Store,
    parts: list[str],
    out: str,
    buckets: tuple[int, int],
    metadata: dict[str, str],
    schema: pa.Schema,
) -> Written:
    """The file of buckets [first, last) of keyed parts, one row group per bucket, each sorted by record id."""
    return write_row_groups(store, out, _buckets(store, parts, *buckets), metadata, schema)


def read_part(store: Store, relative: str) -> pa.Table:
    """A whole IPC part (all its batches)."""
    with store.open_input(relative) as source:
        return pa.ipc.open_file(source, options=_READ).read_all()


class OpenKeyedPart:
    """A keyed IPC part held open to read several ranges of buckets, in bucket order."""

    def __init__(self, source: Any) -> None:
        self.part = _KeyedPart(pa.ipc.open_file(source, options=_READ))

    def table(self, first: int, last: int) -> pa.Table:
        """Buckets [first, last), with the key column."""
        return pa.Table.from_batches(self.part.rows(first, last), schema=self.part.reader.schema)


def open_keyed(stack: ExitStack, store: Store, relative: str) -> OpenKeyedPart:
    """A keyed part, open until `stack` closes."""
    return OpenKeyedPart(stack.enter_context(store.open_input(relative)))


def read_bucket(store: Store, relative: str, bucket: int) -> pa.Table:
    """One bucket of a keyed IPC part."""
    with store.open_input(relative) as source:
        part = _KeyedPart(pa.ipc.open_file(source, options=_READ))
        return pa.Table.from_batches(part.rows(bucket, bucket + 1), schema=part.reader.schema)


def merge_in_order(store: Store, parts: list[str], out: str, metadata: dict[str, str], schema: pa.Schema) -> Written:
    """Concatenate parts in shard order, one row group per shard."""
    return write_row_groups(store, out, (read_part(store, part) for part in parts), metadata, schema)


def write_table(store: Store, table: pa.Table, out: str, metadata: dict[str, str], schema: pa.Schema) -> Written:
    """A table held whole (a small one) as a file of one row group, as pyarrow's write_table writes it."""
    table = table.cast(schema)
    result: Written = {}

    def write(sink: Any) -> None:
        with _hashed(sink) as (hashing, buffered):
            pq.write_table(
                table.replace_schema_metadata(_with_metadata(table.schema, metadata).metadata),
                buffered,
                **_writer_options(table),
            )
        result.update(
            path=out, rows=table.num_rows, columns=schema.names, bytes=hashing.size, sha256=hashing.digest.hexdigest()
        )

    store.write_atomically(out, write)
    return result


def groups(rows: NDArray[np.int64], target: int) -> list[tuple[int, int]]:
    """Consecutive runs [first, last) of buckets (or shards) holding about `target` rows each: the part files of a
    partitioned table. They depend only on the rows, never on which worker wrote what."""
    result, first, held = [], 0, 0
    for at, count in enumerate(rows.tolist()):
        held += count
        if held >= target:
            result.append((first, at + 1))
            first, held = at + 1, 0
    if first < len(rows) or not result:
        result.append((first, len(rows)))
    return result


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def table_entry(table: str, written: list[Written]) -> Written:
    """A table as the manifest lists it: its one file as written, or a partitioned table's folder with every part
    (in row order) and the totals."""
    if len(written) == 1 and written[0]["path"] == f"{table}.parquet":
        return written[0]
    parts = sorted(written, key=lambda w: str(w["path"]))
    return {
        "path": table,
        "rows": sum(int(w["rows"]) for w in parts),
        "columns": parts[0]["columns"],
        "bytes": sum(int(w["bytes"]) for w in parts),
        "parts": [{k: w[k] for k in ("path", "rows", "bytes", "sha256")} for w in parts],
    }


def write_manifest(store: Store, header: dict[str, Any], tables: Iterable[Written]) -> dict[str, Any]:
    """manifest.json: what the run is and what it holds; written last, so a folder with one is complete."""
    manifest = {**header, "tables": sorted(tables, key=lambda entry: str(entry["path"]))}
    text = json.dumps(manifest, indent=2, sort_keys=False) + "\n"
    store.write_atomically("manifest.json", lambda sink: sink.write(text.encode("utf-8")))
    return manifest
