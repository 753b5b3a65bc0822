"""synthgen: synthetic multi-agency safeguarding data for England, with the truth known.

The public API mirrors the command line: ``load_scenario`` reads and validates a scenario file, ``generate``
writes a run, ``describe`` sets its figures beside England's, ``link`` runs a reference linker and
``evaluate_linkage`` scores a linker's output; ``screen`` runs the reference screening method and
``evaluate_sharing`` scores a screening system's flags and disclosures. Everything else may move between releases.
"""

from __future__ import annotations

__version__ = "0.1.0"

from pathlib import Path

from synthgen.calibration import Figure
from synthgen.calibration import describe as _describe
from synthgen.errors import Issue, ScenarioError, SynthgenError
from synthgen.evaluation.linkage import evaluate_linkage
from synthgen.evaluation.sharing import evaluate_sharing
from synthgen.linkage import link
from synthgen.pipeline import generate
from synthgen.run_folder import Run, open_run
from synthgen.scenario.loader import load_scenario
from synthgen.scenario.plan import Plan, make_plan
from synthgen.scenario.schema import Scenario
from synthgen.screening import Screened, screen


def describe(run: str | Path) -> list[Figure]:
    """Every figure of a run beside its reference (as `synthgen describe RUN`)."""
    return _describe(open_run(run))


__all__ = [
    "Figure",
    "Issue",
    "Plan",
    "Run",
    "Scenario",
    "ScenarioError",
    "Screened",
    "SynthgenError",
    "__version__",
    "describe",
    "evaluate_linkage",
    "evaluate_sharing",
    "generate",
    "link",
    "load_scenario",
    "make_plan",
    "open_run",
    "screen",
]
