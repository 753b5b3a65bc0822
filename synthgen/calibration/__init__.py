"""Realism, measured: every figure with an England reference, computed from a run and set beside it.

Each figure's reference, unit, tolerance and source live in reference/data/figures.csv; the modules here only
compute the generated values (measure.py: the helpers; world_figures.py, front_door_figures.py: the figures;
describe.py: beside their references; pairs.py: how true pairs differ).
"""

from __future__ import annotations

from synthgen.calibration.describe import FIGURES, Figure, describe, quality_figures
from synthgen.calibration.local_figures import TARGETS
from synthgen.calibration.pairs import COMPARED, pair_differences

__all__ = ["COMPARED", "FIGURES", "TARGETS", "Figure", "describe", "pair_differences", "quality_figures"]
