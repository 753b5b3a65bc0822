"""Writing the standard returns of a run to a folder: read the run, build, write beside the target, rename."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from synthgen.errors import SynthgenError
from synthgen.outputs import folders
from synthgen.outputs.returns import ssda903
from synthgen.outputs.returns.cin_census import collection_year
from synthgen.run_folder import open_run


def write_ssda903(run_path: str | Path, out: str | Path, plant_errors: int = 0, overwrite: bool = False) -> Path:
    """Write the SSDA903 CSV files of a run to `out` (last year's in `out/previous/`), with `plant_errors`
    known breaches and their key (`planted_errors.csv`) when asked. Nothing is half-written: the files go to
    a temporary folder beside `out`, renamed into place at the end (an existing `out` only with `overwrite`,
    and never a folder that is not an SSDA903 return)."""
    out = Path(out)
    if plant_errors < 0:
        raise SynthgenError(f"--plant-errors: {plant_errors} is not allowed (0 or more)")
    run = open_run(run_path)
    missing = [name for name in ssda903.INPUTS if not run.has(f"agencies/social_care/{name}")]
    if missing:
        raise SynthgenError(f"{run_path}: no social care table {missing[0]} (was social_care enabled?)")
    tables = {name: run.read(f"agencies/social_care/{name}") for name in ssda903.INPUTS}
    # the last whole collection year in the run's period, as for the CIN census
    period = run.manifest["scenario"]["period"]
    year = collection_year(dt.date.fromisoformat(str(period["start"])), dt.date.fromisoformat(str(period["end"])))
    this_year, last_year = ssda903.build(tables, year.start, year.reference_date)
    planted: list[ssda903.Planted] = []
    if plant_errors:
        this_year, planted = ssda903.plant_errors(this_year, plant_errors, int(run.manifest["scenario"]["seed"]))
        if len(planted) < plant_errors:
            raise SynthgenError(
                f"--plant-errors: {plant_errors} is more than this return can hold ({len(planted)} at most)"
            )
    work = folders.prepare(out, overwrite, ssda903.FILE_NAMES["Header"], "an SSDA903 return")
    try:
        work.mkdir()
        for folder, built in ((work, this_year), (work / "previous", last_year)):
            folder.mkdir(exist_ok=True)
            for name in ssda903.FILES:
                (folder / ssda903.FILE_NAMES[name]).write_bytes(built.csv(name))
        if plant_errors:
            (work / "planted_errors.csv").write_bytes(ssda903.key_csv(planted))
        folders.put_in_place(work, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out
