"""Scores by group: the same proportion worked out for each ethnic group, age band, sex, deprivation quintile and
agency pair, with 95% intervals, and the gaps the intervals show.

Every score here is a proportion: hits over trials of some unit (a true pair found, a flagged child at risk, a
partner record found). An evaluation hands over, per unit, its group code in each dimension, whether it is a hit,
how many trials it counts for and, where units are not independent, the cluster it belongs to; `proportions` sums
them per group with `bincount` and sets beside each group the same figure for everyone else in the run (the rest).
A group is flagged as a gap when its interval lies wholly below ("lower") or above ("higher") the rest's, and
only when the group and the rest each come in at least MIN_CLUSTERS independent clusters with a trial (below).

The interval is Wilson's score interval (Wilson 1927), which behaves at 0 and 1 and for small groups, taken over
an effective number of trials where units come in clusters (Korn and Graubard 1998, Survey Methodology 24:193):
the true pairs of one person's records are found or missed together (a person with twenty records has 190 pairs
and one spelling of their name), so counting pairs as independent trials gives intervals several times too
narrow. On the demo the design effect of pair-level recall is 3 to 25 by ethnic group, and pair-level Wilson
intervals flagged "gaps" between ethnic groups even with every group-dependent mechanism switched off. So each
proportion is the ratio of hits to trials summed over clusters, its variance the ratio estimator's
(sum of (h - p t)^2 over clusters, times n / (n - 1), over the trials squared), the effective trials
p (1 - p) / variance (never more than the trials: a design effect below 1 is taken as 1), and the interval
Wilson's at p over those. Units given without clusters are their own clusters; units of one trial each, with no
clusters, get Wilson's interval over the trials as they stand.

Who belongs to which group is synthgen.person_groups, read from the truth (truth/people, truth/households), so the
groups scored are the groups the data-quality mechanisms were planted for.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen import person_groups
from synthgen.evaluation.record_index import find_sorted, sorted_order
from synthgen.reference import Parameters
from synthgen.run_folder import Run

Ids = NDArray[np.int64]


@dataclass(frozen=True)
class GroupScore:
    """One proportion for one group, beside the same proportion for everyone else."""

    dimension: str  # ethnic_group, age_band, sex, deprivation_quintile or agency_pair
    group: str
    metric: str  # e.g. recall, precision, falsely_matched, within_30_days
    hits: int
    trials: int
    value: float | None  # hits / trials; None when the group has no trials
    low: float | None  # Wilson 95% interval
    high: float | None
    rest_value: float | None  # the same over every unit not in the group
    rest_low: float | None
    rest_high: float | None
    gap: str | None  # "lower" or "higher" when the intervals do not overlap, else None
    clusters: int = 0  # independent clusters the trials come in (people, contacts, ...)
    design_effect: float | None = None  # trials over effective trials (1: as if independent)


@dataclass(frozen=True)
class People:
    """Every person of a run (sorted ids) with their group codes in each dimension of synthgen.person_groups, a
    byte each (a handful of groups: four int64 codes of ten million people were 300 MiB, now 40)."""

    person_id: Ids
    codes: dict[str, NDArray[np.int8]]

    def of(self, ids: Ids) -> dict[str, NDArray[np.int8]]:
        """The codes of each id (UNKNOWN for an id that is nobody in the run, or missing: negative), a byte each."""
        at = np.searchsorted(self.person_id, ids)
        inside = at < len(self.person_id)
        found = np.zeros(len(ids), bool)
        found[inside] = self.person_id[at[inside]] == ids[inside]
        result = {}
        for dimension, codes in self.codes.items():
            out = np.full(len(ids), person_groups.UNKNOWN, codes.dtype)
            out[found] = codes[at[found]]
            result[dimension] = out
        return result


def read_people(run: Run) -> People:
    """Each person's ethnic group, age band, sex and deprivation quintile, as the data-quality model saw them."""
    people = run.read(
        "truth/people",
        ["person_id", "household_id", "sex", "age_at_start", "ethnic_group"],
        dictionary=["ethnic_group"],
    )
    homes = run.read("truth/households", ["household_id", "deprivation"])
    # each person's household found by searching the households' sorted ids (no join of ten million rows)
    home_order = sorted_order(homes["household_id"].to_numpy())
    home_ids = homes["household_id"].to_numpy()[home_order]
    deprivation = pc.fill_null(homes["deprivation"], 0.0).to_numpy()[home_order]
    order = sorted_order(people["person_id"].to_numpy())
    at = find_sorted(home_ids, people["household_id"].to_numpy()[order])
    score = np.where(at >= 0, deprivation[np.maximum(at, 0)], 0.0)
    params = Parameters(run.manifest.get("scenario", {}).get("rates") or {})
    female = pc.equal(people["sex"], "F").to_numpy(zero_copy_only=False)[order]
    return People(
        person_id=people["person_id"].to_numpy()[order],
        codes={
            "ethnic_group": _byte(_ethnic_group_codes(people["ethnic_group"])[order]),
            "age_band": _byte(person_groups.age_band_codes(people["age_at_start"].to_numpy().astype(np.int64)[order])),
            "sex": _byte(person_groups.sex_codes(female)),
            "deprivation_quintile": _byte(
                person_groups.deprivation_quintile_codes(score, person_groups.deprivation_cuts(params))
            ),
        },
    )


def _byte(codes: Ids) -> NDArray[np.int8]:
    """A dimension's codes as bytes (a dimension has a handful of groups; UNKNOWN is -1)."""
    assert codes.size == 0 or (int(codes.min()) >= -128 and int(codes.max()) <= 127)
    return codes.astype(np.int8)


MIN_CLUSTERS = 30
"""The fewest independent clusters (people for recall, predicted clusters for precision, children for sharing) with
at least one trial that a group, and the rest, must have before a gap between them is flagged. The interval of a
clustered proportion rests on the spread between its clusters: with a handful of people, the ratio estimator's
variance (and so the design effect and the effective trials) is itself too uncertain to set an interval on, and a
person or two decide the whole figure. Thirty is the usual rule of thumb for a normal approximation to a mean of
independent units; below it a group's figure and interval are still reported, but not called a gap, so that the
dozens of small groups an evaluation scores (four dimensions, a dozen metrics) do not fill the report with gaps
that are chance."""


def _ethnic_group_codes(groups: pa.ChunkedArray) -> Ids:
    """Each person's ethnic group code, worked out once per distinct label (read dictionary-encoded) rather than
    from a Python string per person (ten million of them a gigabyte)."""
    groups = groups.unify_dictionaries().combine_chunks() if pa.types.is_dictionary(groups.type) else groups
    if not pa.types.is_dictionary(groups.type):
        return person_groups.ethnic_group_codes(groups.to_numpy(zero_copy_only=False))
    per_label = person_groups.ethnic_group_codes(np.array([*groups.dictionary.to_pylist(), None], dtype=object))
    indices = groups.indices.fill_null(len(groups.dictionary)) if groups.null_count else groups.indices
    result: Ids = per_label[np.asarray(indices.to_numpy(zero_copy_only=False), np.int64)]
    return result


Z = 1.959963984540054
"""The 97.5th percentile of the standard normal: two-sided 95% intervals."""


@dataclass(frozen=True)
class _Sums:
    """Per group (or for the rest): hits, trials, clusters and the sums of squares the ratio variance needs."""

    hits: NDArray[np.float64]
    trials: NDArray[np.float64]
    clusters: NDArray[np.float64]
    hh: NDArray[np.float64]
    ht: NDArray[np.float64]
    tt: NDArray[np.float64]
    tried: NDArray[np.float64]  # clusters with at least one trial

    def minus(self, other: _Sums) -> _Sums:
        return _Sums(*(getattr(self, f) - getattr(other, f) for f in _SUMMED))

    def interval(self, g: int, independent: bool) -> tuple[float | None, float | None, float | None, float | None]:
        """Value, Wilson 95% bounds over the effective trials, and the design effect, of group `g` (`independent`:
        every unit one trial of its own, so Wilson's interval over the trials as it stands)."""
        t, n = float(self.trials[g]), float(self.clusters[g])
        if t <= 0:
            return None, None, None, None
        p = float(self.hits[g]) / t
        if independent:
            return (p, *wilson(p, t), 1.0)
        residual = max(float(self.hh[g] - 2 * p * self.ht[g] + p * p * self.tt[g]), 0.0)
        variance = residual * n / (n - 1) / (t * t) if n > 1 else 0.0
        effective = min(p * (1 - p) / variance, t) if variance > 0 else t
        low, high = wilson(p, effective)
        return p, low, high, t / effective


_SUMMED = ("hits", "trials", "clusters", "hh", "ht", "tt", "tried")


def wilson(p: float, trials: float, z: float = Z) -> tuple[float, float]:
    """Wilson's score interval for a proportion `p` over `trials` (which may be an effective, fractional count)."""
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def _gap(
    low: float | None, high: float | None, rest_low: float | None, rest_high: float | None, large_enough: bool = True
) -> str | None:
    if low is None or high is None or rest_low is None or rest_high is None or not large_enough:
        return None
    if high < rest_low:
        return "lower"
    if low > rest_high:
        return "higher"
    return None


def _clustered(
    code: NDArray[np.int64], hits: NDArray[np.float64], trials: NDArray[np.float64], cluster: Ids, k: int
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
    """The units summed into one unit per (cluster, group) cell."""
    cell, at = np.unique(cluster * np.int64(k) + code, return_inverse=True)
    at = at.ravel()
    cell_code: NDArray[np.int64] = (cell % k).astype(np.int64)
    summed_hits = np.bincount(at, weights=hits).astype(np.float64)
    summed_trials = np.bincount(at, weights=trials).astype(np.float64)
    return cell_code, summed_hits, summed_trials


def _sums(code: NDArray[np.int64], hits: NDArray[np.float64], trials: NDArray[np.float64], k: int) -> _Sums:
    def total(weights: NDArray[np.float64] | None) -> NDArray[np.float64]:
        return np.bincount(code, weights=weights, minlength=k).astype(np.float64)

    tried = (trials > 0).astype(np.float64)
    return _Sums(
        total(hits),
        total(trials),
        total(None),
        total(hits * hits),
        total(hits * trials),
        total(trials**2),
        total(tried),
    )


def _whole(hits: NDArray[np.generic], trials: NDArray[np.generic] | None) -> bool:
    """Whether the hits and trials are counts (integers), so that their sums are whole numbers."""
    return np.issubdtype(hits.dtype, np.integer) and (trials is None or np.issubdtype(trials.dtype, np.integer))


def _exact(hits: NDArray[np.float64], trials: NDArray[np.float64]) -> bool:
    """Whether every sum `_sums` takes of these whole numbers (their squares and products too) stays below 2**53,
    where float64 holds every whole number: then each sum is exact, whatever order it is added in."""
    if len(hits) == 0:
        return True
    largest = max(float(np.abs(hits).max()), float(np.abs(trials).max()), 1.0)
    return len(hits) * largest * largest < 2.0**53


def proportions(
    metric: str,
    dimension: str,
    labels: tuple[str, ...],
    code: NDArray[np.signedinteger[Any]],
    hits: NDArray[np.int64],
    trials: NDArray[np.int64] | None = None,
    cluster: Ids | None = None,
    min_clusters: int = MIN_CLUSTERS,
    empty_units: NDArray[np.int64] | None = None,
) -> list[GroupScore]:
    """One metric by group: per unit its group `code` (an index into `labels`; negative: no group), its `hits`,
    its `trials` (1 each when not given) and its `cluster` (units of one cluster are found or missed together; each
    unit its own cluster when not given). Every label gets a row, with no value where it has no trials, and a gap
    only where the group and the rest each have `min_clusters` clusters with a trial. `empty_units` counts, per
    label, units of no trials left out of `code` (they add to the clusters an interval is taken over and to nothing
    else): the predicted clusters holding no record of an agency pair, millions of zeros per pair at scale."""
    k = len(labels)
    known = code >= 0
    unit_code = code[known].astype(np.int64)
    unit_hits = hits[known].astype(np.float64)
    unit_trials = np.ones(len(unit_code)) if trials is None else trials[known].astype(np.float64)
    if cluster is not None:
        unit_code, unit_hits, unit_trials = _clustered(unit_code, unit_hits, unit_trials, cluster[known], k)
    independent = cluster is None and trials is None
    group = _sums(unit_code, unit_hits, unit_trials, k)
    if _whole(hits, trials) and _exact(unit_hits, unit_trials):
        # every sum a whole number below 2**53: adding the groups' sums gives the total to the last bit, in any
        # order, without a second pass over millions of units
        everyone = _Sums(*(np.array([float(getattr(group, f).sum())]) for f in _SUMMED))
    else:
        everyone = _sums(np.zeros(len(unit_code), np.int64), unit_hits, unit_trials, 1)
    if empty_units is not None:
        group = dataclasses.replace(group, clusters=group.clusters + empty_units.astype(np.float64))
        everyone = dataclasses.replace(everyone, clusters=everyone.clusters + float(empty_units.sum()))
    everyone = _Sums(*(np.repeat(getattr(everyone, f), k) for f in _SUMMED))
    rest = everyone.minus(group)
    rows = []
    for g, label in enumerate(labels):  # a handful of groups per dimension
        value, low, high, effect = group.interval(g, independent)
        rest_value, rest_low, rest_high, _ = rest.interval(g, independent)
        hits_g, trials_g, clusters_g = (int(np.rint(x[g])) for x in (group.hits, group.trials, group.clusters))
        large_enough = min(group.tried[g], rest.tried[g]) >= min_clusters
        gap = _gap(low, high, rest_low, rest_high, large_enough)
        rows.append(
            GroupScore(
                dimension, label, metric, hits_g, trials_g, value, low, high, rest_value, rest_low, rest_high, gap,
                clusters_g, effect,
            )
        )  # fmt: skip
    return rows


def by_person_groups(
    metric: str,
    people: People,
    person: Ids,
    hits: NDArray[np.int64],
    trials: NDArray[np.int64] | None = None,
    cluster: Ids | None = None,
    min_clusters: int = MIN_CLUSTERS,
) -> list[GroupScore]:
    """One metric by every person dimension, each unit placed by the person it is about."""
    codes = people.of(person)
    rows: list[GroupScore] = []
    for dimension in person_groups.DIMENSIONS:
        labels = person_groups.LABELS[dimension]
        rows += proportions(metric, dimension, labels, codes[dimension], hits, trials, cluster, min_clusters)
    return rows


def encode(values: pa.Array | NDArray[np.object_]) -> tuple[tuple[str, ...], NDArray[np.int64]]:
    """Labels (sorted) and each value's code, for a dimension whose groups are whatever the data holds (agency
    pairs); a null gets no group."""
    array = values if isinstance(values, pa.Array | pa.ChunkedArray) else pa.array(values, pa.string())
    labels = tuple(sorted(str(v) for v in pc.unique(array).to_pylist() if v is not None))
    code = pc.index_in(array, value_set=pa.array(labels, pa.string())).fill_null(-1).to_numpy(zero_copy_only=False)
    return labels, np.asarray(code, np.int64)


def gaps(rows: list[GroupScore]) -> list[GroupScore]:
    """The rows whose interval does not overlap the rest's."""
    return [row for row in rows if row.gap is not None]
