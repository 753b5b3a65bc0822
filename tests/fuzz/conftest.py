"""The fuzz suite: malformed inputs, made by mutating valid ones, must only ever raise SynthgenError.

Each fuzz test runs a few dozen cases by default (the whole suite in well under a minute); the `fuzz` profile
runs 10,000 of each:

    python -m pytest --hypothesis-profile=fuzz tests/fuzz -p no:randomly -q

(the generation of rates, the slowest, runs a tenth as many). A case that escapes as anything but a
SynthgenError fails with the input that caused it, which hypothesis then shrinks to the smallest it can find.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import settings

import synthgen
from tests.conftest import FUZZ_EXAMPLES


def examples(default: int, share: float = 1.0) -> int:
    """`default` cases in an ordinary run, `share` of FUZZ_EXAMPLES under the fuzz profile."""
    fuzzing = settings.default.max_examples == FUZZ_EXAMPLES
    return max(default, int(FUZZ_EXAMPLES * share)) if fuzzing else default


@pytest.fixture(scope="session")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small borough with planted storylines: the run the mutated evaluation files are scored against."""
    root = Path(__file__).resolve().parents[2]
    out = tmp_path_factory.mktemp("fuzz") / "run"
    scenario = synthgen.load_scenario(root / "scenarios" / "training.yaml", {"population.people": 1500})
    synthgen.generate(scenario, out)
    return out


@pytest.fixture(scope="session")
def valid_files(small_run: Path) -> dict[str, pa.Table]:
    """Valid predictions (clusters and scored pairs), flags and disclosures, and a MASH's responses for the small
    run."""
    clusters = synthgen.link(small_run, "exact")
    screened = synthgen.screen(small_run, method="exact")
    left = clusters["record_id"].slice(0, 400)
    right = clusters["record_id"].slice(1, 400)
    pairs = pa.table(
        {
            "record_id_l": left,
            "record_id_r": right,
            "match_probability": pa.array([(i % 100) / 100 for i in range(len(left))], pa.float64()),
        }
    )
    return {
        "clusters": clusters,
        "pairs": pairs,
        "flags": screened.flags,
        "disclosures": screened.disclosures,
        "responses": synthgen.mash(small_run, "exact"),
    }


Writer = Callable[[pa.Table, Path], None]
