"""The command line: a thin layer that parses options, calls the library, and turns user errors into one line each.

Every command's docstring is its --help. Errors print as ``Error: ...`` (one line per problem) with exit code 2
and no traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import click

import synthgen
from synthgen import calibration
from synthgen.errors import SynthgenError
from synthgen.run_folder import open_run

EXIT_USER_ERROR = 2


class _Int(click.IntRange):
    """A bounded integer whose error reads 'is not a valid integer' (click's says 'integer range')."""

    name = "integer"


def _fail(lines: list[str]) -> None:
    for line in lines:
        click.echo(f"Error: {line}", err=True)
    sys.exit(EXIT_USER_ERROR)


class _Commands(click.Group):
    """The top-level group: click's own usage errors also become one 'Error:' line and exit code 2."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            result = super().main(*args, **kwargs)
        except click.exceptions.Abort:
            _fail(["interrupted"])
        except click.ClickException as error:
            _fail([error.format_message()])
        except SynthgenError as error:
            _fail(error.lines)
        if isinstance(result, int) and result:
            sys.exit(result)
        return result


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(synthgen.__version__, prog_name="synthgen")
def cli() -> None:
    """Synthetic multi-agency safeguarding data for England, with the truth known.

    Example: synthgen generate scenarios/demo.yaml -o output/demo
    """


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    """A progress bar on stderr for interactive runs; silent when output is piped or captured."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=True,
    ) as bar:
        tasks: dict[str, Any] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield report


@cli.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("-o", "--out", type=click.Path(path_type=Path), help="Run folder to write (default: output/<name>).")
@click.option("--seed", type=_Int(min=0, max=2**63 - 1), help="Override the scenario's seed.")
@click.option("--people", type=_Int(min=1), help="Override the number of residents.")
@click.option(
    "--workers",
    type=_Int(min=1, max=256),
    default=1,
    show_default=True,
    help="Worker processes; output is identical for any number.",
)
@click.option("--overwrite", is_flag=True, help="Replace the run folder if it exists.")
@click.option("--pairs", is_flag=True, help="Also write truth/pairs: every true pair in Splink's labels format.")
@click.option("--quiet", is_flag=True, help="No progress bar or summary.")
def generate(
    scenario: Path,
    out: Path | None,
    seed: int | None,
    people: int | None,
    workers: int,
    overwrite: bool,
    pairs: bool,
    quiet: bool,
) -> None:
    """Generate a run from a scenario file.

    Example: synthgen generate scenarios/demo.yaml -o output/demo --workers 2
    """
    overrides: dict[str, Any] = {}
    if seed is not None:
        overrides["seed"] = seed
    if people is not None:
        overrides["population.people"] = people
    try:
        loaded = synthgen.load_scenario(scenario, overrides)
        target = out or Path("output") / loaded.name
        with _progress(not quiet) as report:
            manifest = synthgen.generate(
                loaded, target, workers=workers, overwrite=overwrite, pairs=pairs, progress=report
            )
    except SynthgenError as error:
        _fail(error.lines)
        return
    if not quiet:
        click.echo(f"Wrote {target}: {manifest['people']:,} residents")
        for table in manifest["tables"]:
            click.echo(f"  {table['path']:<42} {table['rows']:>10,} rows")


@cli.command()
@click.argument("scenario", type=click.Path(path_type=Path))
def validate(scenario: Path) -> None:
    """Check a scenario file and report every problem at once (exit code 2 if any).

    Example: synthgen validate scenarios/demo.yaml
    """
    try:
        loaded = synthgen.load_scenario(scenario)
    except SynthgenError as error:
        _fail(error.lines)
        return
    click.echo(f"{scenario}: valid ({loaded.population.people:,} people, {loaded.area.la_name}, seed {loaded.seed})")


@cli.command()
@click.argument("run", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of objects instead of a table.")
def describe(run: Path, as_json: bool) -> None:
    """Compare a run's figures with England's: name, generated, reference, source, tolerance, pass.

    Example: synthgen describe output/demo --json
    """
    try:
        opened = open_run(run)
        figures = calibration.describe(opened)
    except SynthgenError as error:
        _fail(error.lines)
        return
    if as_json:
        click.echo(json.dumps([figure.as_dict() for figure in figures], indent=2))
        return
    width = max(len(f.name) for f in figures)
    click.echo(f"{'figure':<{width}}  {'generated':>10}  {'reference':>10}  {'tolerance':>9}  pass  source")
    for f in figures:
        mark = "yes" if f.passed else "NO"
        click.echo(
            f"{f.name:<{width}}  {f.generated:>10.2f}  {f.reference:>10.2f}  {f.tolerance:>9.2f}  {mark:<4}  {f.source}"
        )
    passed = sum(f.passed for f in figures)
    click.echo(f"{passed} of {len(figures)} figures within tolerance")
    differences = calibration.pair_differences(opened)
    if differences:
        click.echo("")
        click.echo("True pairs (two records of one person): share that differ in each field, where both have it")
        fields = [c for c in calibration.COMPARED]
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


def _write_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """Write beside the target (`write` is given the temporary path), then rename: a reader never sees half a
    file, and a failed write leaves nothing behind."""
    temp = path.parent / f".{path.name}.partial"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(temp)
        temp.replace(path)
    except OSError as error:
        with suppress(OSError):  # (the temporary path may not be a file we can remove)
            temp.unlink(missing_ok=True)
        raise SynthgenError(f"{path}: cannot be written ({error.strerror or error})") from None


def _write_text_atomically(path: Path, text: str) -> None:
    _write_atomically(path, lambda temp: temp.write_text(text, encoding="utf-8"))


@cli.group()
def evaluate() -> None:
    """Score a system's output against a run's truth.

    Example: synthgen evaluate linkage output/demo predictions.parquet --report report.html
    """


@evaluate.command("linkage")
@click.argument("run", type=click.Path(path_type=Path))
@click.argument("predictions", type=click.Path(path_type=Path))
@click.option("--threshold", type=click.FloatRange(min=0.0), help="Link scored pairs at or above this (default 0.5).")
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="Write every metric to this JSON file.")
@click.option("--report", "report_path", type=click.Path(path_type=Path), help="Write a self-contained HTML report.")
def evaluate_linkage(
    run: Path, predictions: Path, threshold: float | None, json_path: Path | None, report_path: Path | None
) -> None:
    """Score record linkage: clusters (record_id, cluster_id) or scored pairs (record_id_l, record_id_r,
    match_probability or score), in Parquet or CSV; Splink's column names are read as they come.

    Example: synthgen evaluate linkage output/demo output/demo-fs.parquet --json scores.json --report scores.html
    """
    from synthgen.evaluation.linkage import evaluate_linkage as score

    try:
        result = score(run, predictions, threshold)
        if json_path:
            _write_text_atomically(json_path, json.dumps(result, indent=2, allow_nan=False) + "\n")
        if report_path:
            from synthgen.evaluation.linkage_report import linkage_report

            _write_text_atomically(report_path, linkage_report(result))
    except SynthgenError as error:
        _fail(error.lines)
        return
    click.echo(
        f"{result['records']:,} records; {result['absent_singletons']:,} absent from the predictions (singletons)"
    )
    for group in ("pairwise", "bcubed", "cluster"):
        values = result[group]
        click.echo(
            f"{group:<9} precision {values['precision']:.4f}  recall {values['recall']:.4f}  f1 {values['f1']:.4f}"
        )
    click.echo(f"v_measure {result['v_measure']:.4f}  adjusted_rand_index {result['adjusted_rand_index']:.4f}")
    if result["curve"] is not None and result["curve"]["best_threshold"] is not None:
        curve = result["curve"]
        click.echo(f"best threshold {curve['best_threshold']:.4f} (pairwise f1 {curve['best_f1']:.4f})")


@evaluate.command("sharing")
@click.argument("run", type=click.Path(path_type=Path))
@click.argument("flags", type=click.Path(path_type=Path))
@click.option(
    "--disclosures",
    "disclosures_path",
    type=click.Path(path_type=Path),
    help="Disclosures (record_id, fields, recipient, shared_at, case, purpose) to check for over-sharing.",
)
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="Write every metric to this JSON file.")
@click.option("--report", "report_path", type=click.Path(path_type=Path), help="Write a self-contained HTML report.")
def evaluate_sharing(
    run: Path, flags: Path, disclosures_path: Path | None, json_path: Path | None, report_path: Path | None
) -> None:
    """Score screening and information sharing: flags (record_id, flagged_at, concern optional) and, optionally,
    disclosures, in Parquet or CSV; a record id is any agency file's id or a linkage view record_id.

    Example: synthgen evaluate sharing output/demo flags.csv --disclosures disclosures.csv --report sharing.html
    """
    from synthgen.evaluation.sharing import evaluate_sharing as score

    try:
        result = score(run, flags, disclosures_path)
        if json_path:
            _write_text_atomically(json_path, json.dumps(result, indent=2, allow_nan=False) + "\n")
        if report_path:
            from synthgen.evaluation.sharing_report import sharing_report

            _write_text_atomically(report_path, sharing_report(result))
    except SynthgenError as error:
        _fail(error.lines)
        return
    found, timing = result["detection"], result["time_to_flag"]
    click.echo(
        f"{found['children_at_risk']:,} children at risk ({found['children_at_risk_visible']:,} visible across "
        f"agencies); {found['flagged_people']:,} people flagged"
    )
    click.echo(
        f"precision {found['precision']:.4f}  recall {found['recall']:.4f}  f1 {found['f1']:.4f}  "
        f"recall of visible {found['recall_visible']:.4f}"
    )
    median = "-" if timing["median_days"] is None else f"{timing['median_days']:g}"
    click.echo(
        f"days from visibility to flag: median {median}, within 7 {timing['within_7_days']:.4f}, "
        f"within 30 {timing['within_30_days']:.4f}, never {timing['never']:.4f}"
    )
    shared = result["oversharing"]
    if shared is not None:
        click.echo(
            f"{shared['disclosures']:,} disclosures: {shared['about_people_in_no_flagged_case']:,} about people in no "
            f"flagged case, {shared['about_people_not_at_risk']:,} about people not at risk, "
            f"{shared['fields_outside_policy']:,} with fields outside the policy, "
            f"{shared['recipients_without_purpose']:,} to recipients without a purpose"
        )


def _write_results(out: Path, table: Any) -> None:
    """A table as Parquet or CSV by the file's suffix, written atomically."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from synthgen.outputs.parquet import COMPRESSION

    if out.suffix.lower() == ".csv":
        _write_atomically(out, lambda temp: pacsv.write_csv(table, temp))
    else:
        _write_atomically(out, lambda temp: pq.write_table(table, temp, compression=COMPRESSION))


@cli.command()
@click.argument("run", type=click.Path(path_type=Path))
@click.option("-o", "--out", type=click.Path(path_type=Path), required=True, help="Flags file (.parquet or .csv).")
@click.option("--disclosures", "disclosures_path", type=click.Path(path_type=Path), help="Also write disclosures here.")
@click.option(
    "--window",
    type=_Int(min=0, max=3660),
    default=90,
    show_default=True,
    help="Days within which concerns from two agencies flag a child.",
)
@click.option("--method", type=click.Choice(["exact", "fellegi-sunter"]), default="fellegi-sunter", show_default=True)
def screen(run: Path, out: Path, disclosures_path: Path | None, window: int, method: str) -> None:
    """Flag children with concerning records from two agencies within a window, from the agency files alone
    (linked by a reference linker), and write the disclosures the run's sharing policy allows for each flag.

    Example: synthgen screen output/demo -o flags.csv --disclosures disclosures.csv --window 90
    """
    from synthgen.screening import screen as run_screen

    try:
        for path in (out, disclosures_path):
            if path is not None and path.suffix.lower() not in (".parquet", ".csv"):
                raise SynthgenError(f"{path}: screening results are written as .parquet or .csv")
        screened = run_screen(run, window=window, method=method)
        _write_results(out, screened.flags)
        if disclosures_path is not None:
            _write_results(disclosures_path, screened.disclosures)
    except SynthgenError as error:
        _fail(error.lines)
        return
    click.echo(f"Wrote {out}: {screened.flags.num_rows:,} children flagged ({method}, {window}-day window)")
    if disclosures_path is not None:
        click.echo(f"Wrote {disclosures_path}: {screened.disclosures.num_rows:,} disclosures")


@cli.command()
@click.argument("run", type=click.Path(path_type=Path))
@click.option("--method", type=click.Choice(["exact", "fellegi-sunter"]), default="fellegi-sunter", show_default=True)
@click.option(
    "-o", "--out", type=click.Path(path_type=Path), required=True, help="Predictions file (.parquet or .csv)."
)
def link(run: Path, method: str, out: Path) -> None:
    """Link a run's linkage view with a reference linker and write cluster predictions (record_id, cluster_id).

    Example: synthgen link output/demo --method fellegi-sunter -o output/demo-fs.parquet
    """
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from synthgen.linkage import link as run_linker
    from synthgen.outputs.parquet import COMPRESSION

    try:
        if out.suffix.lower() not in (".parquet", ".csv"):
            raise SynthgenError(f"{out}: predictions are written as .parquet or .csv")
        clusters = run_linker(open_run(run).read("linkage/records"), method)
        if out.suffix.lower() == ".csv":
            _write_atomically(out, lambda temp: pacsv.write_csv(clusters, temp))
        else:
            _write_atomically(out, lambda temp: pq.write_table(clusters, temp, compression=COMPRESSION))
    except SynthgenError as error:
        _fail(error.lines)
        return
    clusters_count = pc.count_distinct(clusters["cluster_id"], mode="all").as_py()
    click.echo(f"Wrote {out}: {clusters.num_rows:,} records in {clusters_count:,} clusters ({method})")


@cli.group()
def export() -> None:
    """Exports of a run: standard returns and readable files.

    Example: synthgen export ssda903 output/demo -o output/demo-903
    """


@export.command("ssda903")
@click.argument("run", type=click.Path(path_type=Path))
@click.option("-o", "--out", type=click.Path(path_type=Path), required=True, help="Folder to write.")
@click.option(
    "--plant-errors",
    type=_Int(min=0),
    default=0,
    help="Write N known rule breaches into this year's files, listed in planted_errors.csv.",
)
@click.option("--overwrite", is_flag=True, help="Replace the folder if it holds an SSDA903 return.")
def export_ssda903(run: Path, out: Path, plant_errors: int, overwrite: bool) -> None:
    """The SSDA903 return (children looked after) as the DfE's CSV files, last year's in OUT/previous/.

    Example: synthgen export ssda903 output/demo -o output/demo-903 --plant-errors 9
    """
    from synthgen.outputs.returns.files import write_ssda903

    try:
        write_ssda903(run, out, plant_errors, overwrite)
    except SynthgenError as error:
        _fail(error.lines)
        return
    planted = f", {plant_errors} planted errors (planted_errors.csv)" if plant_errors else ""
    click.echo(f"Wrote {out}: SSDA903 files for this year and last year (previous/){planted}")


@export.command("cin-census")
@click.argument("run", type=click.Path(path_type=Path))
@click.option("-o", "--out", type=click.Path(path_type=Path), required=True, help="The return to write (.xml).")
@click.option(
    "--plant-errors", type=_Int(min=0), default=0, show_default=True, help="Known breaches of the DfE's rules to plant."
)
@click.option(
    "--key", "key_path", type=click.Path(path_type=Path), help="The planted errors' key (default: FILE.key.csv)."
)
def export_cin_census(run: Path, out: Path, plant_errors: int, key_path: Path | None) -> None:
    """Write the CIN census (DfE XML) for the collection year the run covers (1 April to 31 March); with
    --plant-errors N, N known rule breaches and a key (rule, la_child_id, module, field, value).

    Example: synthgen export cin-census output/demo -o output/demo-cin.xml --plant-errors 10
    """
    import pyarrow.csv as pacsv

    from synthgen.outputs.returns import cin_census

    try:
        if out.suffix.lower() != ".xml":
            raise SynthgenError(f"{out}: the CIN census is written as .xml")
        result = cin_census.from_run(open_run(run), plant_errors)
        key_target = key_path or out.with_suffix(".key.csv")
        if result.key is not None:
            key = result.key
            _write_atomically(key_target, lambda temp: pacsv.write_csv(key, temp))
        _write_atomically(out, lambda temp: temp.write_bytes(result.xml))
    except SynthgenError as error:
        _fail(error.lines)
        return
    click.echo(
        f"Wrote {out}: CIN census {result.year.year - 1}-{result.year.year % 100:02d}, {result.children:,} children"
    )
    if result.key is not None:
        click.echo(f"Wrote {key_target}: {result.key.num_rows} planted errors")


@export.command("training")
@click.argument("run", type=click.Path(path_type=Path))
@click.option("-o", "--out", type=click.Path(path_type=Path), required=True, help="Folder to write the pack into.")
@click.option("--overwrite", is_flag=True, help="Replace the pack folder if it exists.")
def export_training(run: Path, out: Path, overwrite: bool) -> None:
    """Write a training pack: each agency's files (CSV and xlsx) and printable case bundle, and the facilitator's
    answer key.

    Example: synthgen export training output/training -o output/training-pack
    """
    from synthgen.outputs.training.pack import write_training_pack

    try:
        summary = write_training_pack(run, out, overwrite=overwrite)
    except SynthgenError as error:
        _fail(error.lines)
        return
    cases = ", ".join(f"{agency} {count}" for agency, count in summary["bundle_cases"].items())
    click.echo(f"Wrote {out}: {len(summary['files'])} files; {summary['storylines']} storylines; bundle cases: {cases}")


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="synthgen")


if __name__ == "__main__":
    main()
