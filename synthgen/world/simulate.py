"""The year the population lives through: risk in households and children, and births, as truth.

Risk drives every agency together, so signals co-occur as they do in life: a household's adversity (higher with
deprivation) raises its chances of domestic abuse, parental mental ill health and substance misuse, which
co-occur through that shared adversity; a child's risk adds the household's risk factors to its own, and the
child-level needs (neglect, abuse, exploitation, going missing, self-harm) follow the child's risk. The agency
modules turn this truth into records: police incidents, A&E attendances, absence, referrals and plans.

Shares are set by rank within the shard (the highest scores get the need), so each need's prevalence is exactly
its configured share while who gets it follows the risk.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from synthgen.kernel.arrays import top
from synthgen.kernel.rng import shard_stream
from synthgen.scenario.plan import Plan
from synthgen.world.population import ROLE, Population

NEEDS = {
    # need: (share of children in the age range, youngest, oldest), design figures tuned against the CIN census
    "neglect": (0.020, 0, 17),
    "emotional_abuse": (0.014, 0, 17),
    "physical_abuse": (0.006, 0, 17),
    "sexual_abuse": (0.003, 0, 17),
    "child_sexual_exploitation": (0.008, 11, 17),
    "child_criminal_exploitation": (0.010, 10, 17),
    "going_missing": (0.012, 10, 17),
    "self_harm": (0.015, 11, 17),
}
"""Child-level needs during the year: (share of children in the ages, youngest, oldest); design, see SOURCES.md."""


@dataclass
class Simulation:
    """Risk, as truth, for one shard's population over the period."""

    household_adversity: NDArray[np.float64]  # per household: standardised, higher is worse
    domestic_abuse: NDArray[np.bool_]  # per household
    parental_mental_health: NDArray[np.bool_]  # per household
    substance_misuse: NDArray[np.bool_]  # per household
    risk: NDArray[np.float64]  # per person: a child's risk (household adversity + factors + own); adults too
    needs: dict[str, NDArray[np.bool_]] = field(default_factory=dict)  # per person
    onset: NDArray[np.datetime64] = field(default_factory=lambda: np.zeros(0, "datetime64[D]"))  # per person

    def any_need(self) -> NDArray[np.bool_]:
        result = np.zeros(len(self.risk), bool)
        for mask in self.needs.values():
            result |= mask
        return result


def _top_share(scores: NDArray[np.float64], eligible: NDArray[np.bool_], share: float) -> NDArray[np.bool_]:
    """The eligible rows with the highest scores, `share` of them (rounded), as a mask."""
    chosen = np.zeros(len(scores), bool)
    where = np.flatnonzero(eligible)
    chosen[where[top(scores[where], round(share * len(where)))]] = True
    return chosen


def simulate(plan: Plan, pop: Population) -> Simulation:
    """Risk factors of households and needs of children for one shard."""
    params = plan.params
    rng = shard_stream(plan.seed, pop.shard, "simulate")
    p = pop.people
    n_hh = len(pop.household_id)
    deprivation = pop.household_deprivation
    adversity = rng.normal(0.0, 1.0, n_hh) + 2.5 * (deprivation - deprivation.mean())
    # standardised over the shard (a one-household shard has no spread: its household is simply average)
    adversity = (adversity - adversity.mean()) / (adversity.std() or 1.0)
    shared = params["risk_factor_shared_weight"]
    own = np.sqrt(1 - shared**2)
    adults_under_65 = np.bincount(p.household, weights=((p.age >= 18) & (p.age < 65)).astype(float), minlength=n_hh) > 0
    children = np.bincount(p.household, weights=(p.age < 18).astype(float), minlength=n_hh) > 0
    live = pop.household_in_area

    def factor(name: str, eligible: NDArray[np.bool_]) -> NDArray[np.bool_]:
        score = shared * adversity + own * rng.normal(0.0, 1.0, n_hh)
        return _top_share(score, eligible & live, params[name])

    domestic_abuse = factor("domestic_abuse_household_share", adults_under_65)
    mental_health = factor("parental_mental_health_household_share", children)
    substance = factor("substance_misuse_household_share", children)
    household_risk = adversity + 0.8 * domestic_abuse + 0.6 * mental_health + 0.8 * substance
    risk = household_risk[p.household] + rng.normal(0.0, 0.8, len(p.person_id))
    child = p.resident & (p.age < 18) & (p.role == ROLE["child"])
    needs = {}
    for name, (share, youngest, oldest) in NEEDS.items():
        eligible = child & (p.age >= youngest) & (p.age <= oldest)
        needs[name] = _top_share(risk + rng.normal(0.0, 0.7, len(risk)), eligible, share)
    sim = Simulation(
        household_adversity=adversity,
        domestic_abuse=domestic_abuse,
        parental_mental_health=mental_health,
        substance_misuse=substance,
        risk=risk,
        needs=needs,
    )
    has_need = sim.any_need()
    # a need began some time before or during the period: uniformly over the year before the start to the end
    sim.onset = np.full(len(risk), np.datetime64("NaT"), dtype="datetime64[D]")
    sim.onset[has_need] = np.datetime64(plan.period_start, "D") + rng.integers(
        -365, plan.days, int(has_need.sum())
    ).astype("timedelta64[D]")
    return sim
