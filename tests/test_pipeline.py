"""How a run goes through its rounds: here, that the shards' parts are removed as soon as nothing more reads them,
and never while a task still may."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import synthgen
from synthgen import pipeline, run_tasks
from synthgen.namesake_pass import PARTS
from synthgen.outputs.storage import Store
from synthgen.scenario import plan as plan_module


def _folders(root: Path) -> set[str]:
    """The folders of parts still there: each keyed table's and each truth table's."""
    parts = root / PARTS
    found = {str(p.relative_to(parts)) for p in parts.glob("shuffled/*/*/*") if p.is_dir()}
    found |= {str(p.relative_to(parts)) for p in parts.glob("shuffled/linkage/*") if p.is_dir()}
    return found | {str(p.relative_to(parts)) for p in (parts / "truth").glob("*") if p.is_dir()}


@pytest.mark.parametrize("partitioned", [False, True])
def test_a_tables_parts_are_removed_once_its_last_merge_ends(
    write_scenario: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, partitioned: bool
) -> None:
    """Run in this process (one task after another): each merge finds its own table's parts, and the parts of every
    table whose merges have all ended are gone by the next merge; hard negatives' parts (read by the passes) stay
    until the end. The run's files are those of a run that kept every part to the end."""
    monkeypatch.setattr(plan_module, "SHARD_PEOPLE", 1_000)
    monkeypatch.setattr(pipeline, "PART_ROWS", 1_500)
    scenario = synthgen.load_scenario(write_scenario(people=3_000))
    with monkeypatch.context() as patch:
        patch.setattr(pipeline, "_parts_removed_when_read", lambda store, folders: lambda index: None)
        kept = synthgen.generate(scenario, tmp_path / "kept", partitioned=partitioned)

    merges: list[tuple[str, set[str]]] = []

    def noting(merge: Callable[..., Any], folder: Callable[[str], str]) -> Callable[..., Any]:
        def noted(store: Store, table: str, *args: Any) -> Any:
            merges.append((folder(table), _folders(Path(store.root))))
            return merge(store, table, *args)

        return noted

    monkeypatch.setattr(run_tasks, "merge_keyed", noting(run_tasks.merge_keyed, lambda t: f"shuffled/{t}"))
    monkeypatch.setattr(run_tasks, "merge_truth", noting(run_tasks.merge_truth, lambda t: t))
    removed = synthgen.generate(scenario, tmp_path / "removed", partitioned=partitioned)
    assert removed["tables"] == kept["tables"]
    assert not (tmp_path / "removed" / PARTS).exists()

    merged = [folder for folder, _ in merges if folder != "truth/hard_negatives"]
    assert len(set(merged)) > 20
    for at, (folder, present) in enumerate(merges):
        assert folder in present
        done = {earlier for earlier in merged[:at] if earlier not in merged[at:]}
        assert not done & present, folder
        if folder == "truth/hard_negatives":
            assert "truth/hard_negatives" in present
