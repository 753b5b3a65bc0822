"""Realism, measured: every figure with a reference, computed from a run and set beside it.

Each figure's England reference, unit, tolerance and source live in reference/data/figures.csv; the figure
modules compute the generated values and this one sets them beside their references: the run's authority's own
figure where there is one (local_figures.py), with England's beside it. A figure passes when it lies within its
tolerance (absolute, in its unit) of the reference; tolerances are set for runs of demo size (about 20,000 people)
and up.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from synthgen.calibration.front_door_figures import front_door_figures
from synthgen.calibration.local_figures import references
from synthgen.calibration.measure import Measured, People, read_people
from synthgen.calibration.world_figures import (
    health_event_figures,
    health_figures,
    people_figures,
    police_figures,
    school_event_figures,
    school_figures,
    social_care_figures,
)
from synthgen.run_folder import Run, open_run


@dataclass(frozen=True)
class Figure:
    name: str
    generated: float
    reference: float
    source: str
    tolerance: float
    unit: str
    england: float | None = None
    """England's figure where the reference is something else (the authority's own, or the scenario's rate)."""

    @property
    def passed(self) -> bool:
        return abs(self.generated - self.reference) <= self.tolerance

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "generated": round(self.generated, 4),
            "reference": self.reference,
            "source": self.source,
            "tolerance": self.tolerance,
            "pass": self.passed,
            "england": None if self.england is None else round(self.england, 4),
        }


@cache
def _references() -> dict[str, dict[str, str]]:
    text = resources.files("synthgen.reference").joinpath("data", "figures.csv").read_text(encoding="utf-8")
    return {row["name"]: row for row in csv.DictReader(text.splitlines())}


FIGURES: tuple[Callable[[Run, People], Measured], ...] = (
    people_figures,
    health_figures,
    school_figures,
    social_care_figures,
    police_figures,
    health_event_figures,
    school_event_figures,
    front_door_figures,
)


def _tolerance(reference: float, written: str, basis: float | None) -> float:
    """The stated tolerance ('10%' relative, or absolute in the figure's unit), widened to three standard errors
    where the run holds too few events or trials to measure the figure that closely."""
    if written.endswith("%"):
        tolerance = reference * float(written[:-1]) / 100
        if basis:
            tolerance = max(tolerance, 3 * reference / math.sqrt(basis))
        return tolerance
    tolerance = float(written)
    if basis:
        share = min(max(reference / 100, 0.0), 1.0)
        tolerance = max(tolerance, 300 * math.sqrt(share * (1 - share) / basis))
    return tolerance


def describe(run: str | Path | Run) -> list[Figure]:
    """Every figure the run can measure, beside its reference (the authority's own figure where there is one,
    England's beside it), then the data-quality rates beside the scenario's (as `synthgen describe RUN`). A figure
    over something the run has none of (children in a run of a few people) is left out."""
    run = open_run(run)
    rows = _references()
    scenario = run.manifest["scenario"]
    overrides: dict[str, float] = scenario.get("rates", {}) or {}
    england = {name: (float(row["reference"]), row["source"]) for name, row in rows.items()}
    quality = scenario.get("data_quality", {}) or {}
    held_to = references(
        england,
        int(scenario["area"]["la_number"]),
        dt.date.fromisoformat(str(scenario["period"]["end"])),
        overrides,
        str(quality.get("profile", "realistic")),
        quality.get("rates") or None,
        _duplicate_weights(run),
    )
    result = []
    people = read_people(run)
    for compute in FIGURES:
        for name, measured in compute(run, people).items():
            value, basis = measured if isinstance(measured, tuple) else (measured, None)
            if math.isnan(value):  # nothing to measure it over in this run (a handful of people)
                continue
            ref = held_to[name]
            tolerance = round(_tolerance(ref.value, rows[name]["tolerance"], basis), 3)
            result.append(Figure(name, float(value), ref.value, ref.source, tolerance, rows[name]["unit"], ref.england))
    return result + quality_figures(run)


def _duplicate_weights(run: Run) -> dict[str, float]:
    """By agency, how much its records' groups raise its duplicate rate on average (quality_groups.csv): the
    duplicates truth/quality expects over those the flat rate would (1.0 without group-dependent mechanisms)."""
    if not run.has("truth/quality"):
        return {}
    table = run.read("truth/quality")
    if "expected" not in table.column_names:  # a run written before group-dependent rates
        return {}
    table = _in_millionths(
        table.filter(pc.and_(pc.equal(table["field"], "record"), pc.equal(table["kind"], "duplicate")))
    )
    summary = table.group_by(["source", "rate"]).aggregate([("eligible", "sum"), ("expected", "sum")])
    weights: dict[str, tuple[float, float]] = {}
    for row in summary.to_pylist():
        if row["rate"] > 0 and row["eligible_sum"] > 0:
            total, base = weights.get(row["source"], (0.0, 0.0))
            weights[row["source"]] = (total + row["expected_sum"] / MILLION, base + row["rate"] * row["eligible_sum"])
    return {source: total / base for source, (total, base) in weights.items()}


MILLION = 1_000_000
"""truth/quality holds each shard's expected changes to six decimals: summed as whole millionths, a run's figures
are the same however its shards or partitions are ordered."""


def _in_millionths(table: pa.Table) -> pa.Table:
    """truth/quality with its `expected` column as whole millionths (int64)."""
    index = table.column_names.index("expected")
    micro = pc.round(pc.multiply(table["expected"], float(MILLION))).cast(pa.int64())
    return table.set_column(index, "expected", micro)


def quality_figures(run: Run) -> list[Figure]:
    """Each error kind's share of the records eligible for it, beside the share its rates lead one to expect.

    Without group-dependent mechanisms that is the configured rate; with them, the rate weighted by the eligible
    records' groups (each record's chance, averaged), so the comparison stays like with like. The tolerance is
    four binomial standard errors plus 0.2 points. (OCR changes only values holding a confusable sequence, so
    its share can fall a little under the rate.)
    """
    if not run.has("truth/quality"):
        return []
    profile = run.manifest["scenario"]["data_quality"]["profile"]
    table = run.read("truth/quality")
    if "expected" not in table.column_names:  # a run written before group-dependent rates
        table = table.append_column("expected", pc.multiply(table["rate"], table["eligible"].cast(pa.float64())))
    summary = (
        _in_millionths(table)
        .group_by(["source", "field", "kind", "rate"])
        .aggregate([("eligible", "sum"), ("changed", "sum"), ("expected", "sum")])
    )
    figures = []
    for row in sorted(summary.to_pylist(), key=lambda r: (r["source"], r["field"], r["kind"])):
        rate, eligible, changed = row["rate"], row["eligible_sum"], row["changed_sum"]
        if rate <= 0 or eligible == 0:
            continue
        expected = min(row["expected_sum"] / MILLION / eligible, 1.0)
        weighted = abs(expected - rate) > 1e-9
        tolerance = 100 * (4 * math.sqrt(expected * (1 - expected) / eligible) + 0.002)
        source = f"scenario data_quality (profile {profile}); % of {eligible:,} eligible records"
        if weighted:
            source += f"; rate {100 * rate:g}% weighted by the records' groups (quality_groups.csv)"
        figures.append(
            Figure(
                f"quality.{row['source']}.{row['field']}.{row['kind']}",
                100 * changed / eligible,
                100 * expected,
                source,
                round(tolerance, 3),
                "% of eligible records",
            )
        )
    return figures
