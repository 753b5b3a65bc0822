"""Realism, measured: every figure with an England reference, computed from a run and set beside it.

Each figure's reference, unit, tolerance and source live in reference/data/figures.csv; this module only
computes the generated values. A figure passes when it lies within its tolerance (absolute, in its unit) of
the reference; tolerances are set for runs of demo size (about 20,000 people) and up.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthgen import linkage
from synthgen.runs import Run


@dataclass(frozen=True)
class Figure:
    name: str
    generated: float
    reference: float
    source: str
    tolerance: float
    unit: str

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
        }


@cache
def _references() -> dict[str, dict[str, str]]:
    text = resources.files("synthgen.reference").joinpath("data", "figures.csv").read_text(encoding="utf-8")
    return {row["name"]: row for row in csv.DictReader(text.splitlines())}


def _share(mask: np.ndarray) -> float:
    return float(np.mean(mask) * 100) if len(mask) else float("nan")


def _people_figures(run: Run) -> dict[str, float]:
    people = run.read("truth/people", ["age_at_start", "sex", "ethnic_group", "twin", "resident"])
    residents = people.filter(pc.field("resident"))
    age = residents["age_at_start"].to_numpy()
    group = residents["ethnic_group"].to_numpy(zero_copy_only=False)
    bands = {"0_4": (0, 4), "5_9": (5, 9), "10_14": (10, 14), "15_19": (15, 19), "20_39": (20, 39)}
    bands |= {"40_64": (40, 64), "65_plus": (65, 200), "0_17": (0, 17)}
    figures = {f"people.aged_{name}": _share((age >= lo) & (age <= hi)) for name, (lo, hi) in bands.items()}
    figures["people.female"] = _share(residents["sex"].to_numpy(zero_copy_only=False) == "F")
    for name in ("White", "Mixed", "Asian", "Black", "Other"):
        figures[f"people.ethnic_group_{name.lower()}"] = _share(group == name)
    figures["people.children_born_twins"] = _share(residents["twin"].to_numpy(zero_copy_only=False)[age < 18])
    households = run.read("truth/households", ["household_type", "size", "in_area"]).filter(pc.field("in_area"))
    kind = households["household_type"].to_numpy(zero_copy_only=False)
    figures["households.one_person"] = _share(np.char.startswith(kind.astype(str), "one_person"))
    figures["households.lone_parent_dependent_children"] = _share(kind == "lone_parent_dependent_children")
    figures["households.mean_size"] = float(np.mean(households["size"].to_numpy()))
    return figures


def _health_figures(run: Run) -> dict[str, float]:
    if not run.has("agencies/health/gp_registrations"):
        return {}
    registrations = run.read("agencies/health/gp_registrations", ["record_id"]).num_rows
    residents = int(pc.sum(run.read("truth/people", ["resident"])["resident"].cast(pa.int64())).as_py())
    return {"health.gp_list_inflation": (registrations / residents - 1) * 100}


def _school_figures(run: Run) -> dict[str, float]:
    if not run.has("agencies/school/pupils"):
        return {}
    pupils = run.read("agencies/school/pupils", ["fsm_eligible", "sen_provision"])
    sen = pupils["sen_provision"].to_numpy(zero_copy_only=False)
    return {
        "school.fsm_eligible": _share(pupils["fsm_eligible"].to_numpy(zero_copy_only=False)),
        "school.ehc_plan": _share(sen == "E"),
        "school.sen_support": _share(sen == "K"),
    }


FIGURES: tuple[Callable[[Run], dict[str, float]], ...] = (_people_figures, _health_figures, _school_figures)


def describe(run: Run) -> list[Figure]:
    """Every figure the run can measure, beside its England reference, then the data-quality rates beside the
    scenario's."""
    references = _references()
    result = []
    for compute in FIGURES:
        for name, value in compute(run).items():
            ref = references[name]
            result.append(
                Figure(name, value, float(ref["reference"]), ref["source"], float(ref["tolerance"]), ref["unit"])
            )
    return result + quality_figures(run)


def quality_figures(run: Run) -> list[Figure]:
    """Each error kind's share of the records eligible for it, beside the configured rate.

    The tolerance is four binomial standard errors plus 0.2 points; OCR is measured against the records that
    hold a confusable sequence only, so it is reported but not held to the rate.
    """
    if not run.has("truth/quality"):
        return []
    profile = run.manifest["scenario"]["data_quality"]["profile"]
    summary = (
        run.read("truth/quality")
        .group_by(["source", "field", "kind", "rate"])
        .aggregate([("eligible", "sum"), ("changed", "sum")])
    )
    figures = []
    for row in sorted(summary.to_pylist(), key=lambda r: (r["source"], r["field"], r["kind"])):
        rate, eligible, changed = row["rate"], row["eligible_sum"], row["changed_sum"]
        if rate <= 0 or eligible == 0:
            continue
        tolerance = 100 * (4 * math.sqrt(rate * (1 - rate) / eligible) + 0.002)
        if row["kind"] == "ocr":
            tolerance = 100 * rate
        figures.append(
            Figure(
                f"quality.{row['source']}.{row['field']}.{row['kind']}",
                100 * changed / eligible,
                100 * rate,
                f"scenario data_quality (profile {profile}); % of {eligible:,} eligible records",
                round(tolerance, 3),
                "% of eligible records",
            )
        )
    return figures


COMPARED = ("given_name", "family_name", "date_of_birth", "sex", "postcode", "nhs_number", "upn")


def pair_differences(run: Run) -> list[dict[str, object]]:
    """For true pairs (two records of one person), by pair of sources: how often each field differs, and how
    many an exact key on name and date of birth, or on NHS number alone, would find."""
    if not run.has("linkage/records"):
        return []
    records = run.read("truth/records", ["record_id", "person_id"])
    pairs = linkage.true_pairs(records.append_column("source", pa.nulls(records.num_rows, pa.string())))
    view = run.read("linkage/records", ["record_id", "source", *COMPARED])
    index_l = pc.index_in(pairs["unique_id_l"], value_set=view["record_id"])
    index_r = pc.index_in(pairs["unique_id_r"], value_set=view["record_id"])
    left, right = view.take(index_l), view.take(index_r)
    source_l = left["source"].to_numpy(zero_copy_only=False).astype(str)
    source_r = right["source"].to_numpy(zero_copy_only=False).astype(str)
    pair_name = np.where(
        source_l <= source_r,
        np.char.add(np.char.add(source_l, "-"), source_r),
        np.char.add(np.char.add(source_r, "-"), source_l),
    )
    same = {c: pc.fill_null(pc.equal(left[c], right[c]), False).to_numpy(zero_copy_only=False) for c in COMPARED}
    rows = []
    for name in sorted(set(pair_name.tolist())):
        chosen = pair_name == name
        row: dict[str, object] = {"sources": name, "pairs": int(chosen.sum())}
        for column in COMPARED:
            both = (
                left[column].is_valid().to_numpy(zero_copy_only=False)
                & right[column].is_valid().to_numpy(zero_copy_only=False)
                & chosen
            )
            row[f"{column}_differs"] = float(np.mean(~same[column][both])) if both.any() else None
        exact = same["given_name"] & same["family_name"] & same["date_of_birth"]
        row["found_by_name_and_dob"] = float(np.mean(exact[chosen]))
        row["found_by_nhs_number"] = float(np.mean(same["nhs_number"][chosen]))
        rows.append(row)
    return rows
