"""`synthgen evaluate`: score a system's output (linkage, sharing, a MASH) against a run's truth."""

from __future__ import annotations

from pathlib import Path

import click

import synthgen
from synthgen.cli.base import Finite, cli, fail, run_argument, score_files, user_errors, working


@cli.group()
def evaluate() -> None:
    """Score a system's output against a run's truth.

    \b
    Example: synthgen evaluate linkage output/demo predictions.parquet --report report.html
    """


@evaluate.command("linkage")
@run_argument
@click.argument("predictions", type=click.Path(path_type=Path))
@click.option("--threshold", type=Finite(min=0.0), help="Link scored pairs at or above this (default 0.5).")
@score_files
def evaluate_linkage(
    run: Path,
    predictions: Path,
    threshold: float | None,
    json_path: Path | None,
    report_path: Path | None,
    overwrite: bool,
) -> None:
    """Score record linkage: clusters (record_id, cluster_id) or scored pairs (record_id_l, record_id_r,
    match_probability or score), in Parquet or CSV; Splink's column names are read as they come. PREDICTIONS may
    be a folder of cluster files named by date (YYYY-MM-DD.parquet or .csv), as `synthgen link --incremental`
    writes: each day is scored against the records held that day, with link latency and id churn over the series.

    \b
    Example: synthgen evaluate linkage output/demo output/demo-fs.parquet --json scores.json --report scores.html
    """
    if predictions.is_dir():
        if threshold is not None:
            fail(["--threshold applies to scored pairs; a series holds clusters"])
        _evaluate_series(run, predictions, json_path, report_path, overwrite)
        return
    with user_errors(), working("scoring the predictions"):
        result = synthgen.evaluate_linkage(
            run, predictions, threshold, json_path=json_path, report_path=report_path, overwrite=overwrite
        )
    click.echo(f"{result.records:,} records; {result.absent_singletons:,} absent from the predictions (singletons)")
    for name, values in (("pairwise", result.pairwise), ("bcubed", result.bcubed), ("cluster", result.cluster)):
        click.echo(f"{name:<9} precision {values.precision:.4f}  recall {values.recall:.4f}  f1 {values.f1:.4f}")
    click.echo(f"v_measure {result.v_measure:.4f}  adjusted_rand_index {result.adjusted_rand_index:.4f}")
    if result.curve is not None and result.curve.best_threshold is not None:
        click.echo(f"best threshold {result.curve.best_threshold:.4f} (pairwise f1 {result.curve.best_f1:.4f})")


def _evaluate_series(
    run: Path, series: Path, json_path: Path | None, report_path: Path | None, overwrite: bool
) -> None:
    with user_errors(), working("scoring the series"):
        result = synthgen.evaluate_linkage_series(
            run, series, json_path=json_path, report_path=report_path, overwrite=overwrite
        )
    last = result.over_time[-1]
    click.echo(f"{result.days:,} days, {result.first_day} to {result.last_day}")
    click.echo(
        f"last day: {last.records:,} records held; pairwise f1 {last.pairwise.f1:.4f}  bcubed f1 {last.bcubed.f1:.4f}"
    )
    latency, churn = result.latency, result.churn
    median = "-" if latency.median_days is None else f"{latency.median_days:g}"
    click.echo(
        f"link latency over {latency.people:,} people: median {median} days, same day {latency.within_0_days:.4f}, "
        f"within 7 {latency.within_7_days:.4f}, within 30 {latency.within_30_days:.4f}, never {latency.never:.4f}"
    )
    click.echo(
        f"id churn: {churn.churned:,} changes without a truth reason ({churn.churned_records:,} records), "
        f"{churn.explained:,} with one"
    )


@evaluate.command("sharing")
@run_argument
@click.argument("flags", type=click.Path(path_type=Path))
@click.option(
    "--disclosures",
    type=click.Path(path_type=Path),
    help="Disclosures (record_id, fields, recipient, shared_at, case, purpose) to check for over-sharing.",
)
@score_files
def evaluate_sharing(
    run: Path,
    flags: Path,
    disclosures: Path | None,
    json_path: Path | None,
    report_path: Path | None,
    overwrite: bool,
) -> None:
    """Score screening and information sharing: flags (record_id, flagged_at, concern optional) and, optionally,
    disclosures, in Parquet or CSV; a record id is any agency file's id or a linkage view record_id.

    \b
    Example: synthgen evaluate sharing output/demo flags.csv --disclosures disclosures.csv --report sharing.html
    """
    with user_errors(), working("scoring the flags"):
        result = synthgen.evaluate_sharing(
            run, flags, disclosures, json_path=json_path, report_path=report_path, overwrite=overwrite
        )
    found, timing = result.detection, result.time_to_flag
    click.echo(
        f"{found.children_at_risk:,} children at risk ({found.children_at_risk_visible:,} visible across "
        f"agencies); {found.flagged_people:,} people flagged"
    )
    if result.flags_from_the_future:
        click.echo(
            f"{result.flags_from_the_future:,} flags cite a record before its agency held it (from the future, "
            "not credited)"
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
@run_argument
@click.argument("responses", type=click.Path(path_type=Path))
@score_files
def evaluate_mash(
    run: Path, responses: Path, json_path: Path | None, report_path: Path | None, overwrite: bool
) -> None:
    """Score a MASH system contact by contact: what it found in the partners' records, how it rated and decided,
    how soon, and what it shared. RESPONSES (Parquet or CSV) has a row per contact and record found: contact_id,
    decided_at, decision, rag, record_id, shared_with, shared_fields, purpose.

    \b
    Example: synthgen evaluate mash output/demo responses.parquet --report mash.html
    """
    with user_errors(), working("scoring the responses"):
        result = synthgen.evaluate_mash(
            run, responses, json_path=json_path, report_path=report_path, overwrite=overwrite
        )
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
