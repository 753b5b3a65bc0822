"""A screening system's scores by group: which children at risk it misses, whom it flags needlessly, and how long
it takes, by ethnic group, age band, sex, deprivation quintile and the agency pair that made the case visible.

- **recall**: of the group's children at risk, the share flagged.
- **precision**: of the group's people flagged, the share at risk.
- **within_30_days**: of the group's children at risk whose case became visible across agencies, the share
  flagged within 30 days of it (the time to flag as a proportion, so that it has an interval; the median days
  are given beside it as `median_days_to_flag`, with no interval).

The agency pair of a child is the two agencies whose first signals made the case visible (the earliest two of
the agencies' first signals, `police-school` say), or `one agency` for a child whose signals all came from one.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from synthgen import person_groups
from synthgen.evaluation.flags_and_disclosures import Flags
from synthgen.evaluation.groups import GroupScore, People, by_person_groups, encode, proportions
from synthgen.evaluation.sharing_truth import Truth, day_of

Ids = NDArray[np.int64]
ONE_AGENCY = "one agency"
WITHIN_DAYS = 30


def visibility_pairs(truth: Truth, people: Ids) -> NDArray[np.object_]:
    """For each person, the two agencies (sorted, joined by '-') whose first signals made their case visible, or
    ONE_AGENCY."""
    firsts = (
        truth.signals.group_by(["person_id", "agency"], use_threads=False)
        .aggregate([("date_known", "min")])
        .sort_by([("person_id", "ascending"), ("date_known_min", "ascending"), ("agency", "ascending")])
    )
    person = firsts["person_id"].to_numpy()
    agency = firsts["agency"].to_numpy(zero_copy_only=False).astype(str)
    start = np.flatnonzero(np.r_[True, person[1:] != person[:-1]]) if len(person) else np.zeros(0, np.int64)
    has_two = np.r_[start[1:], len(person)] - start >= 2
    first, second = agency[start[has_two]], agency[start[has_two] + 1]
    low, high = np.where(first <= second, first, second), np.where(first <= second, second, first)
    names = np.char.add(np.char.add(low, "-"), high)
    ids = person[start[has_two]]
    result = np.full(len(people), ONE_AGENCY, dtype=object)
    at = np.searchsorted(ids, people)
    inside = at < len(ids)
    hit = np.zeros(len(people), bool)
    hit[inside] = ids[at[inside]] == people[inside]
    result[hit] = names[at[hit]]
    return result


def _median_days(rows: list[GroupScore], codes: dict[str, NDArray[np.int8]], delay: NDArray[np.float64]) -> None:
    """Rows of median days to flag (no interval), one per group, appended in place."""
    for dimension, code in codes.items():
        labels = person_groups.LABELS.get(dimension)
        assert labels is not None
        for g, label in enumerate(labels):
            mine = delay[(code == g) & ~np.isnan(delay)]
            median = float(np.median(mine)) if len(mine) else None
            rows.append(
                GroupScore(dimension, label, "median_days_to_flag", len(mine), int((code == g).sum()), median,
                           None, None, None, None, None, None)
            )  # fmt: skip


def sharing_groups(people: People, flags: Flags, truth: Truth) -> list[GroupScore]:
    """Recall, precision and flags within 30 days of visibility, by every person dimension and agency pair."""
    at_risk, flagged = truth.at_risk_ids, flags.person
    hit = np.isin(at_risk, flagged).astype(np.int64)
    rows = by_person_groups("recall", people, at_risk, hit)
    right = np.isin(flagged, at_risk).astype(np.int64)
    rows += by_person_groups("precision", people, flagged, right)
    visible = np.intersect1d(at_risk, truth.visible_ids)
    flag_day = day_of(flagged, flags.first_flag, visible)
    seen = day_of(truth.visible_ids, truth.visible_on, visible)
    delay = np.where(np.isnat(flag_day), np.nan, np.maximum((flag_day - seen).astype(np.float64), 0.0))
    soon = (~np.isnan(delay) & (delay <= WITHIN_DAYS)).astype(np.int64)
    rows += by_person_groups("within_30_days", people, visible, soon)
    _median_days(rows, people.of(visible), delay)
    measured = (("recall", at_risk, hit), ("precision", flagged, right), ("within_30_days", visible, soon))
    for metric, units, hits in measured:
        labels, code = encode(pa.array(visibility_pairs(truth, units), pa.string()))
        rows += proportions(metric, "agency_pair", labels, code, hits)
    return rows
