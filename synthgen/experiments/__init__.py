"""Experiments over many seeds: a grid of seeds × scenarios × data-quality settings × systems, each cell a run
generated, a system run on it and scored, gathered into one tidy table with a summary across seeds."""

from synthgen.experiments.config import Experiment, load_experiment
from synthgen.experiments.runner import ExperimentResult, experiment

__all__ = ["Experiment", "ExperimentResult", "experiment", "load_experiment"]
