"""What a scenario's `rates` may set each model number to, so that a run that validates also generates.

The model's numbers (synthgen/reference/data/parameters/) are of a few kinds, told by their unit or name:
shares and chances (0 to 1), log weights (a sign either way, within ±20: e to the 20th is already half a
billion), relative weights (0 or more), ages in years (0 to 99, the oldest age the population holds), and
counts, rates, days and multipliers (0 to ten times England's figure: an area unlike the average, not a
different world, and a bound on how many rows a run can be asked for). A few numbers need more than their kind
says (a divisor cannot be 0, a share whose complement divides cannot be 1, a maximum in days cannot be under
its minimum); those are listed in `_EXCEPTIONS`, each found by generating a borough with the number at its
bounds. Across numbers: a family of shares that splits one whole (`cla_provider_share.*`) must still add up to
1, a family of weights must not be all 0, and a minimum may not exceed its maximum.
"""

from __future__ import annotations

import fnmatch
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from synthgen import reference

LOG_LIMIT = 20.0
GROWTH = 10.0
"""A count, rate or multiplier may be at most this many times England's figure."""
OLDEST = 99.0
SUM_TOLERANCE = 1e-9
"""How far from 1 a family of shares may add up to (rounding in the last digits of a decimal, no more)."""


@dataclass(frozen=True)
class Range:
    """The values a number may take: `low` to `high`, each end in or out."""

    low: float
    high: float
    low_out: bool = False
    high_out: bool = False

    def holds(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        above = value > self.low if self.low_out else value >= self.low
        below = value < self.high if self.high_out else value <= self.high
        return above and below

    def __str__(self) -> str:
        low = f"more than {self.low:g}" if self.low_out else f"at least {self.low:g}"
        high = f"less than {self.high:g}" if self.high_out else f"at most {self.high:g}"
        return f"{low} and {high}"


_SHARE = re.compile(r"(_share|_chance|_probability)(\.|$)")


def _kind(name: str, unit: str) -> str:
    unit = unit.lower()
    if _SHARE.search(name) or unit.startswith(("share", "chance", "cumulative share")) or "probability" in unit:
        return "share"
    if unit.startswith("log"):
        return "log"
    if unit.startswith("relative"):
        return "weight"
    if unit.startswith("years:") or (unit == "years" and "age" in name):
        return "age"
    return "amount"


def _by_kind(kind: str, default: float) -> Range:
    if kind == "share":
        return Range(0.0, 1.0)
    if kind == "log":
        return Range(-LOG_LIMIT, LOG_LIMIT)
    if kind == "age":
        return Range(0.0, OLDEST)
    if kind == "weight":
        return Range(0.0, max(GROWTH * default, 1.0) * 100)
    return Range(0.0, max(GROWTH * default, 1.0))


_EXCEPTIONS: tuple[tuple[str, str], ...] = (
    # divisors and the shapes and scales of gamma and beta draws: 0 has no meaning
    ("people_per_*", "positive"),
    ("*_shape", "positive"),
    ("*_scale", "positive"),
    ("deprivation_beta_*", "positive"),
    ("marac_meeting_interval_days", "positive"),
    ("school_suspensions_per_pupil", "positive"),
    ("school_suspensions_per_suspended_pupil", "positive"),
    # the places: a divisor; a neighbourhood has a postcode
    ("street_postcodes_mean", "positive"),
    # every median is a lognormal's (addresses, days, hours): its log is taken, so 0 has no meaning
    ("*_median", "positive"),
    ("*_median_days", "positive"),
    ("gp_list_size_mean", "positive"),
    ("*_school_pupils_mean", "positive"),
    ("neighbourhood_postcodes", "at_least_1"),
    # the nearest place is the one a family always may choose: its weight cannot be 0
    ("gp_practice_choice_weight.nearest", "positive"),
    ("school_choice_weight.nearest", "positive"),
    # absence is a beta draw around this share: neither none nor all
    ("school_overall_absence", "open_share"),
    # shares whose complement divides (the late or missed ones share out what is not on time)
    ("health_visit_on_time_share.*", "below_one"),
    ("domestic_abuse_non_crime_share", "below_one"),
    ("referral_nfa_share", "below_one"),
    # a draw from 2 to this many working days
    ("decision_late_days_max", "at_least_2"),
    # ages drawn from 18 up to this
    ("sharer_age_max", "adult_age"),
    ("couple_no_children_age_max", "adult_age"),
    # a child's need: from 0 to 17 years
    ("need_min_age.*", "child_age"),
    ("need_max_age.*", "child_age"),
    ("former_resident_left_days_*", "at_least_1"),
)


def _exception(rule: str, default: float) -> Range:
    cap = max(GROWTH * default, 1.0)
    return {
        "positive": Range(0.0, cap, low_out=True),
        "below_one": Range(0.0, 1.0, high_out=True),
        "open_share": Range(0.0, 1.0, low_out=True, high_out=True),
        "at_least_1": Range(1.0, cap),
        "at_least_2": Range(2.0, cap),
        "adult_age": Range(19.0, OLDEST),
        "child_age": Range(0.0, 17.0),
    }[rule]


@cache
def _units() -> dict[str, str]:
    return {row["name"]: row["unit"] for row in reference.parameter_rows()}


def allowed(name: str) -> Range:
    """The values rate `name` may take."""
    default = reference.default_parameters()[name]
    for pattern, rule in _EXCEPTIONS:
        if fnmatch.fnmatchcase(name, pattern):
            return _exception(rule, default)
    return _by_kind(_kind(name, _units().get(name, "")), default)


_PAIRS = (
    ("{}_min", "{}_max"),
    ("need_min_age.{}", "need_max_age.{}"),
    ("{}_min_days", "{}_max_days"),
    ("{}_days_min", "{}_days_max"),
)


def families(names: Mapping[str, float]) -> dict[str, list[str]]:
    families: dict[str, list[str]] = {}
    for name in names:
        if "." in name:
            families.setdefault(name.rsplit(".", 1)[0], []).append(name)
    return families


def problems(rates: Mapping[str, float]) -> list[str]:
    """Every problem with `rates` (names already known): each value out of its range, then each family of shares
    that no longer adds up to 1, each family of weights all 0, each minimum above its maximum."""
    found = [
        f"{name} must be {allowed(name)}, not {value!r}"
        for name, value in rates.items()
        if not allowed(name).holds(value)
    ]
    if found:
        return found
    defaults = reference.default_parameters()
    values = {**defaults, **rates}
    for family, members in families(defaults).items():
        if not any(name in rates for name in members):
            continue
        total = sum(values[name] for name in members)
        if splits_a_whole(members):
            if abs(total - 1) > SUM_TOLERANCE:
                found.append(f"{family}.* share out one whole and must add up to 1, not {total:g}")
        elif total <= 0:
            found.append(f"{family}.* must not all be 0")
    for low_pattern, high_pattern in _PAIRS:
        for name in defaults:
            stem = _stem(name, low_pattern)
            if stem is None:
                continue
            high = high_pattern.format(stem)
            if high in defaults and (name in rates or high in rates) and values[name] > values[high]:
                found.append(f"{name} ({values[name]:g}) must not be more than {high} ({values[high]:g})")
    return found


def splits_a_whole(members: list[str]) -> bool:
    """A family of shares whose defaults add up to 1: the model draws one of them for each case."""
    defaults = reference.default_parameters()
    shares = all(_kind(name, _units().get(name, "")) == "share" for name in members)
    return shares and abs(sum(defaults[name] for name in members) - 1) < SUM_TOLERANCE


def _stem(name: str, pattern: str) -> str | None:
    before, after = pattern.split("{}")
    if name.startswith(before) and name.endswith(after) and len(name) > len(before) + len(after):
        return name[len(before) : len(name) - len(after)]
    return None
