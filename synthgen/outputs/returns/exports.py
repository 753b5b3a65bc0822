"""A run's standard returns, read, built and written: the library functions behind `synthgen export ssda903`,
`synthgen export cin-census` and `synthgen export annex-a`.

Both returns are built for the last whole collection year (1 April to 31 March) in the run's period. Nothing is
half-written: the SSDA903 folder goes to a temporary folder beside its target, renamed into place at the end;
the CIN census, Annex A and their keys are each written beside their target and renamed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from synthgen.arguments import ArgumentError
from synthgen.errors import SynthgenError
from synthgen.kernel.rng import shard_stream
from synthgen.outputs import folders
from synthgen.outputs.files import require_suffix, write_atomically, write_bytes
from synthgen.outputs.returns import cin_census_breaches, ssda903
from synthgen.outputs.returns.annex_a import AnnexA, build_annex_a
from synthgen.outputs.returns.cin_census import (
    RECORD_TABLES,
    CollectionYear,
    SocialCareRecords,
    census,
    collection_year,
)
from synthgen.outputs.returns.cin_census_xml import to_xml
from synthgen.run_folder import Run, open_run


def _collection_year(run: Run) -> CollectionYear:
    """The last whole collection year in the run's period."""
    period = run.manifest["period"]
    return collection_year(dt.date.fromisoformat(str(period["start"])), dt.date.fromisoformat(str(period["end"])))


def _check_count(plant_errors: int) -> None:
    if plant_errors < 0:
        raise ArgumentError("plant_errors", f"{{argument}}: {plant_errors} is not allowed (0 or more)")


def export_ssda903(run: str | Path | Run, out: str | Path, *, plant_errors: int = 0, overwrite: bool = False) -> Path:
    """Write the SSDA903 CSV files of a run to `out` (last year's in `out/previous/`), with `plant_errors`
    known breaches and their key (`planted_errors.csv`) when asked. An existing `out` is replaced only with
    `overwrite`, and never a folder that is not an SSDA903 return."""
    out = Path(out)
    _check_count(plant_errors)
    opened = open_run(run)
    missing = [name for name in ssda903.INPUTS if not opened.has(f"agencies/social_care/{name}")]
    if missing:
        raise SynthgenError(f"{opened.path}: no social care table {missing[0]} (was social_care enabled?)")
    tables = {name: opened.read(f"agencies/social_care/{name}") for name in ssda903.INPUTS}
    year = _collection_year(opened)
    this_year, last_year = ssda903.build(tables, year.start, year.reference_date)
    planted: list[ssda903.Planted] = []
    if plant_errors:
        this_year, planted = ssda903.plant_errors(this_year, plant_errors, int(opened.manifest["scenario"]["seed"]))
        if len(planted) < plant_errors:
            raise ArgumentError(
                "plant_errors",
                f"{{argument}}: {plant_errors} is more than this return can hold ({len(planted)} at most)",
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


@dataclass(frozen=True)
class CinCensus:
    """A CIN census built from a run: the XML, the key to its planted errors (when asked for), the collection
    year and how many children it holds; and, once exported, where the return and its key were written."""

    xml: bytes
    key: pa.Table | None
    year: CollectionYear
    children: int
    path: Path | None = None
    key_path: Path | None = None


def build_cin_census(run: str | Path | Run, plant_errors: int = 0) -> CinCensus:
    """The CIN census of a run (its last whole collection year), with `plant_errors` known breaches if asked."""
    _check_count(plant_errors)
    opened = open_run(run)
    if not opened.has("agencies/social_care/referrals"):
        raise SynthgenError(f"{opened.path}: this run has no children's social care records (agencies/social_care)")
    records = SocialCareRecords(*[opened.read(f"agencies/social_care/{name}") for name in RECORD_TABLES])
    year = _collection_year(opened)
    result = census(records, year)
    key = None
    if plant_errors:
        rng = shard_stream(int(opened.manifest["seed"]), 0, "cin-census-planted-errors")
        result, key = cin_census_breaches.plant_errors(result, year, plant_errors, rng)
    release = str(opened.manifest.get("synthgen_version", "0"))
    xml = to_xml(result, year, int(opened.manifest["area"]["la_number"]), release)
    return CinCensus(xml, key, year, result.children.num_rows)


def export_cin_census(
    run: str | Path | Run, out: str | Path, *, plant_errors: int = 0, key: str | Path | None = None
) -> CinCensus:
    """Write a run's CIN census to `out` (.xml) and, with `plant_errors` N, N known rule breaches and their key
    (rule, la_child_id, module, field, value) to `key` (default: the return's name with .key.csv)."""
    out = Path(out)
    require_suffix(out, (".xml",), "the CIN census is written as .xml")
    result = build_cin_census(run, plant_errors)
    key_path = Path(key) if key is not None else out.with_suffix(".key.csv")
    if result.key is not None:
        table = result.key
        write_atomically(key_path, lambda temp: pacsv.write_csv(table, temp))
    write_bytes(out, result.xml)
    return dataclasses.replace(result, path=out, key_path=key_path if result.key is not None else None)


def export_annex_a(
    run: str | Path | Run,
    out: str | Path,
    *,
    months: int = 6,
    plant_errors: int = 0,
    key: str | Path | None = None,
) -> AnnexA:
    """Write a run's Annex A (Ofsted's lists 1 to 11, as on the last day of its period) to `out` (.xlsx), lists 1
    to 8 over the `months` (6 or 12) before it; with `plant_errors` N, N known breaches of the format and their
    key (rule, list, column, row, child, value) to `key` (default: the workbook's name with .key.csv)."""
    out = Path(out)
    require_suffix(out, (".xlsx",), "Annex A is written as .xlsx")
    result = build_annex_a(run, months, plant_errors)
    key_path = Path(key) if key is not None else out.with_suffix(".key.csv")
    if result.key is not None:
        table = result.key
        write_atomically(key_path, lambda temp: pacsv.write_csv(table, temp))
    write_bytes(out, result.xlsx)
    return dataclasses.replace(result, path=out, key_path=key_path if result.key is not None else None)
