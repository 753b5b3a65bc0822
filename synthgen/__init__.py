"""synthgen: synthetic multi-agency safeguarding data for England, with the truth known.

The public API mirrors the command line, one function per command: ``load_scenario`` reads and validates a
scenario file, ``generate`` writes a run, ``describe`` (and ``pair_differences``) set its figures beside
England's, ``link`` runs a reference linker (``METHODS``) and ``evaluate_linkage`` scores a linker's output;
``link_incremental`` links a feed day by day and ``evaluate_linkage_series`` scores such a series over time;
``screen`` runs the reference screening method and ``evaluate_sharing`` scores a screening system's flags and
disclosures; ``mash`` answers every contact at the front door as the reference MASH does and ``evaluate_mash``
scores a MASH system's partner checks, decisions and shares contact by contact; ``feed`` writes a run day by
day, as the batches each agency's system would have exported; ``experiment`` runs a grid of seeds × scenarios ×
data-quality settings × systems and summarises the scores across seeds; ``export_ssda903`` and
``export_cin_census`` write the DfE returns, ``export_annex_a`` Ofsted's Annex A lists, and ``export_training`` a
training pack; ``synthgen.testing`` holds hypothesis strategies and a pytest plugin for a vendor's own tests.
Evaluations take files or tables and return typed results whose ``as_dict()`` is the JSON the command line writes.
A user error is a ``SynthgenError`` (``ArgumentError`` when one argument is wrong). Everything else may move between
releases.

Each name is imported from its module when first used, not with the package, so that the command line starts at
once and a Ctrl-C in its first moment is one line, not a traceback from inside numpy's import.
"""

from __future__ import annotations

__version__ = "0.1.0"

from typing import TYPE_CHECKING

from synthgen.lazy_names import lazy_names

if TYPE_CHECKING:
    from synthgen import tables, testing
    from synthgen.arguments import ArgumentError
    from synthgen.calibration.describe import Figure, describe
    from synthgen.calibration.pairs import pair_differences
    from synthgen.errors import Issue, ScenarioError, SynthgenError
    from synthgen.evaluation.linkage import evaluate_linkage
    from synthgen.evaluation.linkage_scores import LinkageScores
    from synthgen.evaluation.linkage_series import evaluate_linkage_series
    from synthgen.evaluation.linkage_series_scores import SeriesScores
    from synthgen.evaluation.mash import evaluate_mash
    from synthgen.evaluation.mash_scores import MashScores
    from synthgen.evaluation.sharing import evaluate_sharing
    from synthgen.evaluation.sharing_scores import SharingScores
    from synthgen.experiments import Experiment, ExperimentResult, experiment, load_experiment
    from synthgen.feeds import feed
    from synthgen.feeds.dfe_api import dfe_api_payload_schema
    from synthgen.linkage import METHODS, link
    from synthgen.linkage.incremental_folder import link_incremental
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

_HOMES = {
    "synthgen.arguments": ("ArgumentError",),
    "synthgen.calibration.describe": ("Figure", "describe"),
    "synthgen.calibration.pairs": ("pair_differences",),
    "synthgen.errors": ("Issue", "ScenarioError", "SynthgenError"),
    "synthgen.evaluation.linkage": ("evaluate_linkage",),
    "synthgen.evaluation.linkage_scores": ("LinkageScores",),
    "synthgen.evaluation.linkage_series": ("evaluate_linkage_series",),
    "synthgen.evaluation.linkage_series_scores": ("SeriesScores",),
    "synthgen.evaluation.mash": ("evaluate_mash",),
    "synthgen.evaluation.mash_scores": ("MashScores",),
    "synthgen.evaluation.sharing": ("evaluate_sharing",),
    "synthgen.evaluation.sharing_scores": ("SharingScores",),
    "synthgen.experiments": ("Experiment", "ExperimentResult", "experiment", "load_experiment"),
    "synthgen.feeds": ("feed",),
    "synthgen.feeds.dfe_api": ("dfe_api_payload_schema",),
    "synthgen.linkage": ("METHODS", "link"),
    "synthgen.linkage.incremental_folder": ("link_incremental",),
    "synthgen.outputs.returns.annex_a": ("AnnexA",),
    "synthgen.outputs.returns.exports": ("CinCensus", "export_annex_a", "export_cin_census", "export_ssda903"),
    "synthgen.outputs.training.pack": ("TrainingPack", "export_training"),
    "synthgen.pipeline": ("generate",),
    "synthgen.reference_mash": ("mash",),
    "synthgen.run_folder": ("Run", "open_run"),
    "synthgen.scenario.loader": ("load_scenario",),
    "synthgen.scenario.plan": ("Plan", "make_plan"),
    "synthgen.scenario.schema": ("Scenario",),
    "synthgen.screening": ("Screened", "screen"),
}
__getattr__, __dir__ = lazy_names("synthgen", _HOMES, globals(), modules=("tables", "testing"))

__all__ = [
    "METHODS",
    "AnnexA",
    "ArgumentError",
    "CinCensus",
    "Experiment",
    "ExperimentResult",
    "Figure",
    "Issue",
    "LinkageScores",
    "MashScores",
    "Plan",
    "Run",
    "Scenario",
    "ScenarioError",
    "Screened",
    "SeriesScores",
    "SharingScores",
    "SynthgenError",
    "TrainingPack",
    "__version__",
    "describe",
    "dfe_api_payload_schema",
    "evaluate_linkage",
    "evaluate_linkage_series",
    "evaluate_mash",
    "evaluate_sharing",
    "experiment",
    "export_annex_a",
    "export_cin_census",
    "export_ssda903",
    "export_training",
    "feed",
    "generate",
    "link",
    "link_incremental",
    "load_experiment",
    "load_scenario",
    "make_plan",
    "mash",
    "open_run",
    "pair_differences",
    "screen",
    "tables",
    "testing",
]
