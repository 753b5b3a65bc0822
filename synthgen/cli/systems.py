"""The reference systems (a screen, a MASH, a linker) and the feeds: commands that write what a system would, from
the agency files alone, so the evaluation loop works out of the box."""

from __future__ import annotations

import time
from pathlib import Path

import click
import pyarrow.compute as pc

import synthgen
from synthgen.cli.base import Int, cli, method_option, out_option, overwrite_option, run_argument, user_errors, working
from synthgen.feeds import DFE_API_MODES
from synthgen.feeds import FORMATS as FEED_FORMATS
from synthgen.feeds.batches import CADENCES
from synthgen.reference_mash import DECISIONS


@cli.command()
@run_argument
@out_option("Flags file (.parquet or .csv).")
@click.option("--disclosures", type=click.Path(path_type=Path), help="Also write disclosures here.")
@click.option(
    "--window",
    type=Int(min=0, max=3660),
    default=90,
    show_default=True,
    help="Days within which concerns from two agencies flag a child.",
)
@method_option
@overwrite_option("Replace the flags and disclosures files if they exist.")
def screen(run: Path, out: Path, disclosures: Path | None, window: int, method: str, overwrite: bool) -> None:
    """Flag children with concerning records from two agencies within a window, from the agency files alone
    (linked by a reference linker), and write the disclosures the run's sharing policy allows for each flag.

    \b
    Example: synthgen screen output/demo -o flags.csv --disclosures disclosures.csv --window 90
    """
    with user_errors(), working(f"screening ({method})"):
        screened = synthgen.screen(
            run, window=window, method=method, out=out, disclosures=disclosures, overwrite=overwrite
        )
    click.echo(f"Wrote {out}: {screened.flags.num_rows:,} children flagged ({method}, {window}-day window)")
    if disclosures is not None:
        click.echo(f"Wrote {disclosures}: {screened.disclosures.num_rows:,} disclosures")


@cli.command()
@run_argument
@out_option("Responses file (.parquet or .csv).")
@method_option
@overwrite_option("Replace the responses file if it exists.")
def mash(run: Path, out: Path, method: str, overwrite: bool) -> None:
    """Answer every contact at the front door from the agency files alone, as a reference MASH: the partners'
    records found for the child and household (linked by a reference linker), a rating and decision by a stated
    rule, decided within one working day, and the shares the run's sharing policy allows. Writes the responses
    `synthgen evaluate mash` scores; never reads the truth.

    \b
    Example: synthgen mash output/demo -o responses.parquet --method fellegi-sunter
    """
    with user_errors(), working(f"answering the contacts ({method})"):
        responses = synthgen.mash(run, method, out=out, overwrite=overwrite)
    decided = responses.group_by("contact_id", use_threads=False).aggregate([("decision", "first")])
    counts = {row["values"]: row["counts"] for row in pc.value_counts(decided["decision_first"]).to_pylist()}
    kinds = ", ".join(f"{name} {counts[name]:,}" for name in DECISIONS if name in counts)
    found = responses.num_rows - responses["record_id"].null_count
    click.echo(
        f"Wrote {out}: {decided.num_rows:,} contacts answered, {found:,} records found ({method}); decisions: {kinds}"
    )


@cli.command()
@run_argument
@method_option
@out_option("Predictions file (.parquet or .csv); with --incremental, a folder of one file per batch day.")
@click.option(
    "--incremental",
    is_flag=True,
    help="RUN is a feed folder (synthgen feed): link its batches day by day, carrying cluster ids forward.",
)
@overwrite_option("Replace the predictions file (or folder) if it exists.")
def link(run: Path, method: str, out: Path, incremental: bool, overwrite: bool) -> None:
    """Link a run's linkage view with a reference linker and write cluster predictions (record_id, cluster_id).
    With --incremental, RUN is a feed folder instead: its linkage batches are linked day by day, each new cluster
    keeping the smallest (oldest) id of its records, and OUT gets one YYYY-MM-DD.parquet per batch day.

    \b
    Example: synthgen link output/demo --method fellegi-sunter -o output/demo-fs.parquet
    """
    if incremental:
        started = time.perf_counter()
        with user_errors(), working(f"linking the batches ({method})"):
            written = synthgen.link_incremental(run, out, method, overwrite=overwrite)
        seconds = time.perf_counter() - started
        click.echo(f"Wrote {out}: {len(written['days']):,} days of clusters ({method}) in {seconds:.1f} s")
        return
    with user_errors(), working(f"linking ({method})"):
        clusters = synthgen.link(run, method, out=out, overwrite=overwrite)
    clusters_count = pc.count_distinct(clusters["cluster_id"], mode="all").as_py()
    click.echo(f"Wrote {out}: {clusters.num_rows:,} records in {clusters_count:,} clusters ({method})")


@cli.command()
@run_argument
@out_option("Feed folder to write.")
@click.option(
    "--cadence", type=click.Choice(list(CADENCES)), default="daily", show_default=True, help="How often batches go."
)
@click.option(
    "--format",
    "format_",
    type=click.Choice(list(FEED_FORMATS)),
    default="parquet",
    show_default=True,
    help="File type.",
)
@click.option(
    "--snapshot-on",
    metavar="DATE",
    help="Write every agency's files (and the truth) as they stood at the end of this day (YYYY-MM-DD) instead.",
)
@click.option(
    "--dfe-api-mode",
    type=click.Choice(list(DFE_API_MODES)),
    help="With --format dfe-api: each batch day's changed children (deltas, the default) or every child (snapshot).",
)
@overwrite_option("Replace the feed folder if it exists.")
def feed(
    run: Path,
    out: Path,
    cadence: str,
    format_: str,
    snapshot_on: str | None,
    dfe_api_mode: str | None,
    overwrite: bool,
) -> None:
    """Write what each agency knew on each day: per agency and batch day, the inserts, updates and deletes its
    system would export, the linkage view's batches, and the feed's truth (every change and merge) apart. With
    --format dfe-api, the social-care feed as the DfE children's social care API's JSON payloads, one file a day
    (--dfe-api-mode deltas: each day's changed children; snapshot: every child).

    \b
    Example: synthgen feed output/demo -o output/demo-feed --cadence weekly
    """
    with user_errors():
        manifest = synthgen.feed(
            run,
            out,
            cadence=cadence,
            format=format_,
            snapshot_on=snapshot_on,
            dfe_api_mode=dfe_api_mode,
            overwrite=overwrite,
        )
    if manifest.get("format") == "dfe-api":
        files = manifest["files"]
        size = sum(f["bytes"] for f in files)
        click.echo(
            f"Wrote {out}: {len(files):,} DfE API payload files ({manifest['dfe_api_mode']}), "
            f"{manifest['payloads']:,} child payloads, {sum(f['purged'] for f in files):,} purged, {size:,} bytes"
        )
        return
    if manifest["kind"] == "snapshot":
        click.echo(f"Wrote {out}: every table as it stood on {manifest['snapshot_on']}")
        return
    click.echo(f"Wrote {out}: {len(manifest['batches']):,} {cadence} batches")
    for table in manifest["tables"]:
        click.echo(
            f"  {table['path']:<46} {table['insert']:>9,} inserts {table['update']:>8,} updates "
            f"{table['delete']:>6,} deletes"
        )
