"""Commands that make and inspect runs: generate, validate, describe, and the data dictionary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

import synthgen
from synthgen.calibration import COMPARED, Figure
from synthgen.cli.base import Int, cli, overwrite_option, progress, run_argument, user_errors, workers_option, working
from synthgen.outputs.storage import is_url
from synthgen.tables import dictionary


@cli.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option(
    "-o", "--out", metavar="PATH", help="Run folder (or URL, e.g. s3://bucket/run) to write (default: output/<name>)."
)
@click.option("--seed", type=Int(min=0, max=2**63 - 1), help="Override the scenario's seed.")
@click.option("--people", type=Int(min=1), help="Override the number of residents.")
@workers_option("Worker processes; output is identical for any number.")
@overwrite_option("Replace the folder if it holds a run synthgen wrote (and nothing else).")
@click.option("--pairs", is_flag=True, help="Also write truth/pairs: every true pair in Splink's labels format.")
@click.option(
    "--partitioned/--single-files",
    default=None,
    help="Each table as a folder of Parquet parts, or as one file (default: parts above 2 million people).",
)
@click.option("--scheduler", metavar="ADDRESS", help="Run on this Dask scheduler (e.g. tcp://host:8786).")
@click.option(
    "--scratch",
    metavar="DIR",
    type=click.Path(path_type=Path),
    help="Folder for the run's parts while it runs (default: memory, /dev/shm, when they fit; else the run's folder).",
)
@click.option("--quiet", is_flag=True, help="No progress bar or summary.")
def generate(
    scenario: Path,
    out: str | None,
    seed: int | None,
    people: int | None,
    workers: int,
    overwrite: bool,
    pairs: bool,
    partitioned: bool | None,
    scheduler: str | None,
    scratch: Path | None,
    quiet: bool,
) -> None:
    """Generate a run from a scenario file.

    \b
    Example: synthgen generate scenarios/demo.yaml -o output/demo --workers 2
    """
    overrides: dict[str, Any] = {}
    if seed is not None:
        overrides["seed"] = seed
    if people is not None:
        overrides["population.people"] = people
    with user_errors():
        loaded = synthgen.load_scenario(scenario, overrides)
        target: str | Path = Path("output") / loaded.name if out is None else out if is_url(out) else Path(out)
        with progress(not quiet) as report:
            manifest = synthgen.generate(
                loaded,
                target,
                workers=workers,
                overwrite=overwrite,
                pairs=pairs,
                progress=report,
                partitioned=partitioned,
                scheduler=scheduler,
                scratch=scratch,
            )
    if not quiet:
        click.echo(f"Wrote {target}: {manifest['people']:,} residents")
        for table in manifest["tables"]:
            click.echo(f"  {table['path']:<42} {table['rows']:>10,} rows")


@cli.command()
@click.argument("scenario", type=click.Path(path_type=Path))
def validate(scenario: Path) -> None:
    """Check a scenario file and report every problem at once (exit code 2 if any).

    \b
    Example: synthgen validate scenarios/demo.yaml
    """
    with user_errors():
        loaded = synthgen.load_scenario(scenario)
    click.echo(f"{scenario}: valid ({loaded.population.people:,} people, {loaded.area.la_name}, seed {loaded.seed})")


@cli.command()
@run_argument
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of objects instead of a table.")
def describe(run: Path, as_json: bool) -> None:
    """Compare a run's figures with its authority's and England's: name, generated, reference, source, tolerance,
    pass, england (England's figure where the reference is the authority's own).

    \b
    Example: synthgen describe output/demo --json
    """
    with user_errors(), working("measuring the run"):
        figures = synthgen.describe(run)
        differences = [] if as_json else synthgen.pair_differences(run)
    if as_json:
        click.echo(json.dumps([figure.as_dict() for figure in figures], indent=2))
        return
    _print_figures(figures)
    if differences:
        click.echo("")
        _print_pair_differences(differences)


@cli.command("tables")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of tables, each with its columns.")
@click.option("--markdown", is_flag=True, help="Print the dictionary as Markdown (what docs/tables.md holds).")
def tables_(as_json: bool, markdown: bool) -> None:
    """The data dictionary: every table a run writes, and every column's type and meaning.

    \b
    Example: synthgen tables --json
    """
    if as_json:
        click.echo(json.dumps(dictionary.as_records(), indent=2))
    elif markdown:
        click.echo(dictionary.markdown(), nl=False)
    else:
        click.echo(dictionary.text(), nl=False)


def _print_figures(figures: list[Figure]) -> None:
    width = max(len(f.name) for f in figures)
    click.echo(
        f"{'figure':<{width}}  {'generated':>10}  {'reference':>10}  {'england':>10}  {'tolerance':>9}  pass  source"
    )
    for f in figures:
        mark = "yes" if f.passed else "NO"
        england = "" if f.england is None else f"{f.england:.2f}"
        click.echo(
            f"{f.name:<{width}}  {f.generated:>10.2f}  {f.reference:>10.2f}  {england:>10}  {f.tolerance:>9.2f}  "
            f"{mark:<4}  {f.source}"
        )
    passed = sum(f.passed for f in figures)
    click.echo(f"{passed} of {len(figures)} figures within tolerance")


def _print_pair_differences(differences: list[dict[str, object]]) -> None:
    click.echo("True pairs (two records of one person): share that differ in each field, where both have it")
    fields = list(COMPARED)
    click.echo(f"{'sources':<20} {'pairs':>8} " + " ".join(f"{c[:11]:>11}" for c in fields) + "  name+dob   nhs")
    for row in differences:
        cells = " ".join(
            f"{'-':>11}" if row[f"{c}_differs"] is None else f"{100 * float(row[f'{c}_differs']):>10.1f}%"  # type: ignore[arg-type]
            for c in fields
        )
        click.echo(
            f"{row['sources']:<20} {row['pairs']:>8,} {cells}  {100 * float(row['found_by_name_and_dob']):>7.1f}%"  # type: ignore[arg-type]
            f" {100 * float(row['found_by_nhs_number']):>5.1f}%"  # type: ignore[arg-type]
        )
