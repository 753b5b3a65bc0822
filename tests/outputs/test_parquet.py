"""Writing a run: all or nothing, checksummed, and never over something that is not a run; a merge gives each
bucket the rows of sorting it alone; files dictionary-encode only the columns whose values repeat."""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

import synthgen
from synthgen import pipeline as run_module
from synthgen.outputs import parquet
from synthgen.outputs.storage import Store


def test_manifest_checksums_match_the_files(demo_run: Path) -> None:
    manifest = json.loads((demo_run / "manifest.json").read_text())
    for table in manifest["tables"]:
        assert parquet.sha256(demo_run / table["path"]) == table["sha256"]


def test_a_failed_run_leaves_nothing_behind(
    write_scenario: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario = synthgen.load_scenario(write_scenario())
    (tmp_path / "runs").mkdir()
    out = tmp_path / "runs" / "broken"

    def explode(*args: object, **kwargs: object) -> int:
        raise OSError("disk full")

    monkeypatch.setattr(parquet, "merge_in_order", explode)
    with pytest.raises(OSError):
        synthgen.generate(scenario, out)
    assert list((tmp_path / "runs").iterdir()) == []


def test_a_failed_overwrite_keeps_the_old_run(
    write_scenario: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario = synthgen.load_scenario(write_scenario())
    out = tmp_path / "run"
    synthgen.generate(scenario, out)
    before = (out / "manifest.json").read_bytes()
    monkeypatch.setattr(run_module, "_merge", lambda *a, **k: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        synthgen.generate(scenario, out, overwrite=True)
    assert (out / "manifest.json").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run", "s.yaml"]


KEYS = [at * (1 << 60) // 13 + tie for at in range(13) for tie in (0, 1)]
"""Keys spread over the 60-bit range, each twice (rows of equal key), so parts fill many buckets."""


@given(
    parts=st.lists(st.lists(st.sampled_from(KEYS), max_size=40), min_size=1, max_size=4),
    buckets=st.integers(1, 7),
    batch_rows=st.sampled_from([1, 3, 10, 100]),
    sort_rows=st.sampled_from([1, 7, 1000]),
    span=st.tuples(st.integers(0, 7), st.integers(0, 7)),
    compressed=st.booleans(),
)
def test_a_merge_gives_each_bucket_the_rows_of_sorting_it_alone(
    parts: list[list[int]], buckets: int, batch_rows: int, sort_rows: int, span: tuple[int, int], compressed: bool
) -> None:
    """However a part's buckets are batched, however many buckets are sorted at once, and whether the parts are
    compressed, each bucket comes out as its rows from every part, in part order, stably sorted by key: the merge of
    one bucket at a time."""
    first, last = sorted(min(at, buckets) for at in span)
    tables = [
        pa.table({"part": pa.array([number] * len(keys), pa.int64()), "row": pa.array(range(len(keys)), pa.int64())})
        for number, keys in enumerate(parts)
    ]
    expected = []
    for bucket in range(first, last):
        pieces = []
        for table, keys in zip(tables, parts, strict=True):
            order = np.argsort(np.array(keys, dtype=np.uint64), kind="stable")
            bounds = parquet.bucket_bounds(np.array(keys, dtype=np.uint64)[order], buckets)
            pieces.append(
                table.take(pa.array(order[bounds[bucket] : bounds[bucket + 1]], pa.int64())).append_column(
                    parquet.KEY, pa.array(np.array(keys, dtype=np.uint64)[order][bounds[bucket] : bounds[bucket + 1]])
                )
            )
        joined = pa.concat_tables(pieces)
        expected.append(joined.take(pa.array(np.argsort(joined[parquet.KEY].to_numpy(), kind="stable"))))
    with tempfile.TemporaryDirectory() as folder:
        store = Store(folder, compressed_parts=compressed)
        names = [f"p{number}.arrow" for number in range(len(parts))]
        for name, table, keys in zip(names, tables, parts, strict=True):
            rows = parquet.write_part(store, name, table, np.array(keys, dtype=np.uint64), buckets, batch_rows)
            assert rows.tolist() == [len(e) for e in _bucketed(keys, buckets)]
        merged = list(parquet._buckets(store, names, first, last, sort_rows))
        alone = [parquet.read_bucket(store, names[0], bucket) for bucket in range(first, last)]
    assert [table.to_pylist() for table in merged] == [e.drop_columns([parquet.KEY]).to_pylist() for e in expected]
    own = _bucketed(parts[0], buckets)[first:last]
    assert [table[parquet.KEY].to_pylist() for table in alone] == own


def _bucketed(keys: list[int], buckets: int) -> list[list[int]]:
    ordered = np.sort(np.array(keys, dtype=np.uint64), kind="stable")
    bounds = parquet.bucket_bounds(ordered, buckets)
    return [ordered[bounds[b] : bounds[b + 1]].tolist() for b in range(buckets)]


def test_only_columns_whose_values_repeat_are_dictionary_encoded(tmp_path: Path) -> None:
    rows = 3 * parquet.DICTIONARY_SAMPLE
    kinds = pa.struct([("kind", pa.string()), ("field", pa.string())])
    table = pa.table(
        {
            "record_id": pa.array([f"R{n:08d}" for n in range(rows)]),
            "sex": pa.array(["F", "M", "U"] * (rows // 3)),
            "errors": pa.array([[{"kind": "typo", "field": "sex"}]] * rows, pa.list_(kinds)),
        }
    )
    assert parquet.dictionary_columns(table) == ["sex", "errors.list.element.kind", "errors.list.element.field"]
    parquet.write_table(Store(str(tmp_path)), table, "t.parquet", {}, table.schema)
    chunks = pq.ParquetFile(tmp_path / "t.parquet").metadata.row_group(0)
    encoded = {chunks.column(at).path_in_schema: chunks.column(at).encodings for at in range(chunks.num_columns)}
    assert "RLE_DICTIONARY" not in encoded["record_id"]
    assert all("RLE_DICTIONARY" in encoded[name] for name in parquet.dictionary_columns(table))
    assert pq.read_table(tmp_path / "t.parquet").equals(table)


def test_compressed_parts_are_smaller_and_read_back_the_same(tmp_path: Path) -> None:
    table = pa.table({"agency": pa.array(["police", "health", "school"] * 10_000), "n": pa.array(range(30_000))})
    keys = np.arange(30_000, dtype=np.uint64) * np.uint64(1 << 40)
    sizes, read = [], []
    for compressed in (False, True):
        (tmp_path / str(compressed)).mkdir()
        store = Store(str(tmp_path / str(compressed)), compressed_parts=compressed)
        parquet.write_part(store, "keyed.arrow", table, keys, 3, parquet.MERGE_BATCH_ROWS)
        parquet.write_part(store, "whole.arrow", table)
        sizes.append((tmp_path / str(compressed) / "keyed.arrow").stat().st_size)
        read.append(
            [parquet.read_bucket(store, "keyed.arrow", b) for b in range(3)] + [parquet.read_part(store, "whole.arrow")]
        )
    assert sizes[1] < sizes[0] * 0.75
    assert all(a.equals(b) for a, b in zip(*read, strict=True))
    assert Store(str(tmp_path), compressed_parts=True).child("x").compressed_parts


def test_a_run_whose_parts_outgrow_memory_writes_them_compressed_and_the_same_bytes(
    write_scenario: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The parts of a run too big for the page cache are compressed; the run's files are not changed by it."""
    assert not run_module.parts_outgrow_memory(1_000_000)
    assert run_module.parts_outgrow_memory(10**12)
    assert run_module.parts_outgrow_memory(10**12, partitioned=True)
    scenario = synthgen.load_scenario(write_scenario(people=3_000))
    plain = synthgen.generate(scenario, tmp_path / "plain", partitioned=True)
    monkeypatch.setattr(run_module, "PARTITIONED_PARTS_BYTES_PER_PERSON", 10**12)
    written: list[bool] = []
    original = parquet._write_batches

    def noted(store: Store, *args: Any) -> None:
        written.append(store.compressed_parts)
        original(store, *args)

    monkeypatch.setattr(parquet, "_write_batches", noted)
    compressed = synthgen.generate(scenario, tmp_path / "compressed", partitioned=True)
    assert written and all(written)
    assert compressed == plain


@pytest.mark.parametrize("where", ["folder", "url"])
def test_a_file_written_a_row_group_at_a_time_appears_whole_or_not_at_all(tmp_path: Path, where: str) -> None:
    """A shard task writes a partitioned run's truth files as it makes its shards: a task that fails part way (a
    lost worker, a full disk) leaves no file, not a file of its first shards, on a disk or at a URL; one that ends
    leaves the file its rows make, a row group each, with its entry for the manifest."""
    store = Store(str(tmp_path) if where == "folder" else f"memory://synthgen-row-groups/{tmp_path.name}")
    schema = pa.schema([pa.field("person_id", pa.int64()), pa.field("name", pa.string())])
    shards = [pa.table({"person_id": [i, i + 1], "name": ["a", "b"]}, schema=schema) for i in (0, 2, 4)]
    with (
        pytest.raises(OSError, match="disk full"),
        parquet.row_groups_file(store, "t/part.parquet", {}, schema) as file,
    ):
        file.add(shards[0])
        file.add(shards[1])
        raise OSError("disk full")
    assert not store.exists("t/part.parquet")
    assert list(tmp_path.rglob("*.parquet*")) == []
    with parquet.row_groups_file(store, "t/part.parquet", {}, schema) as file:
        for shard in shards:
            file.add(shard)
    with store.open_input("t/part.parquet") as source:
        written = pq.ParquetFile(source)
        assert written.metadata.num_row_groups == 3
        assert written.read().equals(pa.concat_tables(shards))
    assert file.written["rows"] == 6
    with store.open_input("t/part.parquet") as source:
        assert file.written["sha256"] == hashlib.sha256(source.read()).hexdigest()
    if where == "folder":
        assert sorted(p.name for p in (tmp_path / "t").iterdir()) == ["part.parquet"]
