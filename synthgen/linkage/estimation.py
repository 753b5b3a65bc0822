"""Estimation: m and u by EM over the distinct comparison patterns, with the non-match class stratified (see
`synthgen.linkage.fellegi_sunter` for why), and the match weight of each pattern under the fitted model.

EM costs the same for ten million pairs as for ten thousand: the pairs are counted by distinct level vector (a
few thousand), and an E step is two gathers, an M step two bincounts, over those.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from synthgen.linkage.array_types import Bool, Float, Int, Levels
from synthgen.linkage.comparisons import COMPARISONS

EM_ITERATIONS = 100
EM_TOLERANCE = 1e-6
SMOOTHING = 0.5
"""Pseudo-count added to every level's expected count in each M step."""
POOLING = 300.0
"""Pseudo-pairs per stratum drawing its u towards the non-match class's u over all strata."""
PRIOR_BEST_LEVEL = 0.9
STRATIFY_ON = ("date_of_birth", "family_name")
"""Comparisons whose agreement stratifies the non-match class (see the module docstring)."""


@dataclass(frozen=True)
class Model:
    """The fitted mixture as flat parameter vectors (laid out by `_Layout`): m per comparison level, u per
    stratum and level, and the match share lambda among the candidate pairs."""

    stratify_on: tuple[str, ...]
    m: Float
    u: Float
    match_share: float
    iterations: int
    candidate_pairs: int

    def table(self) -> pa.Table:
        """One row per stratum, comparison and level: m, u (given the stratum) and the weight log2(m / u) the
        level adds, for reading and reporting. A stratifying comparison's agreeing level has u = 1 here: its
        share is in `stratum_share` (the share of non-matches in the stratum, among the strata with the same
        comparisons missing)."""
        layout = _Layout(self.stratify_on)
        states = ("agree", "disagree", "missing")
        labels = [
            ", ".join(f"{name} {states[(s // 3**j) % 3]}" for j, name in enumerate(layout.stratify_on)) or "all"
            for s in range(layout.strata)
        ]
        comparison = np.tile(np.repeat(np.arange(len(COMPARISONS)), layout.counts), layout.strata)
        level = np.tile(np.concatenate([np.arange(k) for k in layout.counts.tolist()]), layout.strata)
        stratum = np.repeat(np.arange(layout.strata), layout.m_size)
        # A level vector per row that lies in the row's stratum and has the row's level, to look up its u slot.
        vectors = np.full((stratum.size, len(COMPARISONS)), -1, np.int8)
        for place, index in enumerate(layout.stratifying):
            state = (stratum // 3**place) % 3
            vectors[:, index] = np.where(state == 0, 0, np.where(state == 1, 1, -1))
        rows = np.arange(stratum.size)
        vectors[rows, comparison] = level
        consistent = np.ones(stratum.size, bool)
        for place, index in enumerate(layout.stratifying):
            state = (stratum // 3**place) % 3
            possible = np.where(state == 0, level == 0, np.where(state == 1, level > 0, False))
            consistent &= np.where(comparison == index, possible, True)
        u_extended = np.r_[self.u, 1.0]
        u = u_extended[layout.u_slots(vectors)[rows, 1 + comparison]]
        m = np.tile(self.m, layout.strata)
        keep = np.flatnonzero(consistent)
        names = np.array([c.name for c in COMPARISONS], dtype=object)
        level_names = np.array([name for c in COMPARISONS for name in c.levels], dtype=object)
        flat_level = np.tile(np.arange(layout.m_size), layout.strata)
        return pa.table(
            {
                "stratum": pa.array(np.array(labels, dtype=object)[stratum[keep]], pa.string()),
                "stratum_share": pa.array(self.u[stratum[keep]], pa.float64()),
                "comparison": pa.array(names[comparison[keep]], pa.string()),
                "level": pa.array(level_names[flat_level[keep]], pa.string()),
                "m": pa.array(m[keep], pa.float64()),
                "u": pa.array(u[keep], pa.float64()),
                "weight": pa.array(np.log2(m[keep] / u[keep]), pa.float64()),
            }
        )


def _level_counts() -> Int:
    return np.array([len(c.levels) for c in COMPARISONS], np.int64)


def patterns(levels: Levels) -> tuple[Levels, Int, Int]:
    """The distinct level vectors among the pairs, how many pairs have each, and each pair's pattern index.

    EM then costs the same for ten million pairs as for ten thousand. A vector is one mixed-radix integer (level
    + 1 per comparison, 0 for missing) below the product of the radixes (under a million), so the distinct ones
    are found with one bincount and no sort."""
    radix = _level_counts() + 1
    place = np.cumprod(np.r_[1, radix[:-1]])
    code = np.zeros(levels.shape[0], np.int64)
    for index in range(levels.shape[1]):
        code += (levels[:, index].astype(np.int64) + 1) * place[index]
    histogram = np.bincount(code, minlength=int(np.prod(radix)))
    unique = np.flatnonzero(histogram)
    rank = np.cumsum(histogram > 0) - 1
    decoded = ((unique[:, None] // place[None, :]) % radix[None, :] - 1).astype(np.int8)
    return decoded, histogram[unique].astype(np.int64), rank[code].astype(np.int64)


class _Layout:
    """Where each parameter lives in the flat m and u vectors, so that an E step is two gathers and an M step two
    bincounts.

    m holds one entry per comparison level. u (the non-match class) is stratified: a pair's stratum is the
    agreement state (0 agree exactly, 1 disagree, 2 missing) of each comparison in `stratify_on`, read as base-3
    digits. u holds the non-match share of each stratum among the strata with the same comparisons missing;
    then, for each stratifying comparison, the shares of its disagreeing levels (given that it disagrees); then,
    for every other comparison, its level shares within each stratum. Both vectors have an implicit last slot of
    probability 1, where missing levels point (and, in u, a stratifying comparison's agreeing level, which its
    stratum's share already counts)."""

    def __init__(self, stratify_on: tuple[str, ...]) -> None:
        names = [c.name for c in COMPARISONS]
        unknown = sorted(set(stratify_on) - set(names))
        if unknown:
            raise ValueError(f"unknown comparisons to stratify on: {', '.join(unknown)}")
        self.stratify_on = tuple(dict.fromkeys(stratify_on))
        self.stratifying = [names.index(name) for name in self.stratify_on]
        self.counts = _level_counts()
        self.m_offsets = np.cumsum(self.counts) - self.counts
        self.m_size = int(self.counts.sum())
        self.m_group = np.repeat(np.arange(self.counts.size), self.counts)
        self.strata = 3 ** len(self.stratifying)
        self.per_stratum = np.ones(len(COMPARISONS), np.int64)
        self.per_stratum[self.stratifying] = 0
        # Stratum shares are normalised within each pattern of missing stratifying comparisons, so they give the
        # share of each agreement pattern among the comparisons present: missing stays neutral.
        state = (np.arange(self.strata)[:, None] // 3 ** np.arange(len(self.stratifying))[None, :]) % 3
        groups = [((state == 2) * 2 ** np.arange(len(self.stratifying))[None, :]).sum(axis=1).astype(np.int64)]
        self.u_offsets = np.zeros(len(COMPARISONS), np.int64)
        levels = [np.full(self.strata, -1, np.int64)]
        size, group = self.strata, 2 ** len(self.stratifying)
        for index, count in enumerate(self.counts.tolist()):
            self.u_offsets[index] = size
            if self.per_stratum[index]:
                groups.append(np.repeat(np.arange(group, group + self.strata), count))
                levels.append(np.tile(self.m_offsets[index] + np.arange(count), self.strata))
                size, group = size + self.strata * count, group + self.strata
            else:
                # The agreeing level sits in a group of its own: unused, since the stratum's share counts it.
                groups.append(np.r_[group, np.full(count - 1, group + 1)])
                levels.append(np.full(count, -1, np.int64))
                size, group = size + count, group + 2
        self.u_size = size
        self.u_group = np.concatenate(groups)
        self.u_level = np.concatenate(levels)
        """For each u entry of a comparison's level within a stratum, that level's m slot (-1 elsewhere)."""
        has_missing = (state == 2).any(axis=1)
        entry_stratum = np.full(self.u_size, -1, np.int64)
        for index in np.flatnonzero(self.per_stratum).tolist():
            start, count = int(self.u_offsets[index]), int(self.counts[index])
            entry_stratum[start : start + self.strata * count] = np.repeat(np.arange(self.strata), count)
        self.u_pooled = (entry_stratum >= 0) & has_missing[np.maximum(entry_stratum, 0)]

    def estimate_u(self, expected: Float) -> Float:
        """u from expected non-match counts. Within a stratum, each comparison's level shares get POOLING
        pseudo-pairs spread as the shares pooled over all strata, so a small stratum's u leans on the whole
        non-match class rather than fitting a few pairs; strata where a stratifying comparison is missing take
        the pooled shares outright (their pairs come from other blocking rules, few and unlike the rest, and a
        free u there absorbed the matches on Birmingham)."""
        stratified = self.u_level >= 0
        counts = np.bincount(self.u_level[stratified], expected[stratified], minlength=self.m_size)
        pooled = self.normalise(counts.astype(np.float64), self.m_group)
        shrunk = expected.copy()
        shrunk[stratified] += POOLING * pooled[self.u_level[stratified]]
        u = self.normalise(shrunk, self.u_group)
        u[self.u_pooled] = pooled[self.u_level[self.u_pooled]]
        return u

    def stratum(self, levels: Levels) -> Int:
        stratum = np.zeros(levels.shape[0], np.int64)
        for place, index in enumerate(self.stratifying):
            level = levels[:, index].astype(np.int64)
            stratum += np.where(level < 0, 2, np.where(level == 0, 0, 1)) * 3**place
        return stratum

    def m_slots(self, levels: Levels) -> Int:
        return np.where(levels >= 0, self.m_offsets[None, :] + levels, self.m_size).astype(np.int64)

    def u_slots(self, levels: Levels) -> Int:
        """The stratum's share slot, then one slot per comparison."""
        stratum = self.stratum(levels)
        slot = self.u_offsets[None, :] + stratum[:, None] * (self.counts * self.per_stratum)[None, :] + levels
        neutral = (levels < 0) | ((levels == 0) & (self.per_stratum == 0)[None, :])
        result: Int = np.c_[stratum, np.where(neutral, self.u_size, slot)].astype(np.int64)
        return result

    def normalise(self, expected: Float, group: Int) -> Float:
        """Smoothed expected counts divided by their sum within each group (a comparison; a stratum)."""
        smoothed = expected + SMOOTHING
        result: Float = smoothed / np.bincount(group, weights=smoothed)[group]
        return result


def _prior_m() -> Float:
    """PRIOR_BEST_LEVEL on each comparison's best level, the rest shared by the others, halving level by level."""
    parts = []
    for comparison in COMPARISONS:
        rest = 0.5 ** np.arange(len(comparison.levels) - 1, dtype=np.float64)
        parts.append(np.r_[PRIOR_BEST_LEVEL, (1.0 - PRIOR_BEST_LEVEL) * rest / rest.sum()])
    return np.concatenate(parts)


def _expected(slot: Int, weight: Float, size: int) -> Float:
    """Weighted count of each of `size` slots (the neutral slot, index `size`, dropped)."""
    counts = np.bincount(slot.ravel(), np.repeat(weight, slot.shape[1]), minlength=size + 1)
    result: Float = counts[:size].astype(np.float64)
    return result


def _log_odds(m_slot: Int, u_slot: Int, m: Float, u: Float, share: float) -> Float:
    """Match weight: log2 of the prior odds plus log2 m less log2 u of each level (neutral slots add 0)."""
    log_m, log_u = np.log2(np.r_[m, 1.0]), np.log2(np.r_[u, 1.0])
    result: Float = log_m[m_slot].sum(axis=1) - log_u[u_slot].sum(axis=1) + np.log2(share / (1.0 - share))
    return result


def _exact_keys(levels: Levels) -> Bool:
    """Pairs the exact linker would link (same identifier, or same given name, family name and date of birth)."""
    names = [c.name for c in COMPARISONS]

    def agree(name: str) -> Bool:
        result: Bool = levels[:, names.index(name)] == 0
        return result

    return agree("nhs_number") | agree("upn") | (agree("given_name") & agree("family_name") & agree("date_of_birth"))


def fit(
    pattern_levels: Levels,
    count: Int,
    iterations: int = EM_ITERATIONS,
    stratify_on: tuple[str, ...] = STRATIFY_ON,
) -> Model:
    """EM over the distinct level patterns of the candidate pairs and their counts (see the module docstring)."""
    layout = _Layout(stratify_on)
    m_slot, u_slot = layout.m_slots(pattern_levels), layout.u_slots(pattern_levels)
    weight = count.astype(np.float64)
    m = _prior_m()
    keyed = weight * _exact_keys(pattern_levels)
    u = layout.estimate_u(_expected(u_slot, weight - keyed, layout.u_size))
    share = min(max(float(keyed.sum()) / max(float(weight.sum()), 1.0), 0.01), 0.99)
    done = 0
    while done < iterations:
        done += 1
        matched = weight / (1.0 + np.exp2(-_log_odds(m_slot, u_slot, m, u, share)))
        new_m = layout.normalise(_expected(m_slot, matched, layout.m_size), layout.m_group)
        new_u = layout.estimate_u(_expected(u_slot, weight - matched, layout.u_size))
        new_share = min(max(float(matched.sum()) / max(float(weight.sum()), 1.0), 1e-9), 1.0 - 1e-9)
        change = max(float(np.abs(new_m - m).max()), float(np.abs(new_u - u).max()), abs(new_share - share))
        m, u, share = new_m, new_u, new_share
        if change < EM_TOLERANCE:
            break
    return Model(layout.stratify_on, m, u, share, done, int(count.sum()))


def match_weights(model: Model, pattern_levels: Levels) -> Float:
    """Each level vector's match weight under a fitted model."""
    layout = _Layout(model.stratify_on)
    m_slot, u_slot = layout.m_slots(pattern_levels), layout.u_slots(pattern_levels)
    return _log_odds(m_slot, u_slot, model.m, model.u, model.match_share)
