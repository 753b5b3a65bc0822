"""Every bad predictions file gets one exact line: file, what is wrong, what is expected."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from synthgen.cli import cli
from synthgen.evaluation.adapters import _best_of_pairs, first_seen_codes

EXPECTED = (
    "expected record_id and cluster_id (clusters), or record_id_l, record_id_r and match_probability or score "
    "(scored pairs); Splink's unique_id names are accepted too"
)


@pytest.fixture(scope="module")
def ids(demo_run: Path) -> list[str]:
    return pq.read_table(demo_run / "truth/records.parquet", columns=["record_id"])["record_id"].to_pylist()


def evaluate(run: Path, predictions: Path, *extra: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["evaluate", "linkage", str(run), str(predictions), *extra])
    return result.exit_code, result.stdout, result.stderr


def write(path: Path, table: pa.Table) -> Path:
    if path.suffix == ".csv":
        import pyarrow.csv as pacsv

        pacsv.write_csv(table, path)
    else:
        pq.write_table(table, path)
    return path


def test_misnamed_columns(demo_run: Path, tmp_path: Path, ids: list[str]) -> None:
    path = write(tmp_path / "p.parquet", pa.table({"id": ids[:3], "cluster": [1, 1, 2]}))
    assert evaluate(demo_run, path) == (2, "", f"Error: {path}: {EXPECTED}; found: id, cluster\n")


def test_pairs_without_a_score(demo_run: Path, tmp_path: Path, ids: list[str]) -> None:
    path = write(tmp_path / "p.parquet", pa.table({"record_id_l": ids[:2], "record_id_r": ids[2:4]}))
    assert evaluate(demo_run, path) == (
        2,
        "",
        f"Error: {path}: scored pairs need a match_probability or score column; found: record_id_l, record_id_r\n",
    )


def test_unknown_record_ids(demo_run: Path, tmp_path: Path, ids: list[str]) -> None:
    path = write(tmp_path / "p.csv", pa.table({"record_id": [ids[0], "NOT-A-RECORD"], "cluster_id": [1, 2]}))
    assert evaluate(demo_run, path) == (
        2,
        "",
        f"Error: {path}: 1 record_id values are not records of this run's linkage view (e.g. 'NOT-A-RECORD')\n",
    )


def test_a_record_in_two_clusters(demo_run: Path, tmp_path: Path, ids: list[str]) -> None:
    path = write(tmp_path / "p.parquet", pa.table({"record_id": [ids[0], ids[0], ids[1]], "cluster_id": [1, 2, 3]}))
    assert evaluate(demo_run, path) == (
        2,
        "",
        f"Error: {path}: record_id {ids[0]!r} appears 2 times; each record may be in one cluster only (1 ids repeat)\n",
    )


def test_wrong_types(demo_run: Path, tmp_path: Path, ids: list[str]) -> None:
    scores = pa.table({"record_id_l": ids[:2], "record_id_r": ids[2:4], "match_probability": ["high", "low"]})
    path = write(tmp_path / "p.parquet", scores)
    assert evaluate(demo_run, path) == (
        2,
        "",
        f"Error: {path}: column match_probability must be numeric, found string\n",
    )
    floats = write(tmp_path / "q.parquet", pa.table({"record_id": [1.5, 2.5], "cluster_id": [1, 2]}))
    assert evaluate(demo_run, floats) == (
        2,
        "",
        f"Error: {floats}: column record_id must hold record ids (text or integers), found double\n",
    )


def test_empty_unreadable_and_missing_files(demo_run: Path, tmp_path: Path) -> None:
    empty = write(
        tmp_path / "e.parquet",
        pa.table({"record_id": pa.array([], pa.string()), "cluster_id": pa.array([], pa.int64())}),
    )
    assert evaluate(demo_run, empty) == (2, "", f"Error: {empty}: no predictions (the file has no rows)\n")
    junk = tmp_path / "junk.parquet"
    junk.write_bytes(b"this is not parquet")
    code, _, stderr = evaluate(demo_run, junk)
    assert code == 2
    assert stderr.startswith(f"Error: {junk}: cannot be read as Parquet (") and stderr.count("\n") == 1
    missing = tmp_path / "missing.parquet"
    assert evaluate(demo_run, missing) == (2, "", f"Error: {missing}: no such file\n")
    text = tmp_path / "p.json"
    text.write_text("{}")
    assert evaluate(demo_run, text) == (2, "", f"Error: {text}: predictions must be a .parquet or .csv file\n")


def test_a_folder_that_is_not_a_run(tmp_path: Path, ids: list[str]) -> None:
    path = write(tmp_path / "p.parquet", pa.table({"record_id": ids[:1], "cluster_id": [1]}))
    assert evaluate(tmp_path, path) == (
        2,
        "",
        f"Error: {tmp_path}: not a synthgen run (no manifest.json; was the run interrupted?)\n",
    )


def test_nothing_is_written_on_bad_input(demo_run: Path, tmp_path: Path) -> None:
    bad = write(tmp_path / "p.parquet", pa.table({"x": [1]}))
    code, _, _ = evaluate(demo_run, bad, "--json", str(tmp_path / "out.json"), "--report", str(tmp_path / "r.html"))
    assert code == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.parquet"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.integers(-5, 30), st.integers(-(2**63), 2**63 - 1)), min_size=1, max_size=40))
def test_integer_cluster_labels_are_numbered_as_dictionary_encoding_numbers_them(labels: list[int]) -> None:
    """Small spans by a lookup table, wide ones by sorting: either way in order of first appearance."""
    values = pa.array(labels, pa.int64())
    expected = pc.dictionary_encode(values).indices.to_numpy(zero_copy_only=False).tolist()
    assert first_seen_codes(values).tolist() == expected


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6), st.sampled_from([0.0, 0.25, 0.5, 1.0])), max_size=40))
def test_each_pair_keeps_its_best_score_as_the_sort_by_score_would(rows: list[tuple[int, int, float]]) -> None:
    """The packed sort and maximum per pair give the distinct pairs and scores that sorting by pair and score
    descending and keeping each pair's first gives."""
    pairs = [(min(a, b), max(a, b), s) for a, b, s in rows if a != b]
    lo = np.array([a for a, _, _ in pairs], np.int64)
    hi = np.array([b for _, b, _ in pairs], np.int64)
    score = np.array([s for _, _, s in pairs], np.float64)
    if not len(lo):
        return
    best = _best_of_pairs(lo, hi, score, 0)
    expected = sorted({(a, b): max(s for x, y, s in pairs if (x, y) == (a, b)) for a, b, _ in pairs}.items())
    assert [(a, b) for (a, b), _ in expected] == list(zip(best.left.tolist(), best.right.tolist(), strict=True))
    assert [s for _, s in expected] == best.score.tolist()
    assert best.left.dtype == np.int64 and best.score.dtype == np.float64
