"""synthgen: synthetic multi-agency safeguarding data for England, with the truth known.

The public API mirrors the command line: ``load_scenario`` reads and validates a scenario file, ``generate``
writes a run. Everything else may move between releases.
"""

from __future__ import annotations

__version__ = "0.1.0"

from synthgen.errors import Issue, ScenarioError, SynthgenError
from synthgen.run import generate
from synthgen.scenario.loader import load_scenario
from synthgen.scenario.plan import Plan, make_plan
from synthgen.scenario.schema import Scenario

__all__ = [
    "Issue",
    "Plan",
    "Scenario",
    "ScenarioError",
    "SynthgenError",
    "__version__",
    "generate",
    "load_scenario",
    "make_plan",
]
