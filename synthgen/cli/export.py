"""`synthgen export`: standard returns (SSDA903, CIN census, Annex A) and the training pack."""

from __future__ import annotations

from pathlib import Path

import click

import synthgen
from synthgen.cli.base import (
    cli,
    out_option,
    overwrite_option,
    plant_errors_option,
    progress,
    run_argument,
    user_errors,
    working,
)


@cli.group()
def export() -> None:
    """Exports of a run: standard returns and readable files.

    \b
    Example: synthgen export ssda903 output/demo -o output/demo-903
    """


@export.command("ssda903")
@run_argument
@out_option("Folder to write.")
@plant_errors_option("Write N known rule breaches into this year's files, listed in planted_errors.csv.")
@overwrite_option("Replace the folder if it holds an SSDA903 return synthgen wrote (and nothing else).")
def export_ssda903(run: Path, out: Path, plant_errors: int, overwrite: bool) -> None:
    """The SSDA903 return (children looked after) as the DfE's CSV files, last year's in OUT/previous/.

    \b
    Example: synthgen export ssda903 output/demo -o output/demo-903 --plant-errors 9
    """
    with user_errors(), working("building the SSDA903 return"):
        synthgen.export_ssda903(run, out, plant_errors=plant_errors, overwrite=overwrite)
    planted = f", {plant_errors} planted errors (planted_errors.csv)" if plant_errors else ""
    click.echo(f"Wrote {out}: SSDA903 files for this year and last year (previous/){planted}")


@export.command("cin-census")
@run_argument
@out_option("The return to write (.xml).")
@plant_errors_option("Known breaches of the DfE's rules to plant.", show_default=True)
@click.option("--key", type=click.Path(path_type=Path), help="The planted errors' key (default: FILE.key.csv).")
@overwrite_option("Replace the return and its key if they exist.")
def export_cin_census(run: Path, out: Path, plant_errors: int, key: Path | None, overwrite: bool) -> None:
    """Write the CIN census (DfE XML) for the collection year the run covers (1 April to 31 March); with
    --plant-errors N, N known rule breaches and a key (rule, la_child_id, module, field, value).

    \b
    Example: synthgen export cin-census output/demo -o output/demo-cin.xml --plant-errors 10
    """
    with user_errors(), working("building the CIN census"):
        result = synthgen.export_cin_census(run, out, plant_errors=plant_errors, key=key, overwrite=overwrite)
    click.echo(
        f"Wrote {out}: CIN census {result.year.year - 1}-{result.year.year % 100:02d}, {result.children:,} children"
    )
    if result.key is not None:
        click.echo(f"Wrote {result.key_path}: {result.key.num_rows} planted errors")


@export.command("annex-a")
@run_argument
@out_option("The workbook to write (.xlsx).")
@click.option(
    "--months",
    type=click.Choice(["6", "12"]),
    default="6",
    show_default=True,
    help="The window of lists 1 to 8 before the inspection (lists 10 and 11 always cover 12).",
)
@plant_errors_option("Known breaches of the format to plant.", show_default=True)
@click.option("--key", type=click.Path(path_type=Path), help="The planted errors' key (default: FILE.key.csv).")
@overwrite_option("Replace the workbook and its key if they exist.")
def export_annex_a(run: Path, out: Path, months: str, plant_errors: int, key: Path | None, overwrite: bool) -> None:
    """Write Ofsted's Annex A lists 1 to 11 (ILACS) as on the last day of the run's period, in one workbook; with
    --plant-errors N, N known breaches of the format and a key (rule, list, column, row, child, value).

    \b
    Example: synthgen export annex-a output/demo -o output/demo-annex-a.xlsx --months 6
    """
    with user_errors(), working("building Annex A"):
        result = synthgen.export_annex_a(
            run, out, months=int(months), plant_errors=plant_errors, key=key, overwrite=overwrite
        )
    rows = ", ".join(f"{number} {count:,}" for number, count in result.rows().items())
    click.echo(f"Wrote {out}: Annex A as on {result.window.inspection}, rows by list: {rows}")
    if result.key is not None:
        click.echo(f"Wrote {result.key_path}: {result.key.num_rows} planted errors")


@export.command("training")
@run_argument
@out_option("Folder to write the pack into.")
@overwrite_option("Replace the folder if it holds a training pack synthgen wrote (and nothing else).")
def export_training(run: Path, out: Path, overwrite: bool) -> None:
    """Write a training pack: each agency's files (CSV and xlsx) and printable case bundle, and the facilitator's
    answer key.

    \b
    Example: synthgen export training output/training -o output/training-pack
    """
    with user_errors(), progress(True) as report:
        pack = synthgen.export_training(run, out, overwrite=overwrite, progress=report)
    cases = ", ".join(f"{agency} {count}" for agency, count in pack.bundle_cases.items())
    click.echo(f"Wrote {out}: {len(pack.files)} files; {pack.storylines} storylines; bundle cases: {cases}")
