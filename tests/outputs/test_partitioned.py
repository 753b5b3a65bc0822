"""A partitioned run: each table a folder of Parquet parts that common engines read as one table, holding the rows
of the single-file run, which every synthgen command reads as it reads the single-file one."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import synthgen
from synthgen import pipeline
from synthgen.cli import cli
from synthgen.outputs import parquet
from synthgen.run_folder import open_run
from synthgen.scenario import plan as plan_module


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The same three-shard scenario as one file per table and as parts of about 3,000 rows."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(plan_module, "SHARD_PEOPLE", 1_500)
        patch.setattr(pipeline, "PART_ROWS", 3_000)
        root = tmp_path_factory.mktemp("partitioned")
        scenario = synthgen.load_scenario(
            Path(__file__).parents[2] / "scenarios" / "demo.yaml", {"population.people": 4_000}
        )
        synthgen.generate(scenario, root / "single", pairs=True)
        synthgen.generate(scenario, root / "parts", pairs=True, partitioned=True, workers=2)
    return root / "single", root / "parts"


def test_a_partitioned_run_holds_the_single_file_runs_rows(runs: tuple[Path, Path]) -> None:
    single, parts = open_run(runs[0]), open_run(runs[1])
    assert single.tables == parts.tables
    assert max(len(parts.files(table)) for table in parts.tables) > 1
    for table in single.tables:
        assert parts.read(table).equals(single.read(table)), table


def test_the_manifest_lists_every_part_with_its_rows_and_checksum(runs: tuple[Path, Path]) -> None:
    manifest = json.loads((runs[1] / "manifest.json").read_text())
    assert manifest["partitioned"] is True
    for table in manifest["tables"]:
        assert (runs[1] / table["path"]).is_dir()
        assert sum(part["rows"] for part in table["parts"]) == table["rows"]
        assert sorted(p.name for p in (runs[1] / table["path"]).iterdir()) == [
            Path(part["path"]).name for part in table["parts"]
        ]
        for part in table["parts"]:
            assert parquet.sha256(runs[1] / part["path"]) == part["sha256"]


def test_pyarrow_duckdb_and_polars_read_a_folder_as_one_table(runs: tuple[Path, Path]) -> None:
    single = open_run(runs[0])
    folder = runs[1] / "linkage" / "records"
    expected = single.read("linkage/records")
    assert ds.dataset(folder, format="parquet").to_table().equals(expected)
    duckdb = pytest.importorskip("duckdb")
    ids = duckdb.sql(f"select record_id from read_parquet('{folder}/*.parquet')").fetchall()
    assert [row[0] for row in ids] == expected.column("record_id").to_pylist()
    polars = pytest.importorskip("polars")
    assert polars.read_parquet(folder / "*.parquet")["record_id"].to_list() == [row[0] for row in ids]


def test_dask_reads_a_folder_as_one_table(runs: tuple[Path, Path]) -> None:
    dataframe = pytest.importorskip("dask.dataframe")
    pytest.importorskip("pandas")
    frame = dataframe.read_parquet(str(runs[1] / "truth" / "people"))
    assert len(frame) == open_run(runs[0]).read("truth/people").num_rows


def test_commands_score_a_partitioned_run_as_its_single_file_twin(runs: tuple[Path, Path]) -> None:
    single, parts = runs
    clusters = synthgen.link(single, "exact")
    assert synthgen.link(parts, "exact").equals(clusters)
    assert synthgen.evaluate_linkage(parts, clusters).as_dict() | {"run": ""} == (
        synthgen.evaluate_linkage(single, clusters).as_dict() | {"run": ""}
    )
    assert synthgen.describe(parts) == synthgen.describe(single)


def _invoke(*arguments: object) -> None:
    result = CliRunner().invoke(cli, [str(argument) for argument in arguments])
    assert result.exit_code == 0, result.output


def test_the_reference_mash_answers_a_partitioned_run_as_its_twin_even_without_its_truth(
    runs: tuple[Path, Path], tmp_path: Path
) -> None:
    single, parts = runs
    handed_over = tmp_path / "handed-over"
    shutil.copytree(parts, handed_over, ignore=lambda folder, names: ["truth"] if folder == str(parts) else [])
    for run, out in ((single, "single"), (parts, "parts"), (handed_over, "handed-over")):
        _invoke("mash", run, "-o", tmp_path / f"{out}.parquet")
    expected = pq.read_table(tmp_path / "single.parquet")
    assert expected.num_rows > 0
    assert pq.read_table(tmp_path / "parts.parquet").equals(expected)
    assert pq.read_table(tmp_path / "handed-over.parquet").equals(expected)


def test_evaluate_mash_scores_a_partitioned_run_as_its_twin(runs: tuple[Path, Path], tmp_path: Path) -> None:
    single, parts = runs
    responses = tmp_path / "responses.parquet"
    pq.write_table(synthgen.mash(single), responses)
    for run, out in ((single, "single"), (parts, "parts")):
        _invoke("evaluate", "mash", run, responses, "--json", tmp_path / f"{out}.json")
    scores = [json.loads((tmp_path / f"{out}.json").read_text()) | {"run": ""} for out in ("single", "parts")]
    assert scores[0]["contacts"] > 0
    assert scores[1] == scores[0]


def test_annex_a_of_a_partitioned_run_is_its_twins_workbook(runs: tuple[Path, Path], tmp_path: Path) -> None:
    single, parts = runs
    for run, out in ((single, "single"), (parts, "parts")):
        _invoke("export", "annex-a", run, "-o", tmp_path / f"{out}.xlsx", "--plant-errors", 3)
    assert (tmp_path / "parts.xlsx").read_bytes() == (tmp_path / "single.xlsx").read_bytes()
    assert (tmp_path / "parts.key.csv").read_bytes() == (tmp_path / "single.key.csv").read_bytes()


def test_large_runs_are_partitioned_unless_asked_not_to(
    write_scenario: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "PARTITION_PEOPLE", 1_000)
    scenario = str(write_scenario(people=1_500))
    assert CliRunner().invoke(cli, ["generate", scenario, "-o", str(tmp_path / "big"), "--quiet"]).exit_code == 0
    assert (tmp_path / "big" / "truth" / "people").is_dir()
    result = CliRunner().invoke(cli, ["generate", scenario, "-o", str(tmp_path / "one"), "--quiet", "--single-files"])
    assert result.exit_code == 0
    assert (tmp_path / "one" / "truth" / "people.parquet").is_file()


def test_a_partitioned_runs_truth_tables_are_a_part_file_a_shard_task(runs: tuple[Path, Path]) -> None:
    """The shard tasks write the truth tables' part files themselves (three tasks of a shard each here), a row
    group a shard; a table with no rows is one empty part file; agency tables are shuffled into parts of about
    PART_ROWS rows."""
    tables = {table["path"]: table for table in json.loads((runs[1] / "manifest.json").read_text())["tables"]}
    people = tables["truth/people"]["parts"]
    assert [Path(part["path"]).name for part in people] == [f"part-{task:05d}.parquet" for task in range(3)]
    assert [pq.ParquetFile(runs[1] / part["path"]).metadata.num_row_groups for part in people] == [1, 1, 1]
    for table in tables.values():
        if table["rows"] == 0:
            assert [part["rows"] for part in table["parts"]] == [0]
            assert pq.read_table(runs[1] / table["parts"][0]["path"]).schema.names == table["columns"]
