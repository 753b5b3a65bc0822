"""Small runs are made once per scenario and read after, by one process or several at once, and hand back their
tables with the truth beside them row for row."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import synthgen
from synthgen.testing import SmallRun, base_scenario, small_run


def _made_in(cache: str) -> str:
    return str(small_run(people=300, seed=11, cache_dir=cache).path)


def test_a_run_is_made_once_and_read_after(tmp_path: Path) -> None:
    first = small_run(people=300, seed=3, cache_dir=tmp_path)
    assert small_run(base_scenario(people=300, seed=3), cache_dir=tmp_path) is first
    other = small_run(people=300, seed=4, cache_dir=tmp_path)
    assert other.path != first.path and other.seed == 4
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == sorted(
        [first.path.name, other.path.name]
    )
    assert synthgen.open_run(first.path).manifest["seed"] == 3


def test_processes_sharing_a_cache_make_a_run_once(tmp_path: Path) -> None:
    with ProcessPoolExecutor(3, mp_context=multiprocessing.get_context("spawn")) as pool:
        paths = list(pool.map(_made_in, [str(tmp_path)] * 3))
    assert len(set(paths)) == 1
    runs = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    assert [p.name for p in runs] == [Path(paths[0]).name]
    assert (runs[0] / "manifest.json").exists()
    assert not [p for p in tmp_path.iterdir() if ".partial" in p.name]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> SmallRun:
    return small_run(people=400, seed=2, cache_dir=tmp_path_factory.mktemp("small"))


def test_the_truth_sits_beside_the_linkage_view_row_for_row(run: SmallRun) -> None:
    assert run.truth["record_id"].equals(run.linkage["record_id"])
    truth = run.run.read("truth/records", ["record_id", "person_id"]).sort_by("record_id")
    assert np.array_equal(truth["person_id"].to_numpy(), run.person_id[np.argsort(run.linkage["record_id"])])


def test_the_truths_own_clusters_score_one(run: SmallRun) -> None:
    scores = run.evaluate_linkage(run.truth_clusters())
    assert scores.pairwise.f1 == scores.bcubed.f1 == scores.cluster.f1 == 1.0
    assert scores.counts.true_pairs > 0 and scores.adjusted_rand_index == 1.0


def test_agency_files_are_the_runs(run: SmallRun) -> None:
    assert "police/persons" in run.agency_files and "health/gp_registrations" in run.agency_files
    assert all(path.is_file() and path.suffix == ".parquet" for path in run.agency_files.values())
    assert run.agency_table("police/persons").num_rows > 0


def test_carrying_finds_what_the_truth_logs(run: SmallRun) -> None:
    logged = [{f"{e['field']}.{e['kind']}" for e in errors} for errors in run.truth["errors"].to_pylist()]
    for error in ("family_name.typo", "middle_names.missing"):
        assert run.carrying(error).tolist() == [error in labels for labels in logged]
    any_field = run.carrying("typo")
    assert any_field.tolist() == [any(label.endswith(".typo") for label in labels) for labels in logged]
    assert any_field.sum() >= run.carrying("family_name.typo").sum() > 0
