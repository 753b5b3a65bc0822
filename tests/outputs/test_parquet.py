"""Writing a run: all or nothing, checksummed, and never over something that is not a run."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

import synthgen
from synthgen import pipeline as run_module
from synthgen.outputs import parquet


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
