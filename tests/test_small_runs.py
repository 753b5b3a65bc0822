"""Any population the scenario schema accepts generates, however small: a trainer's table-top exercise may want a
handful of households, and a shard of a large run can hold no children at all."""

from __future__ import annotations

import math
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import synthgen

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.filterwarnings("error::RuntimeWarning")  # no mean of nothing, no division by zero on the way
@pytest.mark.parametrize("people", [1, 3, 12, 40])
def test_a_run_of_a_few_people_generates_describes_links_and_scores(people: int, tmp_path: Path) -> None:
    # a few people have no household to hold the demo's planted storylines (that is an error): leave them out
    scenario = synthgen.load_scenario(ROOT / "scenarios" / "demo.yaml", {"population.people": people, "storylines": []})
    out = tmp_path / "run"
    synthgen.generate(scenario, out)
    run = synthgen.open_run(out)
    assert run.read("truth/people").num_rows >= people
    figures = synthgen.describe(out)
    assert figures and all(math.isfinite(f.generated) for f in figures)
    pq.write_table(synthgen.link(run.read("linkage/records"), "fellegi-sunter"), tmp_path / "clusters.parquet")
    scores = synthgen.evaluate_linkage(out, tmp_path / "clusters.parquet")
    assert 0.0 <= scores.pairwise.f1 <= 1.0
