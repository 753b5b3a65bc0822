"""The grid is the product of its axes: every combination once, grouped by the run it scores."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from synthgen.experiments.grid import Cell, by_run, expand

names = st.lists(st.from_regex(r"[a-z][a-z0-9_-]{0,8}", fullmatch=True), min_size=1, max_size=4, unique=True)
seeds = st.lists(st.integers(0, 2**63 - 1), min_size=1, max_size=6, unique=True)


@given(names, names, seeds, names)
def test_every_combination_once(
    scenarios: list[str], qualities: list[str], seeds: list[int], systems: list[str]
) -> None:
    cells = expand(scenarios, qualities, seeds, systems)
    assert len(cells) == len(scenarios) * len(qualities) * len(seeds) * len(systems)
    assert set(cells) == {Cell(*c) for c in itertools.product(scenarios, qualities, seeds, systems)}
    assert len({cell.result for cell in cells}) == len(cells)  # each cell a result file of its own


@given(names, names, seeds, names)
def test_runs_hold_each_cell_once(
    scenarios: list[str], qualities: list[str], seeds: list[int], systems: list[str]
) -> None:
    cells = expand(scenarios, qualities, seeds, systems)
    runs = by_run(cells)
    assert len(runs) == len(scenarios) * len(qualities) * len(seeds)
    assert all(found == systems for found in runs.values())
    assert sorted(Cell(*key.__dict__.values(), system) for key, found in runs.items() for system in found) == sorted(
        cells
    )
    assert len({key.folder for key in runs}) == len(runs)
