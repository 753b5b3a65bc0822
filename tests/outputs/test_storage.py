"""A run written to an fsspec URL (here fsspec's in-memory filesystem, standing in for s3://) holds the bytes of
a run written to a folder, manifest last."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

import synthgen
from synthgen.errors import SynthgenError

fsspec = pytest.importorskip("fsspec")


def test_a_run_written_to_a_url_has_the_bytes_of_a_local_run(
    write_scenario: Callable[..., Path], tmp_path: Path
) -> None:
    scenario = synthgen.load_scenario(write_scenario())
    local = synthgen.generate(scenario, tmp_path / "local")
    remote = synthgen.generate(scenario, "memory://synthgen-test/run")
    assert remote == local
    memory = fsspec.filesystem("memory")
    assert json.loads(memory.cat("/synthgen-test/run/manifest.json")) == local
    for table in local["tables"]:
        assert memory.cat(f"/synthgen-test/run/{table['path']}") == (tmp_path / "local" / table["path"]).read_bytes()
    assert not memory.exists("/synthgen-test/run/_parts")
    with pytest.raises(SynthgenError, match="already exists; pass overwrite to replace it"):
        synthgen.generate(scenario, "memory://synthgen-test/run")
    assert synthgen.generate(scenario, "memory://synthgen-test/run", overwrite=True) == local
    memory.rm("/synthgen-test", recursive=True)


def test_an_unknown_url_scheme_is_one_line(write_scenario: Callable[..., Path]) -> None:
    scenario = synthgen.load_scenario(write_scenario())
    with pytest.raises(SynthgenError, match=r"^nosuch://bucket/run: cannot open this URL"):
        synthgen.generate(scenario, "nosuch://bucket/run")
