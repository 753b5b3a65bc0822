"""The typed result of a linkage evaluation. `LinkageScores.as_dict()` is the JSON `synthgen evaluate linkage
--json` writes, key for key and in the same order, so the fields here are declared in that order."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from synthgen.evaluation.groups import GroupScore
from synthgen.evaluation.provenance import Provenance


@dataclass(frozen=True)
class PrecisionRecall:
    precision: float
    recall: float
    f1: float


@dataclass(frozen=True)
class Counts:
    records: int
    true_clusters: int
    predicted_clusters: int
    true_pairs: int
    predicted_pairs: int
    true_positive_pairs: int


@dataclass(frozen=True)
class ErrorKindRecall:
    """Recall over the true pairs where either record carries one kind of error in one field ('none', '': no
    error on either)."""

    kind: str
    field: str
    true_pairs: int
    found: int
    recall: float


@dataclass(frozen=True)
class SourcePairRecall:
    """Recall over the true pairs between two sources (`health-school`, ...)."""

    sources: str
    true_pairs: int
    found: int
    recall: float


@dataclass(frozen=True)
class HardNegativeMerges:
    """Pairs of different people built to look alike (twins, siblings, namesakes), and how many were merged."""

    kind: str
    pairs: int
    merged: int
    share: float


@dataclass(frozen=True)
class Curve:
    """Scored pairs only: precision, recall and F1 over thresholds, and the best threshold over every score."""

    thresholds: list[float]
    precision: list[float]
    recall: list[float]
    f1: list[float]
    best_threshold: float | None  # None when linking nothing is best
    best_f1: float


@dataclass(frozen=True)
class LinkageScores:
    """Every score of one linkage system's output against a run's truth."""

    run: str
    predictions: str | None  # the file read (None for a table given in memory)
    format: str  # "clusters" or "pairs"
    threshold: float | None  # scored pairs: linked at or above this
    records: int
    records_in_predictions: int
    absent_singletons: int
    pairwise: PrecisionRecall
    bcubed: PrecisionRecall
    cluster: PrecisionRecall
    homogeneity: float
    completeness: float
    v_measure: float
    adjusted_rand_index: float
    counts: Counts
    splits: dict[str, int]  # k -> people split over k predicted clusters (k >= 2)
    merges: dict[str, int]  # k -> predicted clusters merging k people (k >= 2)
    cluster_sizes: dict[str, dict[str, int]]  # "true" and "predicted": size -> clusters
    recall_by_error_kind: list[ErrorKindRecall]
    recall_by_source_pair: list[SourcePairRecall]
    false_merges_by_hard_negative: list[HardNegativeMerges]
    curve: Curve | None
    self_pairs_ignored: int | None  # scored pairs only (absent from the JSON for clusters)
    examples: dict[str, Any]  # the worst splits and merges, records side by side
    by_group: list[GroupScore]  # recall, precision and records falsely matched by group (evaluation/groups.py)
    provenance: Provenance  # what was scored: versions, the run's scenario hash and seed, the file's sha256

    def as_dict(self) -> dict[str, Any]:
        """The JSON form, with stable keys (what `--json` writes and the HTML report reads)."""
        result = dataclasses.asdict(self)
        if self.self_pairs_ignored is None:
            del result["self_pairs_ignored"]
        return result
