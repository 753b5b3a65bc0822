"""Hypothesis strategies: scenarios that validate, small runs with their truth, and agency records with planted
errors of chosen kinds and their true person.

    from hypothesis import HealthCheck, given, settings
    from synthgen.testing import agency_records

    @settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(agency_records(errors=["family_name.typo"]))
    def test_a_surname_typo_still_matches(sample): ...

Generating a run takes a second or two, so `small_runs` and `agency_records` draw from a handful of seeds and
sizes and each run is made once (synthgen/testing/runs.py); keep `max_examples` small, `deadline=None`, and the
too_slow health check off for them (the first draw of each seed generates its run).
`scenarios` only validates, and is fast.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from synthgen import reference
from synthgen.scenario import rates
from synthgen.scenario.schema import LONGEST_DAYS, SHORTEST_DAYS, Scenario
from synthgen.scenario.templates import template_names
from synthgen.testing.records import PLANTING_RATE, AgencyRecords, candidates, check_errors, gather, planting_scenario
from synthgen.testing.runs import DEFAULT_PEOPLE, SmallRun, small_run

AREAS: tuple[dict[str, Any], ...] = (
    {"la_number": 372, "la_name": "Rotherham", "outward_codes": ["S60", "S61", "S65", "S66"]},
    {"la_number": 330, "la_name": "Birmingham", "outward_codes": ["B5", "B12", "B13", "B14"]},
    {"la_number": 204, "la_name": "Hackney", "outward_codes": ["E5", "E8", "E9", "N16"]},
)
"""Boroughs a drawn scenario is set in (any non-empty subset of each one's districts): a northern town, a large
and diverse city, an inner-London borough; each district has postcodes in its authority."""


@st.composite
def rate_value(draw: st.DrawFn, name: str) -> float:
    """A value model rate `name` may take (synthgen/scenario/rates.py), often one of its ends or its default."""
    allowed = rates.allowed(name)
    low = allowed.low + (1e-3 if allowed.low_out else 0.0)
    high = allowed.high - (1e-3 if allowed.high_out else 0.0)
    default = reference.default_parameters()[name]
    value: float = draw(
        st.one_of(
            st.sampled_from([low, high, default, (low + high) / 2]),
            st.floats(min_value=low, max_value=high, allow_nan=False),
        )
    )
    return value


@st.composite
def rate_overrides(draw: st.DrawFn, max_rates: int = 3) -> dict[str, float]:
    """One to `max_rates` model rates (a scenario's `rates`) set to values their ranges allow, a family of shares
    kept adding up to 1 (the rest take what the chosen ones leave, in their default proportions)."""
    names = sorted(reference.default_parameters())
    chosen = draw(st.lists(st.sampled_from(names), min_size=1, max_size=max_rates, unique=True))
    values = {name: draw(rate_value(name)) for name in chosen}
    defaults = reference.default_parameters()
    for members in rates.families(defaults).values():
        touched = [name for name in members if name in values]
        if touched and rates.splits_a_whole(members):
            taken = min(sum(values[name] for name in touched), 1.0)
            for name in touched:
                values[name] = values[name] / max(sum(values[n] for n in touched), 1e-12) * taken
            rest = [name for name in members if name not in touched]
            rest_total = sum(defaults[name] for name in rest)
            for name in rest:
                values[name] = (1.0 - taken) * defaults[name] / rest_total if rest_total else 0.0
            assume(abs(sum(values[name] for name in members) - 1.0) < 1e-12 and (rest or taken == 1.0))
    assume(not rates.problems(values))  # a minimum drawn over its maximum: not a scenario
    return values


@st.composite
def quality_overrides(draw: st.DrawFn) -> dict[str, dict[str, dict[str, float]]]:
    """A few data-quality rates (a scenario's `data_quality.rates`), by agency, field and kind, from 0 to 1."""
    known = sorted({(r.agency, r.field, r.kind) for r in reference.quality_rates()})
    chosen = draw(st.lists(st.sampled_from(known), max_size=4, unique=True))
    result: dict[str, dict[str, dict[str, float]]] = {}
    for agency, field_name, kind in chosen:
        value = draw(st.sampled_from([0.0, 1.0]) | st.floats(0.0, 1.0, allow_nan=False))
        result.setdefault(agency, {}).setdefault(field_name, {})[kind] = value
    return result


@st.composite
def _mechanisms(draw: st.DrawFn) -> dict[str, Any]:
    rules = reference.quality_groups()
    names = sorted({rule.mechanism for rule in rules})
    if draw(st.booleans()):
        return {}
    off = draw(st.lists(st.sampled_from(names), max_size=2, unique=True))
    rule = draw(st.sampled_from(rules))
    multiplier = draw(st.sampled_from([0.0, 1.0, 4.0]))
    return {
        "enabled": draw(st.booleans()),
        "off": off,
        "multipliers": {rule.mechanism: {rule.group: multiplier}},
    }


@st.composite
def scenarios(
    draw: st.DrawFn,
    people: st.SearchStrategy[int] | None = None,
    *,
    longest_days: int = 731,
    storylines: bool = True,
    model_rates: bool = True,
) -> Scenario:
    """A scenario that validates: a borough of AREAS (some of its districts), a period of 28 to `longest_days`
    days, a data-quality profile with some rates and group mechanisms changed, agencies and front-door flows on or
    off, some model `rates` (with `model_rates`) and planted storylines (with `storylines`). `people` draws the
    population (default 100 to 2,000)."""
    area = dict(draw(st.sampled_from(AREAS)))
    codes: list[str] = area["outward_codes"]
    area["outward_codes"] = draw(st.lists(st.sampled_from(codes), min_size=1, max_size=len(codes), unique=True))
    start = draw(st.dates(min_value=dt.date(2015, 1, 1), max_value=dt.date(2030, 12, 31)))
    days = draw(st.integers(SHORTEST_DAYS, min(max(longest_days, SHORTEST_DAYS), LONGEST_DAYS)))
    data: dict[str, Any] = {
        "scenario_version": 1,
        "name": draw(st.from_regex(r"[a-z0-9][a-z0-9_-]{0,20}", fullmatch=True)),
        "seed": draw(st.integers(0, 2**63 - 1)),
        "population": {"people": draw(people if people is not None else st.integers(100, 2000))},
        "area": area,
        "period": {"start": start.isoformat(), "end": (start + dt.timedelta(days=days - 1)).isoformat()},
        "data_quality": {
            "profile": draw(st.sampled_from(["clean", "realistic", "messy"])),
            "rates": draw(quality_overrides()),
            "mechanisms": draw(_mechanisms()),
        },
        "agencies": {name: {"enabled": draw(st.booleans())} for name in ("police", "health", "school", "social_care")},
        "front_door": {name: draw(st.booleans()) for name in ("enabled", "operation_encompass", "marac", "cp_is")},
        "identifiers": {"nhs_numbers": draw(st.sampled_from(["test", "unallocated"]))},
    }
    if model_rates and draw(st.booleans()):
        data["rates"] = draw(rate_overrides())
    if storylines:
        chosen = draw(st.lists(st.sampled_from(template_names()), max_size=3, unique=True))
        data["storylines"] = [{"template": name, "count": draw(st.integers(0, 2))} for name in chosen]
    return Scenario.model_validate(data)


def small_runs(
    scenarios: st.SearchStrategy[Scenario] | None = None,
    *,
    people: Sequence[int] = (300, DEFAULT_PEOPLE),
    seeds: Sequence[int] = (0, 1, 2),
    cache_dir: str | None = None,
) -> st.SearchStrategy[SmallRun]:
    """A generated run with its truth: `scenarios` (default: the demo's borough and year) with one of `people`
    and one of `seeds`, each combination generated once and then read from the cache (`cache_dir`, default a
    temporary folder of this process's). A few sizes and seeds keep the runs few: each is a second or two."""
    base = scenarios if scenarios is not None else st.none()
    return st.builds(
        lambda scenario, size, seed: small_run(scenario, people=size, seed=seed, cache_dir=cache_dir),
        base,
        st.sampled_from(list(people)),
        st.sampled_from(list(seeds)),
    )


@st.composite
def agency_records(
    draw: st.DrawFn,
    errors: Sequence[str] = ("family_name.typo",),
    *,
    others: int = 2,
    people: int = DEFAULT_PEOPLE,
    seeds: Sequence[int] = (0, 1, 2),
    rate: float = PLANTING_RATE,
    cache_dir: str | None = None,
) -> AgencyRecords:
    """Every record of a few people, with at least one record carrying each of `errors` ('field.kind', e.g.
    'family_name.typo', or a kind in any field, e.g. 'typo'; the kinds of synthgen/quality/), and up to
    `others` people besides, each record with its true person. The records come from a run of `people` residents
    and one of `seeds` in which the chosen errors are raised to `rate` (made once per seed)."""
    chosen = check_errors(errors)
    run = small_run(
        planting_scenario(chosen, rate=rate),
        people=people,
        seed=draw(st.sampled_from(list(seeds))),
        cache_dir=cache_dir,
    )
    picked = []
    for error in chosen:
        rows = candidates(run, error)
        if not len(rows):
            raise ValueError(f"a run of {people:,} people made no {error!r} on a person with two records; raise rate")
        picked.append(int(run.person_id[rows[draw(st.integers(0, len(rows) - 1))]]))
    everyone = np.unique(run.person_id)
    extra = draw(st.lists(st.integers(0, len(everyone) - 1), max_size=others, unique=True))
    chosen_people = np.unique(np.r_[np.asarray(picked, np.int64), everyone[extra]])
    return gather(run, chosen_people, chosen)
