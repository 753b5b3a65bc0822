"""A run on a Dask cluster (a LocalCluster of two worker processes) writes the bytes a local run writes, survives
a worker lost mid-run, and leaves nothing that looks complete when interrupted."""

from __future__ import annotations

import builtins
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

import synthgen
from synthgen import engines, pipeline
from synthgen.errors import SynthgenError
from synthgen.scenario import plan as plan_module

distributed = pytest.importorskip("dask.distributed")


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """Two worker processes, one thread each: tasks really run in other processes, as on a cluster."""
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        distributed.Client(cluster) as made,
    ):
        yield made


@pytest.fixture
def scenario(write_scenario: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> synthgen.Scenario:
    """Three shards of a small run (the plan, made here, carries the shard sizes to the workers)."""
    monkeypatch.setattr(plan_module, "SHARD_PEOPLE", 1_500)
    return synthgen.load_scenario(write_scenario(people=4_000))


def test_a_dask_run_writes_the_bytes_of_a_local_run(scenario: synthgen.Scenario, client: Any, tmp_path: Path) -> None:
    local = synthgen.generate(scenario, tmp_path / "local")
    on_dask = synthgen.generate(scenario, tmp_path / "dask", client=client)
    assert on_dask["shards"] == 3
    assert (tmp_path / "local" / "manifest.json").read_bytes() == (tmp_path / "dask" / "manifest.json").read_bytes()
    assert on_dask == local


def lose_the_worker_once(marker: str, function: Callable[..., Any], *args: Any) -> Any:
    """Kill the worker process running this the first time (as a machine lost mid-run), then run normally."""
    if not os.path.exists(marker):
        Path(marker).touch()
        os._exit(1)
    return function(*args)


class LosingAWorker(engines.OnDask):
    """The Dask engine, with the worker running the first shard lost while it runs it."""

    marker = ""

    def run(self, tasks: Sequence[engines.Task]) -> Iterator[tuple[int, Any]]:
        (function, args), *rest = tasks
        if function.__name__ == "run_shards":
            tasks = [(lose_the_worker_once, (self.marker, function, *args)), *rest]
        return super().run(tasks)


def test_a_worker_lost_mid_run_is_retried_and_the_run_completes(
    scenario: synthgen.Scenario, client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    LosingAWorker.marker = str(tmp_path / "lost")
    monkeypatch.setattr(pipeline, "engine_for", lambda *args: LosingAWorker(client))
    lost = synthgen.generate(scenario, tmp_path / "lost-run", client=client)
    assert (tmp_path / "lost").exists()  # a worker really died
    client.wait_for_workers(2, timeout=60)  # its nanny brings it back for the next test
    assert lost == synthgen.generate(scenario, tmp_path / "local")


def test_an_interrupted_dask_run_leaves_nothing_that_looks_complete(
    scenario: synthgen.Scenario, client: Any, tmp_path: Path
) -> None:
    def interrupt(stage: str, done: int, total: int) -> None:
        if stage == "merge" and done == 1:
            raise KeyboardInterrupt

    (tmp_path / "runs").mkdir()  # the one writer rule: a run is written into a folder that exists
    with pytest.raises(KeyboardInterrupt):
        synthgen.generate(scenario, tmp_path / "runs" / "cut", client=client, progress=interrupt)
    assert not (tmp_path / "runs" / "cut").exists()
    assert not list((tmp_path / "runs").rglob("manifest.json"))


def test_without_dask_the_error_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_dask(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("dask"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    with pytest.raises(SynthgenError) as raised:
        engines.engine_for(1, 1, scheduler="tcp://127.0.0.1:1")
    assert str(raised.value) == "running on a Dask cluster needs dask.distributed: pip install 'synthgen[dask]'"
