"""Where a shard's storylines go: which storylines it holds, the household and people each takes, and its days.

Instance k of the run's storylines goes to shard k mod shards (numbered per template: cse-1, cse-2, ...), so they
spread over shards with no draw at the plan level. In its shard, a storyline takes a suitable household (the
template's child, household shape and, where asked, an older associate from another household) with the shard's
own "storylines" stream, and marks the simulation (the child's needs from the onset, the household's risk
factors) so the background pathway sees the child as at risk too. A noise storyline marks nothing: its child has
no need, in a household with none.

For each storyline the draws come in one order: its onset, its subject, its associate, then its events' days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from synthgen.errors import SynthgenError
from synthgen.scenario.loader import shipped_templates
from synthgen.scenario.plan import Plan
from synthgen.scenario.templates import AttendanceEvent, Template
from synthgen.world.births import Births
from synthgen.world.population import ROLE, Population
from synthgen.world.simulate import Simulation


@dataclass
class Placed:
    """One storyline in a shard: its household, its people by role (person rows; the unborn as a row of the
    shard's births) and each event's days."""

    storyline_id: str
    template: Template
    onset: np.datetime64
    household: int
    people: dict[str, NDArray[np.int64]]
    days: list[NDArray[np.datetime64]]  # per template event, the days in the period (attendance: its first day)


def instances(plan: Plan, shard: int) -> list[tuple[str, Template]]:
    """The storylines this shard holds: (storyline id, template), instance k of the run in shard k mod shards."""
    if not plan.scenario.storylines:
        return []  # reading and validating the shipped templates is some 0.2 CPU s a worker
    templates = shipped_templates()
    result = []
    k = 0
    for request in plan.scenario.storylines:
        for number in range(1, request.count + 1):
            if k % plan.shards == shard:
                result.append((f"{request.template}-{number}", templates[request.template]))
            k += 1
    return result


def _day(value: dt.date) -> np.datetime64:
    return np.datetime64(value, "D")


@dataclass(frozen=True)
class _Shard:
    """What placing needs to know of the shard's people, worked out once (before any storyline marks the
    simulation) for all of its storylines."""

    pop: Population
    alive: NDArray[np.bool_]  # per person: did not die in the period
    child: NDArray[np.bool_]  # per person: a resident child living with a parent, alive through the period
    live_hh: NDArray[np.bool_]  # per household: in the area, nobody in it died
    any_need: NDArray[np.bool_]  # per person
    risky_hh: NDArray[np.bool_]  # per household: a risk factor, or a child with a need
    partner_of_mother: NDArray[np.int64]  # per person: the mother's partner at home (head or partner), -1 for none
    couple: NDArray[np.bool_]  # per person: the mother at home with a man as her partner
    on_roll: NDArray[np.bool_] | None  # per person: holds a UPN; None when the scenario has no school


def _survey(
    plan: Plan, pop: Population, sim: Simulation, died: NDArray[np.datetime64], upn: NDArray[np.object_]
) -> _Shard:
    """What placing needs, worked out from the shard's people, deaths, simulation and school roll."""
    p = pop.people
    n_hh = len(pop.household_id)
    alive = np.isnat(died)
    live_hh = pop.household_in_area & (np.bincount(p.household, weights=(~alive).astype(float), minlength=n_hh) == 0)
    any_need = sim.any_need()
    needy_hh = np.bincount(p.household, weights=any_need.astype(float), minlength=n_hh) > 0
    # a couple: the child's mother at home with a man as her partner (head and partner of the household)
    head, partner, mother = pop.household_head, pop.household_partner, pop.mother
    mother_hh = np.where(mother >= 0, p.household[np.maximum(mother, 0)], -1)
    mother_is_head = (mother >= 0) & (mother == head[np.maximum(mother_hh, 0)])
    mother_is_partner = (mother >= 0) & (mother == partner[np.maximum(mother_hh, 0)])
    other = np.where(
        mother_is_head,
        partner[np.maximum(mother_hh, 0)],
        np.where(mother_is_partner, head[np.maximum(mother_hh, 0)], -1),
    )
    return _Shard(
        pop=pop,
        alive=alive,
        child=p.resident & (p.role == ROLE["child"]) & (p.age < 18) & alive,
        live_hh=live_hh,
        any_need=any_need,
        risky_hh=sim.domestic_abuse | sim.parental_mental_health | sim.substance_misuse | needy_hh,
        partner_of_mother=other,
        couple=(other >= 0) & ~p.female[np.maximum(other, 0)],
        on_roll=np.array([value is not None for value in upn], bool) if plan.scenario.agencies.school.enabled else None,
    )


def place_storylines(
    plan: Plan,
    pop: Population,
    sim: Simulation,
    born: Births,
    died: NDArray[np.datetime64],
    upn: NDArray[np.object_],
    wanted: list[tuple[str, Template]],
    rng: np.random.Generator,
) -> list[Placed]:
    """Place the shard's storylines (`wanted`, from `instances`) and mark each in the simulation."""
    shard = _survey(plan, pop, sim, died, upn)
    start, end = _day(plan.period_start), _day(plan.period_end)
    birth_after = np.timedelta64(int(plan.params["storyline_birth_after_onset_days"]), "D")
    used = np.zeros(len(pop.household_id), bool)
    placed = []
    for storyline_id, template in wanted:
        onset = start + np.timedelta64(
            int(rng.integers(template.onset.earliest_day, template.onset.latest_day + 1)), "D"
        )
        onset = min(onset, end)
        row = _subject(rng, plan, shard, born, template, storyline_id, onset + birth_after, used)
        hh = int(pop.people.household[row])
        used[hh] = True
        people = _cast(rng, shard, born, template, storyline_id, row, onset + birth_after, used)
        days = _event_days(rng, template, onset, start, end)
        placed.append(Placed(storyline_id, template, onset, hh, people, days))
        _mark(sim, template, people, onset, hh)
    return placed


def _subject(
    rng: np.random.Generator,
    plan: Plan,
    shard: _Shard,
    born: Births,
    template: Template,
    storyline_id: str,
    born_after: np.datetime64,
    used: NDArray[np.bool_],
) -> int:
    """The storyline's child: one of the shard's children who suits the template, in a household not yet used.

    A template with a birth in the period needs a household whose baby is born after `born_after` (and, for a
    couple, the child's own mother's baby)."""
    pop = shard.pop
    p = pop.people
    subject = template.subject
    eligible = shard.child & (p.age >= subject.min_age) & (p.age <= subject.max_age) & shard.live_hh[p.household]
    eligible &= ~used[p.household]
    if subject.sex != "any":
        eligible &= p.female == (subject.sex == "female")
    if template.needs_school() and shard.on_roll is not None:
        eligible &= shard.on_roll
    if template.household.couple:
        eligible &= shard.couple
    if template.household.no_risk:
        eligible &= ~shard.risky_hh[p.household]
    if template.concern == "none":
        eligible &= ~shard.any_need
    if template.household.birth_in_period:
        after = born.date_of_birth > born_after
        with_birth = np.zeros(len(pop.household_id), bool)
        with_birth[born.household[after]] = True
        eligible &= with_birth[p.household]
        if template.household.couple:  # the baby is the mother's
            mothers = np.zeros(len(p.person_id), bool)
            mothers[born.mother[after]] = True
            eligible &= mothers[np.maximum(pop.mother, 0)] & (pop.mother >= 0)
    candidates = np.flatnonzero(eligible)
    if len(candidates) == 0:
        raise SynthgenError(
            f"storylines: no household in shard {pop.shard} ({plan.shard_people[pop.shard]:,} people) suits "
            f"template {template.template!r} for {storyline_id} (a child aged {subject.min_age}-{subject.max_age}"
            f"{'' if subject.sex == 'any' else ', ' + subject.sex}, not already in a storyline); lower its count "
            "or raise population.people"
        )
    return int(candidates[rng.integers(0, len(candidates))])


def _cast(
    rng: np.random.Generator,
    shard: _Shard,
    born: Births,
    template: Template,
    storyline_id: str,
    row: int,
    born_after: np.datetime64,
    used: NDArray[np.bool_],
) -> dict[str, NDArray[np.int64]]:
    """The storyline's people by role: the subject (row), siblings, parents or the couple (mother and the
    perpetrator), the unborn baby, and an associate from another household not yet used."""
    pop = shard.pop
    p = pop.people
    hh = int(p.household[row])
    members = np.flatnonzero(p.household == hh)
    people: dict[str, NDArray[np.int64]] = {"subject": np.array([row], np.int64)}
    siblings = members[shard.child[members] & (members != row)]
    if len(siblings):
        people["sibling"] = siblings
    if template.household.couple:
        people["parent"] = np.array([pop.mother[row]], np.int64)
        people["perpetrator"] = np.array([shard.partner_of_mother[row]], np.int64)
    else:
        parents = [int(x) for x in (pop.mother[row], pop.father[row]) if x >= 0]
        if parents:
            people["parent"] = np.array(parents, np.int64)
    if template.household.birth_in_period:
        babies = np.flatnonzero((born.household == hh) & (born.date_of_birth > born_after))
        people["unborn"] = babies[:1].astype(np.int64)
    if template.associate is not None:
        a = template.associate
        adult = p.resident & shard.alive & (p.age >= a.min_age) & (p.age <= a.max_age) & ~used[p.household]
        if a.sex != "any":
            adult &= p.female == (a.sex == "female")
        adults = np.flatnonzero(adult)
        if len(adults) == 0:
            raise SynthgenError(
                f"storylines: no adult in shard {pop.shard} suits the associate of {storyline_id} "
                f"(aged {a.min_age}-{a.max_age}); raise population.people"
            )
        associate = int(adults[rng.integers(0, len(adults))])
        people["associate"] = np.array([associate], np.int64)
        used[p.household[associate]] = True
    return people


def _event_days(
    rng: np.random.Generator, template: Template, onset: np.datetime64, start: np.datetime64, end: np.datetime64
) -> list[NDArray[np.datetime64]]:
    """Each event's days in the period: its days after the onset, each moved by up to its jitter either way (an
    attendance event: the first day of its fall)."""
    days = []
    for event in template.events:
        if isinstance(event, AttendanceEvent):
            first = onset + np.timedelta64(event.from_day, "D")
            days.append(np.array([first] if first <= end else [], "datetime64[D]"))
            continue
        offsets = np.array(event.days, np.int64) + rng.integers(-event.jitter, event.jitter + 1, len(event.days))
        when = onset + np.maximum(offsets, 0).astype("timedelta64[D]")
        days.append(np.sort(when[(when >= start) & (when <= end)]))
    return days


def _mark(
    sim: Simulation, template: Template, people: dict[str, NDArray[np.int64]], onset: np.datetime64, hh: int
) -> None:
    """Let the simulation see the storyline: the child's needs (and its brothers' and sisters' when they are at
    risk too) from the onset, and the household's risk factors."""
    at_risk = people["subject"]
    if template.siblings_at_risk and "sibling" in people:
        at_risk = np.r_[at_risk, people["sibling"]]
    for need in template.needs:
        sim.needs[need][at_risk] = True
    if template.needs:
        sim.onset[at_risk] = np.where(np.isnat(sim.onset[at_risk]), onset, np.minimum(sim.onset[at_risk], onset))
    factors = {
        "domestic_abuse": sim.domestic_abuse,
        "parental_mental_health": sim.parental_mental_health,
        "substance_misuse": sim.substance_misuse,
    }
    for factor in template.household_factors:
        factors[factor][hh] = True
