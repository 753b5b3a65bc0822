"""The linkage view put aside by id range and numbered a bucket at a time when read back: the same record numbers,
days made and purged, and versions in the same order as numbering the whole view at once (LinkageNumbers), with
buckets of any size; a linkage file out of id order is one clear error."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthgen.errors import SynthgenError
from synthgen.feeds.history import NEVER
from synthgen.feeds.tables import NO_LINK, LinkageNumbers, ViewPart
from synthgen.feeds.view_spill import ViewSpill
from synthgen.kernel.record_ids import format_record_ids
from synthgen.run_folder import Run


def _run(folder: Path, ids: list[int]) -> Run:
    """A run holding only a linkage/records file of these ids, in this order."""
    (folder / "linkage").mkdir()
    pq.write_table(
        pa.table({"record_id": format_record_ids(np.asarray(ids, np.uint64))}), folder / "linkage/records.parquet"
    )
    return Run(folder, {"tables": [{"path": "linkage/records.parquet"}]})


_puts = st.lists(st.lists(st.tuples(st.integers(0, 60), st.integers(1, 3)), max_size=12), min_size=1, max_size=4)


@settings(max_examples=40, deadline=None)
@given(
    year_end=st.lists(st.integers(0, 2**60 - 1), unique=True, max_size=40),
    puts=_puts,
    chunk=st.integers(1, 12),
    seed=st.integers(0, 2**32 - 1),
)
def test_numbered_by_bucket_as_the_whole_view_numbers_them(
    year_end: list[int], puts: list[list[tuple[int, int]]], chunk: int, seed: int
) -> None:
    """Each put record is a year-end id (pick < len(year_end)), a fresh id, or none (NO_LINK); each has 1-3
    versions. Every version comes back under the number LinkageNumbers gives its record, in the order put."""
    rng = np.random.default_rng(seed)
    ids = np.asarray(sorted(year_end), np.uint64)
    expected_numbers = LinkageNumbers(ids)
    expected: list[tuple[int, int, int]] = []  # (record number, day, tag) of every version
    tag = 0
    with tempfile.TemporaryDirectory() as folder:
        view = ViewSpill(_run(Path(folder), [int(i) for i in ids]), Path(folder), chunk)
        with view:
            view.start()
            for put in puts:
                picks = [p for p, _ in put]
                wanted = np.asarray(
                    [ids[p] if p < len(ids) else (NO_LINK if p % 2 else np.uint64(2**60 + p)) for p in picks], np.uint64
                )
                made = rng.integers(19_000, 19_300, len(wanted))
                purged = np.where(rng.random(len(wanted)) < 0.5, NEVER, made + 7)
                numbers = expected_numbers.number(wanted, made, purged)
                record = np.repeat(np.arange(len(put)), [n for _, n in put]).astype(np.int64)
                day = (
                    np.concatenate([made[r] + np.arange(n) for r, (_, n) in enumerate(put)]).astype(np.int64)
                    if put
                    else np.zeros(0, np.int64)
                )
                tags = np.arange(tag, tag + len(record))
                tag += len(record)
                expected += list(zip(numbers[record].tolist(), day.tolist(), tags.tolist(), strict=True))
                versions = pa.table({"tag": pa.array(tags, pa.int64())})
                view.put(wanted, made, purged, ViewPart(versions, record, day))
            got, made_all, purged_all, starts = [], [], [], []
            for history in view.histories():
                starts.append(history.year_end_rows)
                number = history.record + sum(len(m) for m in made_all)  # chunks follow on from 0
                tags_got = history.versions["tag"].to_pylist() if history.versions.num_columns else []
                got += list(zip(number.tolist(), history.valid_from.tolist(), tags_got, strict=True))
                made_all.append(history.made)
                purged_all.append(history.purged)
    want_made, want_purged = expected_numbers.days()
    assert np.array_equal(np.concatenate(made_all), want_made)
    assert np.array_equal(np.concatenate(purged_all), want_purged)
    assert got == sorted(expected, key=lambda v: (v[0], v[1]))  # by record, then day; puts' order among ties


def test_a_linkage_file_out_of_id_order_is_one_clear_error(tmp_path: Path) -> None:
    view = ViewSpill(_run(tmp_path, [5, 9, 7]), tmp_path, 2)
    with pytest.raises(SynthgenError) as raised:
        view.start()
    assert str(raised.value) == (
        "linkage/records: record_id out of order at row 2; a feed needs the linkage view in record_id order, "
        "as synthgen writes it"
    )
