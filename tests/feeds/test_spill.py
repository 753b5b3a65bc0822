"""Rows put aside and read back: by key, in the order put, nothing lost; regrouped into pieces of a fixed size; and a
file written a row group at a time is the same bytes as one written at once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from synthgen.feeds import writer
from synthgen.feeds.spill import Numbers, Spill, regroup
from synthgen.outputs.parquet import COMPRESSION


def _table(start: int, n: int) -> pa.Table:
    values = np.arange(start, start + n)
    return pa.table(
        {
            "id": pa.array(values, pa.int64()),
            "name": pa.array([f"n{v % 7}" for v in values.tolist()], pa.string()),
            "tags": pa.array([[f"t{v % 3}"] * (v % 3) for v in values.tolist()], pa.list_(pa.string())),
        }
    )


@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 30)), max_size=20))
def test_rows_come_back_under_their_key_in_the_order_they_were_put(puts: list[tuple[int, int]]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder, Spill(Path(folder) / "spill.arrow") as spill:
        expected: dict[int, list[int]] = {}
        start = 0
        for key, n in puts:
            spill.put(key, _table(start, n))
            expected.setdefault(key, []).extend(range(start, start + n))
            start += n
        assert spill.filled() == sorted(k for k, ids in expected.items() if ids)
        for key, ids in expected.items():
            back = [v for batch in spill.batches(key) for v in batch.column("id").to_pylist()]
            assert back == ids and spill.rows(key) == len(ids)
    assert not (Path(folder) / "spill.arrow").exists()


@given(st.lists(st.integers(0, 25), max_size=12), st.integers(1, 10))
def test_regrouped_pieces_hold_every_row_in_order_in_pieces_of_the_size(sizes: list[int], size: int) -> None:
    starts = np.r_[0, np.cumsum(sizes)].tolist()
    batches = [b for start, n in zip(starts, sizes, strict=False) for b in _table(start, n).to_batches()]
    groups = list(regroup(batches, size))
    assert [g.num_rows for g in groups[:-1]] == [size] * (len(groups) - 1)
    assert all(0 < g.num_rows <= size and all(c.num_chunks == 1 for c in g.columns) for g in groups)
    assert [v for g in groups for v in g["id"].to_pylist()] == list(range(sum(sizes)))


@pytest.mark.parametrize("rows", [999, 1000, 2500])
def test_a_file_written_a_row_group_at_a_time_is_the_same_bytes_as_at_once(
    rows: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer, "ROW_GROUP", 700)
    table = _table(0, rows)
    metadata = {b"synthgen.table": b"test"}
    pieces = [b for start in range(0, rows, 333) for b in table.slice(start, 333).to_batches()]
    writer.write_pieces(pieces, rows, tmp_path / "pieces", "parquet", metadata)
    compression = COMPRESSION if rows >= writer.COMPRESS_FROM else "none"
    whole = table.replace_schema_metadata(metadata)
    pq.write_table(whole, tmp_path / "whole.parquet", compression=compression, row_group_size=700)
    assert (tmp_path / "pieces.parquet").read_bytes() == (tmp_path / "whole.parquet").read_bytes()
    assert pq.ParquetFile(tmp_path / "pieces.parquet").metadata.num_row_groups == -(-rows // 700)
    writer.write_pieces(pieces, rows, tmp_path / "pieces", "csv", metadata)
    pacsv.write_csv(writer.csv_ready(table), tmp_path / "whole.csv")
    assert (tmp_path / "pieces.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()


@given(
    st.lists(st.lists(st.integers(-(2**40), 2**40), max_size=30), max_size=6),
    st.lists(st.tuples(st.integers(0, 200), st.integers(0, 200)), max_size=8),
)
def test_numbers_put_aside_in_a_file_read_back_as_those_held(
    pieces: list[list[int]], asked: list[tuple[int, int]]
) -> None:
    import tempfile

    whole = np.asarray([v for piece in pieces for v in piece], np.int64)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "numbers.bin"
        filed, held = Numbers(np.int64, path), Numbers(np.int64)
        for piece in pieces:
            filed.append(np.asarray(piece, np.int64))
            held.append(np.asarray(piece, np.int64))
        filed.done(), held.done()
        assert filed.size == held.size == len(whole)
        for start, stop in asked:
            assert np.array_equal(filed.range(start, stop), whole[start:stop])
            assert np.array_equal(held.range(start, stop), whole[start:stop])
            rows = np.arange(start, min(stop, len(whole)), 3, dtype=np.int64)
            assert np.array_equal(filed.take(rows), whole[rows]) and np.array_equal(held.take(rows), whole[rows])
        filed.close()
        assert not path.exists()


@given(
    st.lists(st.integers(0, 40), max_size=6),
    st.integers(1, 50),
    st.sampled_from([None, ["id"], ["tags", "name"]]),
)
def test_a_file_read_a_row_group_at_a_time_gives_its_rows_in_order(
    groups: list[int], size: int, columns: list[str] | None
) -> None:
    """`file_batches` gives every row of the file, in order, in batches of at most `size` rows that never span two
    row groups: what `iter_batches` gives, without its reader's memory growing with the file."""
    import tempfile

    from synthgen.feeds.truth_index import file_batches

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "file.parquet"
        whole = _table(0, sum(groups))
        with pq.ParquetWriter(path, whole.schema) as out:
            start = 0
            for n in groups:
                out.write_table(whole.slice(start, n), row_group_size=max(n, 1))
                start += n
        batches = list(file_batches(path, size, columns))
        assert all(b.num_rows <= size for b in batches)
        expected = whole if columns is None else whole.select(columns)
        read = pa.Table.from_batches(batches, schema=expected.schema) if batches else expected.slice(0, 0)
        assert read.equals(expected)
        bounds = np.cumsum([b.num_rows for b in batches])
        meta = pq.ParquetFile(path).metadata
        group_bounds = set(np.cumsum([meta.row_group(i).num_rows for i in range(meta.num_row_groups)]).tolist())
        starts = {0, *bounds.tolist()}
        assert all(int(b) in starts for b in group_bounds)
