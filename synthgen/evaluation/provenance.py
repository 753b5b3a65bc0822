"""What an evaluation scored, so that its JSON can be traced and compared across seeds and papers: the synthgen
that scored it, the run's scenario fingerprint, seed and generating version (from its manifest), and the sha256
of every input file (null for a table handed over in memory, which has no bytes of its own to fingerprint)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from synthgen.outputs.parquet import sha256
from synthgen.run_folder import Run


@dataclass(frozen=True)
class Provenance:
    synthgen_version: str  # the version that scored
    run_synthgen_version: str | None  # the version that generated the run
    run_scenario_sha256: str | None
    run_seed: int | None
    input_sha256: dict[str, str | None]  # each input by name (predictions, flags, ...): its file's sha256


def provenance(run: Run, inputs: dict[str, str | Path | pa.Table | None]) -> Provenance:
    """The provenance of scoring `inputs` (by name; a file, a table or nothing) against `run`."""
    from synthgen import __version__  # the package's own version, read at call time (no import cycle)

    manifest = run.manifest
    seed = manifest.get("seed")
    return Provenance(
        synthgen_version=__version__,
        run_synthgen_version=manifest.get("synthgen_version"),
        run_scenario_sha256=manifest.get("scenario_sha256"),
        run_seed=int(seed) if seed is not None else None,
        input_sha256={
            name: sha256(Path(value)) if isinstance(value, str | Path) else None
            for name, value in inputs.items()
            if value is not None
        },
    )
