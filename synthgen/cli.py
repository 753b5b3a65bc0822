"""The command line: a thin layer that parses options, calls the library (one function per command, the same one a
notebook calls) and prints what it returns.

Every command's docstring is its --help, with its example as a paragraph of its own that click leaves unwrapped,
so it survives copy and paste. Errors print as ``Error: ...`` (one line per problem) with exit code 2 and no
traceback; a library error about one argument names the option that sets it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
import pyarrow.compute as pc

import synthgen
from synthgen.arguments import ArgumentError
from synthgen.calibration import COMPARED, Figure
from synthgen.errors import SynthgenError
from synthgen.linkage import DEFAULT_METHOD, METHODS
from synthgen.reference_mash import DECISIONS
from synthgen.tables import dictionary

EXIT_USER_ERROR = 2

F = TypeVar("F", bound=Callable[..., Any])


class _Int(click.IntRange):
    """A bounded integer whose error reads 'is not a valid integer' (click's says 'integer range')."""

    name = "integer"


def _fail(lines: list[str]) -> NoReturn:
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


def _option_for(argument: str) -> str:
    """The option of the running command that sets a library argument (e.g. plant_errors: --plant-errors)."""
    context = click.get_current_context(silent=True)
    if context is not None:
        for param in context.command.params:
            if param.name == argument and isinstance(param, click.Option):
                return max(param.opts, key=len)
    return argument


@contextmanager
def _user_errors() -> Iterator[None]:
    """The library's errors as one line each; an error about an argument names the option that sets it."""
    try:
        yield
    except ArgumentError as error:
        _fail([error.naming(_option_for(error.argument))])
    except SynthgenError as error:
        _fail(error.lines)


# ------------------------------------------------------------------------------------------------ shared options


def _run_argument(function: F) -> F:
    """RUN: a run folder that `synthgen generate` wrote."""
    return click.argument("run", type=click.Path(path_type=Path))(function)


def _out(help: str, *, required: bool = True) -> Callable[[F], F]:
    """-o/--out: what the command writes."""
    return click.option("-o", "--out", type=click.Path(path_type=Path), required=required, help=help)


def _overwrite(help: str) -> Callable[[F], F]:
    return click.option("--overwrite", is_flag=True, help=help)


def _method(function: F) -> F:
    """--method: a reference linker, by the names the linkers' registry gives them."""
    return click.option("--method", type=click.Choice(list(METHODS)), default=DEFAULT_METHOD, show_default=True)(
        function
    )


def _score_files(function: F) -> F:
    """--json and --report: where an evaluation also writes its scores."""
    function = click.option(
        "--report", "report_path", type=click.Path(path_type=Path), help="Write a self-contained HTML report."
    )(function)
    return click.option(
        "--json", "json_path", type=click.Path(path_type=Path), help="Write every metric to this JSON file."
    )(function)


def _plant_errors(help: str, *, show_default: bool = False) -> Callable[[F], F]:
    return click.option("--plant-errors", type=_Int(min=0), default=0, show_default=show_default, help=help)


# ------------------------------------------------------------------------------------------------------ commands


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(synthgen.__version__, prog_name="synthgen")
def cli() -> None:
    """Synthetic multi-agency safeguarding data for England, with the truth known.

    \b
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
@_out("Run folder to write (default: output/<name>).", required=False)
@click.option("--seed", type=_Int(min=0, max=2**63 - 1), help="Override the scenario's seed.")
@click.option("--people", type=_Int(min=1), help="Override the number of residents.")
@click.option(
    "--workers",
    type=_Int(min=1, max=256),
    default=1,
    show_default=True,
    help="Worker processes; output is identical for any number.",
)
@_overwrite("Replace the run folder if it exists.")
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

    \b
    Example: synthgen generate scenarios/demo.yaml -o output/demo --workers 2
    """
    overrides: dict[str, Any] = {}
    if seed is not None:
        overrides["seed"] = seed
    if people is not None:
        overrides["population.people"] = people
    with _user_errors():
        loaded = synthgen.load_scenario(scenario, overrides)
        target = out or Path("output") / loaded.name
        with _progress(not quiet) as report:
            manifest = synthgen.generate(
                loaded, target, workers=workers, overwrite=overwrite, pairs=pairs, progress=report
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
    with _user_errors():
        loaded = synthgen.load_scenario(scenario)
    click.echo(f"{scenario}: valid ({loaded.population.people:,} people, {loaded.area.la_name}, seed {loaded.seed})")


@cli.command()
@_run_argument
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of objects instead of a table.")
def describe(run: Path, as_json: bool) -> None:
    """Compare a run's figures with England's: name, generated, reference, source, tolerance, pass.

    \b
    Example: synthgen describe output/demo --json
    """
    with _user_errors():
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
    click.echo(f"{'figure':<{width}}  {'generated':>10}  {'reference':>10}  {'tolerance':>9}  pass  source")
    for f in figures:
        mark = "yes" if f.passed else "NO"
        click.echo(
            f"{f.name:<{width}}  {f.generated:>10.2f}  {f.reference:>10.2f}  {f.tolerance:>9.2f}  {mark:<4}  {f.source}"
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


@cli.group()
def evaluate() -> None:
    """Score a system's output against a run's truth.

    \b
    Example: synthgen evaluate linkage output/demo predictions.parquet --report report.html
    """


@evaluate.command("linkage")
@_run_argument
@click.argument("predictions", type=click.Path(path_type=Path))
@click.option("--threshold", type=click.FloatRange(min=0.0), help="Link scored pairs at or above this (default 0.5).")
@_score_files
def evaluate_linkage(
    run: Path, predictions: Path, threshold: float | None, json_path: Path | None, report_path: Path | None
) -> None:
    """Score record linkage: clusters (record_id, cluster_id) or scored pairs (record_id_l, record_id_r,
    match_probability or score), in Parquet or CSV; Splink's column names are read as they come.

    \b
    Example: synthgen evaluate linkage output/demo output/demo-fs.parquet --json scores.json --report scores.html
    """
    with _user_errors():
        result = synthgen.evaluate_linkage(run, predictions, threshold, json_path=json_path, report_path=report_path)
    click.echo(f"{result.records:,} records; {result.absent_singletons:,} absent from the predictions (singletons)")
    for name, values in (("pairwise", result.pairwise), ("bcubed", result.bcubed), ("cluster", result.cluster)):
        click.echo(f"{name:<9} precision {values.precision:.4f}  recall {values.recall:.4f}  f1 {values.f1:.4f}")
    click.echo(f"v_measure {result.v_measure:.4f}  adjusted_rand_index {result.adjusted_rand_index:.4f}")
    if result.curve is not None and result.curve.best_threshold is not None:
        click.echo(f"best threshold {result.curve.best_threshold:.4f} (pairwise f1 {result.curve.best_f1:.4f})")


@evaluate.command("sharing")
@_run_argument
@click.argument("flags", type=click.Path(path_type=Path))
@click.option(
    "--disclosures",
    type=click.Path(path_type=Path),
    help="Disclosures (record_id, fields, recipient, shared_at, case, purpose) to check for over-sharing.",
)
@_score_files
def evaluate_sharing(
    run: Path, flags: Path, disclosures: Path | None, json_path: Path | None, report_path: Path | None
) -> None:
    """Score screening and information sharing: flags (record_id, flagged_at, concern optional) and, optionally,
    disclosures, in Parquet or CSV; a record id is any agency file's id or a linkage view record_id.

    \b
    Example: synthgen evaluate sharing output/demo flags.csv --disclosures disclosures.csv --report sharing.html
    """
    with _user_errors():
        result = synthgen.evaluate_sharing(run, flags, disclosures, json_path=json_path, report_path=report_path)
    found, timing = result.detection, result.time_to_flag
    click.echo(
        f"{found.children_at_risk:,} children at risk ({found.children_at_risk_visible:,} visible across "
        f"agencies); {found.flagged_people:,} people flagged"
    )
    click.echo(
        f"precision {found.precision:.4f}  recall {found.recall:.4f}  f1 {found.f1:.4f}  "
        f"recall of visible {found.recall_visible:.4f}"
    )
    median = "-" if timing.median_days is None else f"{timing.median_days:g}"
    click.echo(
        f"days from visibility to flag: median {median}, within 7 {timing.within_7_days:.4f}, "
        f"within 30 {timing.within_30_days:.4f}, never {timing.never:.4f}"
    )
    shared = result.oversharing
    if shared is not None:
        click.echo(
            f"{shared.disclosures:,} disclosures: {shared.about_people_in_no_flagged_case:,} about people in no "
            f"flagged case, {shared.about_people_not_at_risk:,} about people not at risk, "
            f"{shared.fields_outside_policy:,} with fields outside the policy, "
            f"{shared.recipients_without_purpose:,} to recipients without a purpose"
        )


@evaluate.command("mash")
@_run_argument
@click.argument("responses", type=click.Path(path_type=Path))
@_score_files
def evaluate_mash(run: Path, responses: Path, json_path: Path | None, report_path: Path | None) -> None:
    """Score a MASH system contact by contact: what it found in the partners' records, how it rated and decided,
    how soon, and what it shared. RESPONSES (Parquet or CSV) has a row per contact and record found: contact_id,
    decided_at, decision, rag, record_id, shared_with, shared_fields, purpose.

    \b
    Example: synthgen evaluate mash output/demo responses.parquet --report mash.html
    """
    with _user_errors():
        result = synthgen.evaluate_mash(run, responses, json_path=json_path, report_path=report_path)
    checks, decisions, timely = result.partner_checks, result.decisions, result.timeliness
    click.echo(f"{result.answered:,} of {result.contacts:,} contacts answered")
    click.echo(
        f"partner checks: recall {checks.recall:.4f}  precision {checks.precision:.4f}  "
        f"from the future {checks.from_the_future:,}"
    )
    click.echo(
        f"decisions: agreement {decisions.agreement:.4f}  weighted kappa {decisions.weighted_kappa:.4f}  "
        f"{decisions.under:,} lower than the truth supports, {decisions.over:,} higher"
    )
    click.echo(f"rating: weighted kappa {result.rag.weighted_kappa:.4f}")
    click.echo(f"decided within one working day: {timely.within_one_working_day:.4f}")
    shared = result.sharing
    if shared.shares:
        click.echo(
            f"{shared.shares:,} shares: {shared.fields_outside_policy:,} with fields outside the policy, "
            f"{shared.recipients_without_purpose:,} to recipients without a purpose, "
            f"{shared.about_people_outside_the_family:,} about people outside the family"
        )


@cli.command()
@_run_argument
@_out("Flags file (.parquet or .csv).")
@click.option("--disclosures", type=click.Path(path_type=Path), help="Also write disclosures here.")
@click.option(
    "--window",
    type=_Int(min=0, max=3660),
    default=90,
    show_default=True,
    help="Days within which concerns from two agencies flag a child.",
)
@_method
def screen(run: Path, out: Path, disclosures: Path | None, window: int, method: str) -> None:
    """Flag children with concerning records from two agencies within a window, from the agency files alone
    (linked by a reference linker), and write the disclosures the run's sharing policy allows for each flag.

    \b
    Example: synthgen screen output/demo -o flags.csv --disclosures disclosures.csv --window 90
    """
    with _user_errors():
        screened = synthgen.screen(run, window=window, method=method, out=out, disclosures=disclosures)
    click.echo(f"Wrote {out}: {screened.flags.num_rows:,} children flagged ({method}, {window}-day window)")
    if disclosures is not None:
        click.echo(f"Wrote {disclosures}: {screened.disclosures.num_rows:,} disclosures")


@cli.command()
@_run_argument
@_out("Responses file (.parquet or .csv).")
@_method
def mash(run: Path, out: Path, method: str) -> None:
    """Answer every contact at the front door from the agency files alone, as a reference MASH: the partners'
    records found for the child and household (linked by a reference linker), a rating and decision by a stated
    rule, decided within one working day, and the shares the run's sharing policy allows. Writes the responses
    `synthgen evaluate mash` scores; never reads the truth.

    \b
    Example: synthgen mash output/demo -o responses.parquet --method fellegi-sunter
    """
    with _user_errors():
        responses = synthgen.mash(run, method, out=out)
    decided = responses.group_by("contact_id", use_threads=False).aggregate([("decision", "first")])
    counts = {row["values"]: row["counts"] for row in pc.value_counts(decided["decision_first"]).to_pylist()}
    kinds = ", ".join(f"{name} {counts[name]:,}" for name in DECISIONS if name in counts)
    found = responses.num_rows - responses["record_id"].null_count
    click.echo(
        f"Wrote {out}: {decided.num_rows:,} contacts answered, {found:,} records found ({method}); decisions: {kinds}"
    )


@cli.command()
@_run_argument
@_method
@_out("Predictions file (.parquet or .csv).")
def link(run: Path, method: str, out: Path) -> None:
    """Link a run's linkage view with a reference linker and write cluster predictions (record_id, cluster_id).

    \b
    Example: synthgen link output/demo --method fellegi-sunter -o output/demo-fs.parquet
    """
    with _user_errors():
        clusters = synthgen.link(run, method, out=out)
    clusters_count = pc.count_distinct(clusters["cluster_id"], mode="all").as_py()
    click.echo(f"Wrote {out}: {clusters.num_rows:,} records in {clusters_count:,} clusters ({method})")


@cli.group()
def export() -> None:
    """Exports of a run: standard returns and readable files.

    \b
    Example: synthgen export ssda903 output/demo -o output/demo-903
    """


@export.command("ssda903")
@_run_argument
@_out("Folder to write.")
@_plant_errors("Write N known rule breaches into this year's files, listed in planted_errors.csv.")
@_overwrite("Replace the folder if it holds an SSDA903 return.")
def export_ssda903(run: Path, out: Path, plant_errors: int, overwrite: bool) -> None:
    """The SSDA903 return (children looked after) as the DfE's CSV files, last year's in OUT/previous/.

    \b
    Example: synthgen export ssda903 output/demo -o output/demo-903 --plant-errors 9
    """
    with _user_errors():
        synthgen.export_ssda903(run, out, plant_errors=plant_errors, overwrite=overwrite)
    planted = f", {plant_errors} planted errors (planted_errors.csv)" if plant_errors else ""
    click.echo(f"Wrote {out}: SSDA903 files for this year and last year (previous/){planted}")


@export.command("cin-census")
@_run_argument
@_out("The return to write (.xml).")
@_plant_errors("Known breaches of the DfE's rules to plant.", show_default=True)
@click.option("--key", type=click.Path(path_type=Path), help="The planted errors' key (default: FILE.key.csv).")
def export_cin_census(run: Path, out: Path, plant_errors: int, key: Path | None) -> None:
    """Write the CIN census (DfE XML) for the collection year the run covers (1 April to 31 March); with
    --plant-errors N, N known rule breaches and a key (rule, la_child_id, module, field, value).

    \b
    Example: synthgen export cin-census output/demo -o output/demo-cin.xml --plant-errors 10
    """
    with _user_errors():
        result = synthgen.export_cin_census(run, out, plant_errors=plant_errors, key=key)
    click.echo(
        f"Wrote {out}: CIN census {result.year.year - 1}-{result.year.year % 100:02d}, {result.children:,} children"
    )
    if result.key is not None:
        click.echo(f"Wrote {result.key_path}: {result.key.num_rows} planted errors")


@export.command("annex-a")
@_run_argument
@_out("The workbook to write (.xlsx).")
@click.option(
    "--months",
    type=click.Choice(["6", "12"]),
    default="6",
    show_default=True,
    help="The window of lists 1 to 8 before the inspection (lists 10 and 11 always cover 12).",
)
@_plant_errors("Known breaches of the format to plant.", show_default=True)
@click.option("--key", type=click.Path(path_type=Path), help="The planted errors' key (default: FILE.key.csv).")
def export_annex_a(run: Path, out: Path, months: str, plant_errors: int, key: Path | None) -> None:
    """Write Ofsted's Annex A lists 1 to 11 (ILACS) as on the last day of the run's period, in one workbook; with
    --plant-errors N, N known breaches of the format and a key (rule, list, column, row, child, value).

    \b
    Example: synthgen export annex-a output/demo -o output/demo-annex-a.xlsx --months 6
    """
    with _user_errors():
        result = synthgen.export_annex_a(run, out, months=int(months), plant_errors=plant_errors, key=key)
    rows = ", ".join(f"{number} {count:,}" for number, count in result.rows().items())
    click.echo(f"Wrote {out}: Annex A as on {result.window.inspection}, rows by list: {rows}")
    if result.key is not None:
        click.echo(f"Wrote {result.key_path}: {result.key.num_rows} planted errors")


@export.command("training")
@_run_argument
@_out("Folder to write the pack into.")
@_overwrite("Replace the pack folder if it exists.")
def export_training(run: Path, out: Path, overwrite: bool) -> None:
    """Write a training pack: each agency's files (CSV and xlsx) and printable case bundle, and the facilitator's
    answer key.

    \b
    Example: synthgen export training output/training -o output/training-pack
    """
    with _user_errors():
        pack = synthgen.export_training(run, out, overwrite=overwrite)
    cases = ", ".join(f"{agency} {count}" for agency, count in pack.bundle_cases.items())
    click.echo(f"Wrote {out}: {len(pack.files)} files; {pack.storylines} storylines; bundle cases: {cases}")


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="synthgen")


if __name__ == "__main__":
    main()
