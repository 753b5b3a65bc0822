"""Scoring a system against the truth: perfect and hopeless systems, Splink's formats, and the explanations."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from synthgen.cli import cli
from synthgen.evaluation import linkage, metrics
from synthgen.evaluation.linkage import _combinations, _largest, evaluate_linkage, true_pairs
from synthgen.evaluation.linkage_groups import _cells
from synthgen.linkage.view import pair_rows


@pytest.fixture(scope="module")
def truth(demo_run: Path) -> pa.Table:
    return pq.read_table(demo_run / "truth/records.parquet", columns=["record_id", "person_id", "errors"])


def headline(result: dict) -> list[float]:  # type: ignore[type-arg]
    values = [result[g][m] for g in ("pairwise", "bcubed", "cluster") for m in ("precision", "recall", "f1")]
    return [*values, result["homogeneity"], result["completeness"], result["v_measure"], result["adjusted_rand_index"]]


def test_the_truth_itself_scores_one_everywhere(demo_run: Path, truth: pa.Table, tmp_path: Path) -> None:
    path = tmp_path / "perfect.parquet"
    pq.write_table(pa.table({"record_id": truth["record_id"], "cluster_id": truth["person_id"]}), path)
    result = evaluate_linkage(demo_run, path).as_dict()
    assert headline(result) == [1.0] * 13
    assert result["absent_singletons"] == 0
    assert all(row["recall"] == 1.0 for row in result["recall_by_error_kind"])
    assert all(row["merged"] == 0 for row in result["false_merges_by_hard_negative"])
    assert result["examples"] == {"splits": [], "merges": []}


def test_splink_cluster_output_is_read_as_it_comes(demo_run: Path, truth: pa.Table, tmp_path: Path) -> None:
    path = tmp_path / "splink.csv"
    import pyarrow.csv as pacsv

    pacsv.write_csv(pa.table({"cluster_id": truth["person_id"], "unique_id": truth["record_id"]}), path)
    assert headline(evaluate_linkage(demo_run, path).as_dict()) == [1.0] * 13


def test_an_empty_guess_leaves_every_record_a_singleton(demo_run: Path, truth: pa.Table, tmp_path: Path) -> None:
    path = tmp_path / "one.parquet"
    pq.write_table(pa.table({"record_id": truth["record_id"][:1], "cluster_id": [7]}), path)
    result = evaluate_linkage(demo_run, path).as_dict()
    assert result["absent_singletons"] == truth.num_rows - 1
    assert result["pairwise"]["recall"] == 0.0
    assert result["pairwise"]["precision"] == 1.0  # nothing claimed, nothing wrong


def test_recall_by_error_kind_names_what_was_missed(demo_run: Path, truth: pa.Table, tmp_path: Path) -> None:
    """A system that links everything except records with a stale address misses exactly those pairs."""
    stale = np.array([any(e["kind"] == "stale_address" for e in errs) for errs in truth["errors"].to_pylist()])
    cluster = np.where(stale, -1 - np.arange(truth.num_rows), truth["person_id"].to_numpy())
    path = tmp_path / "p.parquet"
    pq.write_table(pa.table({"record_id": truth["record_id"], "cluster_id": cluster}), path)
    result = evaluate_linkage(demo_run, path).as_dict()
    by_kind = {(r["kind"], r["field"]): r for r in result["recall_by_error_kind"]}
    assert by_kind[("stale_address", "address")]["recall"] == 0.0
    assert by_kind[("stale_address", "address")]["true_pairs"] > 0
    assert by_kind[("none", "")]["recall"] == 1.0
    assert result["pairwise"]["precision"] == 1.0
    assert 0 < result["pairwise"]["recall"] < 1
    assert result["examples"]["splits"] and not result["examples"]["merges"]


def test_merging_twins_shows_in_the_hard_negatives(demo_run: Path, truth: pa.Table, tmp_path: Path) -> None:
    people = pq.read_table(
        demo_run / "truth/people.parquet", columns=["person_id", "household_id", "date_of_birth", "twin"]
    )
    # twins (and triplets) of one household and birth date become one predicted cluster
    twin_key = {p["person_id"]: (p["household_id"], p["date_of_birth"]) for p in people.to_pylist() if p["twin"]}
    cluster = [hash(twin_key[p]) if p in twin_key else p for p in truth["person_id"].to_pylist()]
    path = tmp_path / "p.parquet"
    pq.write_table(pa.table({"record_id": truth["record_id"], "cluster_id": cluster}), path)
    result = evaluate_linkage(demo_run, path).as_dict()
    by_kind = {r["kind"]: r for r in result["false_merges_by_hard_negative"]}
    assert by_kind["twins"]["merged"] == by_kind["twins"]["pairs"] > 0
    assert result["pairwise"]["recall"] == 1.0 and result["pairwise"]["precision"] < 1.0
    assert result["merges"] and result["examples"]["merges"][0]["people"] >= 2


def test_scored_pairs_give_a_curve_and_the_best_threshold(demo_run: Path, truth: pa.Table, tmp_path: Path) -> None:
    records = pq.read_table(demo_run / "truth/pairs.parquet")
    true_l, true_r = records["unique_id_l"].to_pylist(), records["unique_id_r"].to_pylist()
    ids = truth["record_id"].to_pylist()
    wrong_l, wrong_r = ids[0:400:2], ids[1:400:2]
    table = pa.table(
        {
            "unique_id_l": true_l + wrong_l,
            "unique_id_r": true_r + wrong_r,
            "match_probability": [0.95] * len(true_l) + [0.6] * len(wrong_l),
        }
    )
    path = tmp_path / "pairs.parquet"
    pq.write_table(table, path)
    result = evaluate_linkage(demo_run, path, threshold=0.9).as_dict()
    assert result["format"] == "pairs"
    assert result["pairwise"]["precision"] == 1.0 and result["pairwise"]["recall"] == 1.0
    assert result["curve"]["best_threshold"] > 0.6
    assert result["curve"]["best_f1"] == 1.0
    low = evaluate_linkage(demo_run, path, threshold=0.5).as_dict()
    assert low["pairwise"]["precision"] < 1.0


def test_the_cli_writes_json_with_stable_keys_and_a_report(demo_run: Path, truth: pa.Table, tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    pq.write_table(pa.table({"record_id": truth["record_id"], "cluster_id": truth["person_id"]}), path)
    out, report = tmp_path / "scores.json", tmp_path / "report.html"
    result = CliRunner().invoke(
        cli, ["evaluate", "linkage", str(demo_run), str(path), "--json", str(out), "--report", str(report)]
    )
    assert result.exit_code == 0, result.stderr
    assert "pairwise  precision 1.0000  recall 1.0000  f1 1.0000" in result.stdout
    scores = json.loads(out.read_text())
    for key in ("pairwise", "bcubed", "cluster"):
        assert set(scores[key]) == {"precision", "recall", "f1"}
    assert {"homogeneity", "completeness", "v_measure", "adjusted_rand_index", "splits", "merges"} <= set(scores)
    assert report.read_text().startswith("<!DOCTYPE html>")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 8), max_size=60), st.integers(0, 40))
def test_true_pairs_are_every_pair_of_one_persons_rows(person: list[int], crowd: int) -> None:
    """Listed by size of person (and the largest by the general kernel): the same pairs as listing them directly."""
    labels = np.array(person + [99] * crowd, np.int64)  # one person with more records than SMALL_PERSON
    code, people = metrics.dense_codes(labels)
    left, right = true_pairs(code, np.bincount(code, minlength=people))
    assert (left < right).all()
    expected = set(zip(*(side.tolist() for side in pair_rows(labels)), strict=True))
    assert set(zip(left.tolist(), right.tolist(), strict=True)) == expected and len(left) == len(expected)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 6), max_size=40), st.integers(1, 7))
def test_the_largest_counts_are_a_stable_sort_cut_short(counts: list[int], k: int) -> None:
    values = np.array(counts, np.int64)
    assert _largest(values, k).tolist() == np.argsort(-values, kind="stable")[:k].tolist()


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.integers(0, 2**70 - 1), min_size=1, max_size=12),
    st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11), st.booleans()), max_size=50),
    st.integers(1, 7),
)
def test_error_combinations_count_each_pairs_or_ed_errors(
    carried: list[int], pairs: list[tuple[int, int, bool]], chunk: int
) -> None:
    """Each distinct combination of errors (the pair's two records' bits or-ed), with the pairs carrying it and
    those found: as counting pair by pair, whatever the chunks the pairs are taken in, in one word or two (more
    than 64 kinds of error)."""
    n = len(carried)
    pairs = [(a % n, b % n, f) for a, b, f in pairs]
    words = max(int(v).bit_length() for v in carried) > 64
    mask = (1 << 64) - 1
    arrays = [np.array([v & mask for v in carried], np.uint64)]
    if words:
        arrays.append(np.array([v >> 64 for v in carried], np.uint64))
    left = np.array([a for a, _, _ in pairs], np.int32)
    right = np.array([b for _, b, _ in pairs], np.int32)
    found = np.array([f for _, _, f in pairs], bool)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(linkage, "PAIR_CHUNK", chunk)
        kinds, totals, hits = _combinations(arrays, (left, right), found)
    expected: dict[int, list[int]] = {}
    for a, b, f in pairs:
        entry = expected.setdefault(carried[a] | carried[b], [0, 0])
        entry[0] += 1
        entry[1] += int(f)
    got = {
        sum(int(w) << (64 * i) for i, w in enumerate(row)): [int(t), int(h)]
        for row, t, h in zip(kinds, totals, hits, strict=True)
    }
    assert got == expected
    assert kinds.shape[1] == len(arrays)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2**40), st.booleans()), max_size=60))
def test_cells_count_as_unique_does(rows: list[tuple[int, bool]]) -> None:
    """The agency-pair recall's cells: each distinct key in order, its rows and those found, as np.unique's
    inverse and a bincount of it give them."""
    key = np.array([k for k, _ in rows], np.int64)
    found = np.array([f for _, f in rows], bool)
    cell, count, hits = _cells(key.copy(), found)
    expected, at = np.unique(key, return_inverse=True)
    np.testing.assert_array_equal(cell, expected)
    np.testing.assert_array_equal(count, np.bincount(at.ravel(), minlength=len(expected)))
    np.testing.assert_array_equal(
        hits, np.bincount(at.ravel(), weights=found, minlength=len(expected)).astype(np.int64)
    )


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 200)), max_size=80),
    st.lists(st.integers(-5, 3 * 10**9 + 300), max_size=60),
    st.booleans(),
)
def test_places_in_segments_are_a_sorted_search(people: list[tuple[int, int]], wanted: list[int], near: bool) -> None:
    """Ids in a few blocks a billion apart (as a big run's shards number their people): each id's place found
    through the segments' lookup table is the place a search of the sorted ids gives, -1 where absent."""
    ids = np.unique(np.array([block * 10**9 + local for block, local in people], np.int64))
    queries = np.array(wanted, np.int64)
    if near and len(ids):  # ids of the run itself, and their neighbours, beside the far ones
        queries = np.r_[queries, ids, ids + 1, ids - 1]
    expected = np.full(len(queries), -1)
    if len(ids):
        at = np.searchsorted(ids, queries)
        expected = np.where((at < len(ids)) & (ids[np.minimum(at, len(ids) - 1)] == queries), at, -1)
    assert np.array_equal(linkage._places(ids, queries), expected)


class _Negatives:
    """A run holding only truth/hard_negatives, for `_hard_negative_merges`."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table

    def has(self, name: str) -> bool:
        return name == "truth/hard_negatives"

    def read(self, name: str, dictionary: list[str] | None = None) -> pa.Table:
        return self.table


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 9), st.integers(0, 6)), min_size=1, max_size=50),
    st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11), st.sampled_from(["twins", "siblings"])), max_size=30),
)
def test_hard_negatives_are_merged_when_the_two_people_share_a_cluster(
    records: list[tuple[int, int]], negatives: list[tuple[int, int, str]]
) -> None:
    """Only pairs of people in a cluster holding more than one person are looked at: the counts are those of
    checking every pair for a cluster the two share (people without records never merged)."""
    person = np.array([p for p, _ in records], np.int64) * 10**8  # spread as a big run's person ids
    cluster = np.array([c for _, c in records], np.int64)
    table = metrics.contingency(person, cluster)
    clusters_of: dict[int, set[int]] = {}
    for p, c in zip(person.tolist(), cluster.tolist(), strict=True):
        clusters_of.setdefault(p, set()).add(c)
    negative = pa.table(
        {
            "person_id_l": pa.array([a * 10**8 for a, _, _ in negatives], pa.int64()),
            "person_id_r": pa.array([r * 10**8 for _, r, _ in negatives], pa.int64()),
            "kind": pa.array([k for _, _, k in negatives], pa.string()),
        }
    )
    result = linkage._hard_negative_merges(_Negatives(negative), table)  # type: ignore[arg-type]
    expected: dict[str, list[int]] = {}
    for a, r, kind in negatives:
        left, right = clusters_of.get(a * 10**8), clusters_of.get(r * 10**8)
        if left is None or right is None:
            continue
        row = expected.setdefault(kind, [0, 0])
        row[0] += 1
        row[1] += bool(left & right)
    assert {row["kind"]: [row["pairs"], row["merged"]] for row in result} == expected
