"""Realism, measured: every figure with an England reference, computed from a run and set beside it.

Each figure's reference, unit, tolerance and source live in reference/data/figures.csv; this module only
computes the generated values. A figure passes when it lies within its tolerance (absolute, in its unit) of
the reference; tolerances are set for runs of demo size (about 20,000 people) and up.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

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
    """Every figure the run can measure, beside its England reference."""
    references = _references()
    result = []
    for compute in FIGURES:
        for name, value in compute(run).items():
            ref = references[name]
            result.append(
                Figure(name, value, float(ref["reference"]), ref["source"], float(ref["tolerance"]), ref["unit"])
            )
    return result
