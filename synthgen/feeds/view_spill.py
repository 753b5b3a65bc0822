"""The linkage view's versions put aside by id range while a feed is written, and numbered when read back: what
keeps a feed from holding a number per linkage record.

The view's history numbers its records as the run's linkage/records file orders them (by id), then records no
year-end file holds (merged duplicates) in the order their tables give them. Numbering a record needs its place
among every year-end id; held for the whole feed, with each record's days made and purged, that was 16 bytes a
linkage record, growing with the run. Instead each person-level record's id and days, and its versions in the
view's schema, are put aside on disk (synthgen.feeds.spill) under its id's bucket: the top bits of its 60-bit
number, with as many buckets as leave about a chunk of records in each. The file is in id order, so a bucket's
year-end records are one run of its rows, numbered from the count of the buckets before; a bucket is read back,
numbered and built at once, and memory holds one bucket's records, never the whole view's.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray

from synthgen.errors import SynthgenError
from synthgen.feeds.history import Days, History
from synthgen.feeds.spill import Spill
from synthgen.feeds.tables import LINKAGE, NO_LINK, RECORD, VALID_FROM, ViewPart, id_numbers, linkage_chunk
from synthgen.feeds.truth_index import read_batches
from synthgen.run_folder import Run

ID_BITS = 60
"""Record ids are 60-bit numbers (synthgen.kernel.record_ids); a bucket is a range of their top bits."""
SEQ = "__seq"
"""Each record's place in the order records were put aside: what numbers the view's merged duplicates."""
RECORDS = pa.schema([("id", pa.uint64()), (SEQ, pa.int64()), ("made", pa.int64()), ("purged", pa.int64())])


class ViewSpill:
    """The linkage view's records and versions, put aside under their ids' buckets (`put`) as the person-level
    tables pass, and read back as the view's history a bucket of records at a time (`histories`)."""

    def __init__(self, run: Run, scratch: Path, chunk: int) -> None:
        self.run = run
        self.chunk = chunk
        self.versions = Spill(scratch / "linkage.arrow")
        self.records = Spill(scratch / "linkage-records.arrow")
        self.extras = Spill(scratch / "linkage-extras.arrow")
        self.counts: NDArray[np.int64] | None = None
        """Year-end records in each bucket (None until `start`)."""
        self._shift = np.uint64(ID_BITS)
        self._last = np.uint64(1)
        self._put = 0

    @property
    def started(self) -> bool:
        return self.counts is not None

    def start(self) -> None:
        """Count each bucket's year-end records, reading the file's ids a row group at a time (the last bucket:
        ids of more than 60 bits and none), and check they are in order, which numbering by bucket needs."""
        total = sum(pq.ParquetFile(file).metadata.num_rows for file in self.run.files(LINKAGE))
        bits = (max(-(-total // self.chunk), 1) - 1).bit_length()
        self._shift = np.uint64(ID_BITS - bits)
        self._last = np.uint64(1 << bits)
        counts = np.zeros((1 << bits) + 1, np.int64)
        last, row = np.uint64(0), 0
        for ids in self._year_end_ids():
            before = ids < np.r_[last, ids[:-1]]
            if before.any():
                raise SynthgenError(
                    f"{LINKAGE}: record_id out of order at row {row + int(np.argmax(before))}; a feed needs the "
                    "linkage view in record_id order, as synthgen writes it"
                )
            counts += np.bincount(self._bucket(ids), minlength=len(counts))
            last, row = (ids[-1] if len(ids) else last), row + len(ids)
        self.counts = counts

    def _year_end_ids(self) -> Iterator[NDArray[np.uint64]]:
        for batch in read_batches(self.run, LINKAGE, ["record_id"]):
            yield id_numbers(batch.column(0))

    def _bucket(self, ids: NDArray[np.uint64]) -> NDArray[np.int64]:
        result: NDArray[np.int64] = np.minimum(ids >> self._shift, self._last).astype(np.int64)
        return result

    def put(self, ids: NDArray[np.uint64], made: Days, purged: Days, part: ViewPart) -> None:
        """Some records of a person-level table (`ids`: their linkage ids as numbers; each made and purged) and
        their versions in the view's schema (`part`, its records numbered as `ids` is ordered)."""
        seq = self._put + np.arange(len(ids), dtype=np.int64)
        self._put += len(ids)
        bucket = self._bucket(ids)
        records = pa.table([pa.array(ids), pa.array(seq), pa.array(made), pa.array(purged)], schema=RECORDS)
        _put_by(self.records, bucket, records)
        rows = part.versions.append_column(SEQ, pa.array(seq[part.record])).append_column(
            VALID_FROM, pa.array(part.valid_from, pa.int64())
        )
        _put_by(self.versions, bucket[part.record], rows)

    def histories(self) -> Iterator[History]:
        """The view's history a bucket of year-end records at a time, in their order, then its merged duplicates a
        chunk at a time: the same versions, in the same order, as the whole view's history."""
        assert self.counts is not None
        offsets = np.r_[0, np.cumsum(self.counts)]
        year_end = int(offsets[-1])
        extras = np.sort(
            np.concatenate([np.zeros(0, np.int64), *(seq[~old] for _, old, _, seq, _ in self._numbered())])
        )
        extra_made, extra_purged = np.zeros(len(extras), np.int64), np.zeros(len(extras), np.int64)
        for bucket, old, at, seq, records in self._numbered():
            number = np.where(old, offsets[bucket] + at, year_end + np.searchsorted(extras, seq))
            made, purged = (np.zeros(int(self.counts[bucket]), np.int64) for _ in range(2))
            made[at[old]], purged[at[old]] = records["made"].to_numpy()[old], records["purged"].to_numpy()[old]
            new = number[~old] - year_end
            extra_made[new], extra_purged[new] = records["made"].to_numpy()[~old], records["purged"].to_numpy()[~old]
            rows = _rows(self.versions, bucket, self.versions.schema or self._numbered_schema())
            record = number[np.searchsorted(seq, rows[SEQ].to_numpy())] if rows.num_rows else np.zeros(0, np.int64)
            if SEQ in rows.column_names:
                rows = rows.set_column(rows.schema.get_field_index(SEQ), RECORD, pa.array(record, pa.int64()))
            held = record < year_end
            _put_by(self.extras, (record[~held] - year_end) // self.chunk, rows.filter(pa.array(~held)))
            start, stop = int(offsets[bucket]), int(offsets[bucket + 1])
            yield linkage_chunk(rows.filter(pa.array(held)), start, stop, made, purged, year_end)
            del rows, records
        for key, start in enumerate(range(0, len(extras), self.chunk)):
            stop = min(start + self.chunk, len(extras))
            rows = _rows(self.extras, key, self._numbered_schema())
            yield linkage_chunk(
                rows, year_end + start, year_end + stop, extra_made[start:stop], extra_purged[start:stop], year_end
            )

    def _numbered(self) -> Iterator[tuple[int, NDArray[np.bool_], NDArray[np.int64], NDArray[np.int64], pa.Table]]:
        """Each bucket's records put aside, in the order put: whether each is a year-end record and, if so, its
        place among the bucket's year-end ones; each one's SEQ; and the records."""
        assert self.counts is not None
        batches = self._year_end_ids()
        pending = np.zeros(0, np.uint64)
        for bucket, count in enumerate(self.counts.tolist()):
            parts, have = [pending], len(pending)
            while have < count:
                parts.append(next(batches))
                have += len(parts[-1])
            joined = np.concatenate(parts)
            held, pending = joined[:count], joined[count:].copy()
            records = _rows(self.records, bucket, RECORDS)
            ids = records["id"].to_numpy()
            at = np.minimum(np.searchsorted(held, ids), max(count - 1, 0)).astype(np.int64)
            old = (held[at] == ids) & (ids != NO_LINK) if count else np.zeros(len(ids), bool)
            yield bucket, old, at, records[SEQ].to_numpy(), records

    def _numbered_schema(self) -> pa.Schema:
        """The schema of the view's versions once numbered (RECORD for SEQ)."""
        schema = self.versions.schema
        if schema is None:  # no view versions at all (person-level tables without rows): nothing to export
            return pa.schema([(RECORD, pa.int64()), (VALID_FROM, pa.int64())])
        return schema.set(schema.get_field_index(SEQ), pa.field(RECORD, pa.int64()))

    def __enter__(self) -> ViewSpill:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        for spill in (self.versions, self.records, self.extras):
            spill.close()


def _rows(spill: Spill, key: int, schema: pa.Schema) -> pa.Table:
    """The rows put under `key` (none: an empty table of `schema`)."""
    return pa.Table.from_batches(list(spill.batches(key)), schema=schema)


def _put_by(spill: Spill, key: NDArray[np.int64], rows: pa.Table) -> None:
    """`rows` put aside under each one's `key`, in their order within each key."""
    order = np.argsort(key, kind="stable")
    bounds = np.flatnonzero(np.diff(key[order])) + 1
    for at in np.split(order, bounds):
        if len(at):
            spill.put(int(key[at[0]]), rows.take(pa.array(at)))
