"""The grid of an experiment, as plain values: every cell (seed × scenario × data-quality setting × system) once,
in one fixed order, and where each cell's result lives. Pure: nothing here reads or writes a file, so the grid can be
tested apart from the runner that works through it."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath


@dataclass(frozen=True, order=True)
class RunKey:
    """One generated run: a scenario, under one data-quality setting, with one seed. Every system of the grid is
    scored on the same run, so it is generated once."""

    scenario: str
    quality: str
    seed: int

    @property
    def folder(self) -> PurePosixPath:
        """The run's place under an experiment's cells/, runs/ and work folders."""
        return PurePosixPath(self.scenario, self.quality, f"seed-{self.seed}")


@dataclass(frozen=True, order=True)
class Cell:
    """One result: a system scored on one run."""

    scenario: str
    quality: str
    seed: int
    system: str

    @property
    def run(self) -> RunKey:
        return RunKey(self.scenario, self.quality, self.seed)

    @property
    def result(self) -> PurePosixPath:
        """The cell's result file, relative to the experiment folder."""
        return PurePosixPath("cells", self.run.folder, f"{self.system}.json")


def expand(
    scenarios: Sequence[str], qualities: Sequence[str], seeds: Sequence[int], systems: Sequence[str]
) -> list[Cell]:
    """Every combination once, scenario first and system last (so a run's systems sit together)."""
    return [Cell(*combination) for combination in itertools.product(scenarios, qualities, seeds, systems)]


def by_run(cells: Sequence[Cell]) -> dict[RunKey, list[str]]:
    """The cells grouped by the run they score (in the order given), each run's systems in the order given."""
    runs: dict[RunKey, list[str]] = {}
    for cell in cells:
        runs.setdefault(cell.run, []).append(cell.system)
    return runs
