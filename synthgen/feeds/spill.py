"""Rows put aside on disk while a feed is written, so memory holds a chunk of a table, never the whole of it.

A table's batch rows are made a chunk of records at a time, but each day's batch is one file holding that day's
rows of every chunk; the linkage view's versions come from every person-level table. So each chunk's rows go to
a temporary Arrow IPC file under a key (a batch day, a part of the view), and are read back key by key, in the
order they were put, to write each file. The files live in the feed's temporary folder, which an interrupted feed
never leaves behind.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray


class Spill:
    """An IPC file of record batches, each put under an integer key; read back after `close_writing`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer: pa.ipc.RecordBatchFileWriter | None = None
        self._reader: pa.ipc.RecordBatchFileReader | None = None
        self._file: pa.NativeFile | None = None
        self._at: dict[int, list[int]] = {}
        self._rows: dict[int, int] = {}
        self._batches = 0
        self.schema: pa.Schema | None = None

    def put(self, key: int, table: pa.Table) -> None:
        """Put `table`'s rows under `key`, after those already there (nothing for no rows)."""
        if not table.num_rows:
            return
        if self._writer is None:
            self.schema = table.schema
            self._writer = pa.ipc.new_file(str(self.path), table.schema)
        assert self.schema is not None
        for batch in pa.Table.from_arrays(table.columns, schema=self.schema).to_batches():
            self._writer.write_batch(batch)
            self._at.setdefault(key, []).append(self._batches)
            self._batches += 1
        self._rows[key] = self._rows.get(key, 0) + table.num_rows

    def filled(self) -> list[int]:
        """The keys with rows, in order."""
        return sorted(self._rows)

    def rows(self, key: int) -> int:
        return self._rows.get(key, 0)

    def batches(self, key: int) -> Iterator[pa.RecordBatch]:
        """The rows put under `key`, in the order they were put, read one batch at a time."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
            self._file = pa.OSFile(str(self.path))  # read, not mapped: a batch leaves memory when dropped
            self._reader = pa.ipc.open_file(self._file)
        for index in self._at.get(key, []):
            assert self._reader is not None
            yield self._reader.get_batch(index)

    def close(self) -> None:
        """Close the file and delete it."""
        if self._writer is not None:
            self._writer.close()
        if self._file is not None:
            self._file.close()
        self._writer = self._reader = self._file = None
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> Spill:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def regroup(batches: Iterable[pa.RecordBatch], size: int) -> Iterator[pa.Table]:
    """The rows of `batches` in tables of `size` rows (the last fewer), each column one piece of memory: what a
    slice of a table made at once would be, so a file written from them is the same bytes."""
    held: list[pa.RecordBatch] = []
    count = 0
    for batch in batches:
        while batch.num_rows:
            take = min(size - count, batch.num_rows)
            held.append(batch.slice(0, take))
            batch = batch.slice(take)
            count += take
            if count == size:
                group = pa.Table.from_batches(held).combine_chunks()
                held, count = [], 0  # the pieces let go before the group is written: memory holds it once
                yield group
    if held:
        group = pa.Table.from_batches(held).combine_chunks()
        held = []
        yield group


class Numbers:
    """One number per row of a table (the day it was made, its linkage id's number), put aside a piece at a time
    and read back a range of rows at a time: in a file when one is given (a feed's table, however many rows it
    has), else held (a table built whole). Read with ordinary reads, not mapped: a range leaves memory when
    dropped."""

    def __init__(self, dtype: type[np.generic], path: Path | None = None) -> None:
        self.dtype = np.dtype(dtype)
        self.path = path
        self.size = 0
        self._held: list[NDArray[Any]] = []
        self._file = path.open("wb") if path is not None else None

    def append(self, values: NDArray[Any]) -> None:
        """The next rows' numbers."""
        values = np.ascontiguousarray(values, self.dtype)
        if self._file is not None:
            self._file.write(values.tobytes())
        else:
            self._held.append(values)
        self.size += len(values)

    def done(self) -> Numbers:
        """Every row's numbers are in: from now on they are read."""
        if self._file is not None:
            self._file.close()
            self._file = None
        elif len(self._held) != 1:
            self._held = [np.concatenate([np.zeros(0, self.dtype), *self._held])]
        return self

    def range(self, start: int, stop: int) -> NDArray[Any]:
        """Rows start..stop-1's numbers."""
        stop = max(min(stop, self.size), start)
        if self.path is None:
            return self._held[0][start:stop]
        return np.fromfile(self.path, self.dtype, count=stop - start, offset=start * self.dtype.itemsize)

    def take(self, rows: NDArray[np.int64]) -> NDArray[Any]:
        """Some rows' numbers (read as the range from the first to the last of them: a chunk's rows are near)."""
        if not len(rows):
            return np.zeros(0, self.dtype)
        low = int(rows.min())
        return self.range(low, int(rows.max()) + 1)[rows - low]

    def close(self) -> None:
        """Delete the file, if any."""
        if self._file is not None:
            self._file.close()
            self._file = None
        if self.path is not None:
            self.path.unlink(missing_ok=True)
