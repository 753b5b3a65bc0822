"""synthgen: synthetic multi-agency safeguarding data for England, with the truth known.

The public API mirrors the command line, one function per command: ``load_scenario`` reads and validates a
scenario file, ``generate`` writes a run, ``describe`` (and ``pair_differences``) set its figures beside
England's, ``link`` runs a reference linker (``METHODS``) and ``evaluate_linkage`` scores a linker's output;
``screen`` runs the reference screening method and ``evaluate_sharing`` scores a screening system's flags and
disclosures; ``mash`` answers every contact at the front door as the reference MASH does and ``evaluate_mash``
scores a MASH system's partner checks, decisions and shares contact by contact; ``export_ssda903`` and
``export_cin_census`` write the DfE returns, ``export_annex_a`` Ofsted's Annex A lists, and ``export_training`` a
training pack. Evaluations take files or tables and return typed results whose ``as_dict()`` is the JSON the
command line writes. A user error is a ``SynthgenError`` (``ArgumentError`` when one argument is wrong).
Everything else may move between releases.
"""

from __future__ import annotations

__version__ = "0.1.0"

from synthgen import tables  # the table registry; `synthgen tables` prints its data dictionary
from synthgen.arguments import ArgumentError
from synthgen.calibration import Figure, describe, pair_differences
from synthgen.errors import Issue, ScenarioError, SynthgenError
from synthgen.evaluation.linkage import evaluate_linkage
from synthgen.evaluation.linkage_scores import LinkageScores
from synthgen.evaluation.mash import evaluate_mash
from synthgen.evaluation.mash_scores import MashScores
from synthgen.evaluation.sharing import evaluate_sharing
from synthgen.evaluation.sharing_scores import SharingScores
from synthgen.linkage import METHODS, link
from synthgen.outputs.returns.annex_a import AnnexA
from synthgen.outputs.returns.exports import CinCensus, export_annex_a, export_cin_census, export_ssda903
from synthgen.outputs.training.pack import TrainingPack, export_training
from synthgen.pipeline import generate
from synthgen.reference_mash import mash
from synthgen.run_folder import Run, open_run
from synthgen.scenario.loader import load_scenario
from synthgen.scenario.plan import Plan, make_plan
from synthgen.scenario.schema import Scenario
from synthgen.screening import Screened, screen

__all__ = [
    "METHODS",
    "AnnexA",
    "ArgumentError",
    "CinCensus",
    "Figure",
    "Issue",
    "LinkageScores",
    "MashScores",
    "Plan",
    "Run",
    "Scenario",
    "ScenarioError",
    "Screened",
    "SharingScores",
    "SynthgenError",
    "TrainingPack",
    "__version__",
    "describe",
    "evaluate_linkage",
    "evaluate_mash",
    "evaluate_sharing",
    "export_annex_a",
    "export_cin_census",
    "export_ssda903",
    "export_training",
    "generate",
    "link",
    "load_scenario",
    "make_plan",
    "mash",
    "open_run",
    "pair_differences",
    "screen",
    "tables",
]
