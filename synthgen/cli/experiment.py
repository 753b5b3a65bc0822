"""`synthgen experiment`: a grid of seeds × scenarios × data-quality settings × systems, run and summarised."""

from __future__ import annotations

from pathlib import Path

import click

import synthgen
from synthgen.cli.base import cli, overwrite_option, progress, user_errors, workers_option
from synthgen.experiments.report import HEADLINES


@cli.command("experiment")
@click.argument("config", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--out",
    type=click.Path(path_type=Path),
    help="Experiment folder (default: output/<name>); one holding this experiment is resumed.",
)
@workers_option("Cells worked out at once; results are identical for any number.")
@overwrite_option("Discard the folder's earlier results and work out every cell again.")
@click.option("--quiet", is_flag=True, help="No progress bar or summary.")
def experiment(config: Path, out: Path | None, workers: int, overwrite: bool, quiet: bool) -> None:
    """Run an experiment file: every seed × scenario × data-quality setting × system (a reference linker, screen
    or MASH, or your command), each run generated, the system run on it and scored; then results.parquet and
    results.csv (one row per run × system × metric), summary.csv (mean and 95% t-interval across seeds) and
    summary.html. Cells already in the folder are not worked out again.

    \b
    Example: synthgen experiment experiments/demo-seeds.yaml -o output/demo-seeds --workers 2
    """
    with user_errors():
        loaded = synthgen.load_experiment(config)
        target = Path("output") / loaded.name if out is None else out
        with progress(not quiet) as report:
            result = synthgen.experiment(config, target, workers=workers, overwrite=overwrite, progress=report)
    if quiet:
        return
    cells = result.computed + result.reused
    click.echo(
        f"Wrote {target}: {cells:,} cells ({result.computed:,} worked out now, {result.reused:,} already there), "
        f"{result.results.num_rows:,} result rows"
    )
    headline = {metric for metrics in HEADLINES.values() for metric in metrics}
    for row in result.summary.to_pylist():
        if row["group_kind"] != "all" or row["metric"] not in headline:
            continue
        interval = "" if row["lower"] is None else f" [{row['lower']:.4f}, {row['upper']:.4f}]"
        mean = "-" if row["mean"] is None else f"{row['mean']:.4f}"
        click.echo(
            f"  {row['scenario']} {row['quality']} {row['system']:<16} {row['metric']:<24} "
            f"{mean}{interval} over {row['seeds']} seed{'' if row['seeds'] == 1 else 's'}"
        )
