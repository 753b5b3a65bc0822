"""The typed result of scoring a series of cluster files over time. `SeriesScores.as_dict()` is the JSON `synthgen
evaluate linkage RUN SERIES --json` writes, key for key and in the same order."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from synthgen.evaluation.linkage_scores import LinkageScores, PrecisionRecall
from synthgen.evaluation.provenance import Provenance


@dataclass(frozen=True)
class DayScore:
    """One day's clusters scored against the records held at the end of that day."""

    date: str
    records: int  # records held that day
    records_in_predictions: int  # of those, named in the day's file (the rest are scored as singletons)
    absent_singletons: int
    from_the_future: int  # named in the file, but not yet made that day (left out of the scores)
    no_longer_held: int  # named in the file, but deleted by that day (left out of the scores)
    pairwise: PrecisionRecall
    bcubed: PrecisionRecall
    true_clusters: int
    predicted_clusters: int
    id_changes: int  # records held and named on this day and the one before whose cluster id differs
    churned: int  # of those, changes with no truth reason (see IdChurn)


@dataclass(frozen=True)
class LinkLatency:
    """Days from the first day of the series on which two of a person's records are held to the first day on which
    the system puts two of that person's records in one cluster, over the people with two records held on some day
    of the series. Shares are of those people; `never` were never linked within the series."""

    people: int
    linked: int
    median_days: float | None
    within_0_days: float
    within_7_days: float
    within_30_days: float
    never: float
    histogram: dict[str, int]  # days -> people linked after that many days


@dataclass(frozen=True)
class IdChurn:
    """Cluster ids that changed between consecutive days of the series. A change is counted for a record held and
    named on both days whose cluster id differs; it has a truth reason (`explained`) when one of that record's
    person's records was made, changed or deleted (a merged duplicate) after the first of the two days and by the
    second, or when its new cluster holds more of its person's records than its old one (a link, late or not,
    which latency measures); the rest are `churned`. `churned_records` counts distinct records that churned at
    least once."""

    compared: int  # (record, day) pairs held and named on a day and the day before
    changes: int
    explained: int
    churned: int
    churned_records: int
    churn_share: float  # churned / compared


@dataclass(frozen=True)
class SeriesScores:
    """A series of cluster files (one per day) scored day by day against the truth as of each day."""

    run: str
    series: str
    format: str  # "series"
    days: int
    first_day: str
    last_day: str
    over_time: list[DayScore]
    latency: LinkLatency
    churn: IdChurn
    last_day_scores: LinkageScores | None  # the last file scored in full, when it is the run's last day
    provenance: Provenance  # input_sha256["series"]: the sha256 of the list of its files' names and sha256s

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (what `--json` writes and the HTML report reads)."""
        result = dataclasses.asdict(dataclasses.replace(self, last_day_scores=None))
        result["last_day_scores"] = self.last_day_scores.as_dict() if self.last_day_scores is not None else None
        return result
