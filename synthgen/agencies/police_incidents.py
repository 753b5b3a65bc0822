"""Police incidents: what brings people to the force's notice, gathered block by block into an incident book.

Police meet people through what happens to them, so the incidents come from the simulated year: domestic abuse
in the households the simulation says live with it (and a few one-off incidents elsewhere), missing episodes of
children who go missing or are exploited, background assaults, sexual offences, drug offences and anti-social
behaviour (who is involved follows age, sex and the person's risk), and the incidents children's needs bring.
Every number is a parameter of the run's plan (parameters/police.csv) with its source; the records the force
keeps of these incidents and of the people in them are made in police.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from synthgen.kernel.arrays import rank_within, top
from synthgen.kernel.dates import moments
from synthgen.reference import Parameters
from synthgen.scenario.plan import Plan
from synthgen.world.population import ROLE, Population
from synthgen.world.simulate import Simulation

INCIDENT_TYPES = ("domestic_abuse", "missing_person", "assault", "sexual_offence", "drugs", "antisocial_behaviour")
PERSON_ROLES = ("victim", "suspect", "witness", "child_present", "missing_person")
DASH_LEVELS = ("standard", "medium", "high")
_TYPE = {name: index for index, name in enumerate(INCIDENT_TYPES)}
_ROLE = {name: index for index, name in enumerate(PERSON_ROLES)}


def hour_weights(params: Parameters) -> NDArray[np.float64]:
    """The hour of day of incidents (police_incident_hour_weight.h00 .. h23): quiet before dawn and busiest in the
    evening, as police demand is."""
    return params.values_of("police_incident_hour_weight")


@dataclass(frozen=True)
class _Profile:
    """Who is drawn into a kind of incident: weights by age band, by sex, and exp(risk * sim.risk).

    bands are (youngest age, weight) pairs, ascending; ages below the first band weigh nothing (for suspects
    the first band starts at 10, England's age of criminal responsibility).
    """

    bands: tuple[tuple[int, float], ...]
    male: float
    female: float
    risk: float

    @classmethod
    def of(cls, params: Parameters, name: str) -> _Profile:
        """The profile the parameters give `name`: police_<name>_age_weight.age_<age> (the bands, the youngest
        age in the label), police_<name>_sex_weight.male and .female, and police_<name>_risk_weight."""
        ages = params.series(f"police_{name}_age_weight")
        sex = params.series(f"police_{name}_sex_weight")
        bands = tuple((int(label.removeprefix("age_")), weight) for label, weight in ages.items())
        return cls(bands, sex["male"], sex["female"], params[f"police_{name}_risk_weight"])

    def weights(
        self, age: NDArray[np.int64], female: NDArray[np.bool_], risk: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        lows = np.array([low for low, _ in self.bands])
        by_age = np.r_[0.0, [weight for _, weight in self.bands]][np.searchsorted(lows, age, side="right")]
        result: NDArray[np.float64] = by_age * np.where(female, self.female, self.male) * np.exp(self.risk * risk)
        return result


@dataclass(frozen=True)
class _Kind:
    """A background kind of incident and who is in it; its rates are police_background_*.<name> parameters."""

    name: str
    per_1000: float  # incidents per 1,000 residents a year
    crime: bool  # recorded as a crime (else a non-crime incident)
    victim: _Profile | None
    suspect: _Profile
    suspect_known: float  # chance a suspect is identified (else no suspect row)
    witness: float  # chance of a witness (a caller) among the residents
    arrest: float  # chance an identified suspect is arrested
    at_home: float  # chance the incident is at the home of the victim (or the suspect), else anywhere in the area


BACKGROUND = (
    # kind, recorded as a crime, who the victims are (none: no victim row), who the suspects are
    ("assault", True, "violence_victim", "offender"),
    ("sexual_offence", True, "sexual_victim", "sexual_offender"),
    ("drugs", True, None, "drugs_suspect"),
    ("antisocial_behaviour", False, None, "asb_suspect"),
)
"""The background kinds of incident and the profiles (police_<profile>_*) of the people in them."""


def _kinds(params: Parameters) -> tuple[_Kind, ...]:
    """The background kinds with the run's rates."""

    def rate(field: str, kind: str) -> float:
        return params[f"police_background_{field}.{kind}"]

    return tuple(
        _Kind(
            name,
            rate("per_1000", name),
            crime,
            _Profile.of(params, victim) if victim else None,
            _Profile.of(params, suspect),
            rate("suspect_known_share", name),
            rate("witness_share", name),
            rate("arrest_share", name),
            rate("at_home_share", name),
        )
        for name, crime, victim, suspect in BACKGROUND
    )


class IncidentBook:
    """Incidents and involvements gathered block by block (a handful of blocks, each a whole column)."""

    def __init__(self) -> None:
        self.kind: list[NDArray[np.int64]] = []
        self.time: list[NDArray[np.datetime64]] = []
        self.crime: list[NDArray[np.bool_]] = []
        self.dash: list[NDArray[np.int64]] = []
        self.location: list[NDArray[np.int64]] = []
        self.incident: list[NDArray[np.int64]] = []
        self.person: list[NDArray[np.int64]] = []
        self.role: list[NDArray[np.int64]] = []
        self.arrested: list[NDArray[np.bool_]] = []
        self.count = 0

    def add(
        self,
        kind: str,
        time: NDArray[np.datetime64],
        crime: NDArray[np.bool_],
        location: NDArray[np.int64],
        dash: NDArray[np.int64] | None = None,
    ) -> NDArray[np.int64]:
        """Append incidents; returns their positions."""
        n = len(time)
        self.kind.append(np.full(n, _TYPE[kind], np.int64))
        self.time.append(time.astype("datetime64[s]"))
        self.crime.append(np.asarray(crime, bool))
        self.dash.append(np.full(n, -1, np.int64) if dash is None else dash)
        self.location.append(location)
        positions = self.count + np.arange(n, dtype=np.int64)
        self.count += n
        return positions

    def involve(
        self,
        incident: NDArray[np.int64],
        person: NDArray[np.int64],
        role: str,
        arrested: NDArray[np.bool_] | None = None,
    ) -> None:
        """Record people in incidents; rows whose person is -1 (nobody identified) are dropped."""
        keep = person >= 0
        self.incident.append(incident[keep])
        self.person.append(person[keep])
        self.role.append(np.full(int(keep.sum()), _ROLE[role], np.int64))
        self.arrested.append(np.zeros(int(keep.sum()), bool) if arrested is None else arrested[keep])


def _draw(rng: np.random.Generator, weights: NDArray[np.float64], n: int) -> NDArray[np.int64]:
    """n rows drawn with replacement in proportion to weights; -1 when nobody is eligible."""
    total = float(weights.sum())
    if n == 0 or total <= 0:
        return np.full(n, -1, np.int64)
    result: NDArray[np.int64] = rng.choice(len(weights), size=n, p=weights / total).astype(np.int64)
    return result


def domestic_abuse(
    rng: np.random.Generator,
    plan: Plan,
    pop: Population,
    sim: Simulation,
    book: IncidentBook,
    end: np.datetime64,
) -> None:
    """Domestic incidents, calibrated so the period's domestic-abuse crimes come to domestic_abuse_crimes_per_1000.

    The expected number of incidents is fixed by the target (crimes / crime share); the shard's total is Poisson
    about it and is spread over abusive households by a gamma-mixed multinomial, a few going elsewhere.
    """
    p = pop.people
    start, size, partner = pop.household_head, pop.household_size, pop.household_partner
    params = plan.params
    hours = hour_weights(params)
    n_hh = len(start)
    residents = int(p.resident.sum())
    expected = (
        params["domestic_abuse_crimes_per_1000"]
        * residents
        / 1000
        * plan.years
        / (1 - params["domestic_abuse_non_crime_share"])
    )
    total = int(rng.poisson(expected))
    abusive = np.flatnonzero(sim.domestic_abuse)
    adult_under_65 = np.bincount(p.household, weights=((p.age >= 18) & (p.age < 65)).astype(float), minlength=n_hh)
    others = np.flatnonzero(pop.household_in_area & (adult_under_65 > 0) & ~sim.domestic_abuse)
    elsewhere = int(rng.binomial(total, params["domestic_abuse_elsewhere_share"])) if len(abusive) else total
    elsewhere = elsewhere if len(others) else 0
    # the more adverse households call the police a little more often
    weight = rng.gamma(params["domestic_abuse_household_shape"], 1.0, len(abusive)) * np.exp(
        params["domestic_abuse_call_adversity_weight"] * sim.household_adversity[abusive]
    )
    counts = rng.multinomial(total - elsewhere, weight / weight.sum()) if len(abusive) else np.zeros(0, np.int64)
    hh = np.r_[np.repeat(abusive, counts), others[rng.integers(0, max(len(others), 1), elsewhere)]].astype(np.int64)
    n = len(hh)
    time = moments(rng, np.array([np.datetime64(plan.period_start, "D")]), end, n, hours)

    # who: the head and the head's partner; in a man-and-woman couple the woman is usually the victim; with no
    # partner at home the suspect is an ex-partner living elsewhere, of whom the force holds no nominal here
    head_female = p.female[start]
    has_partner = partner >= 0
    partner_female = p.female[np.maximum(partner, 0)]
    mixed = has_partner & (head_female != partner_female)
    u = rng.random(n_hh)
    victim_is_head = np.where(
        mixed, (u < params["domestic_abuse_female_victim_share"]) == head_female, ~has_partner | (u < 0.5)
    )
    victim_hh = np.where(victim_is_head, start, partner)
    suspect_hh = np.where(has_partner, np.where(victim_is_head, partner, start), -1)

    # DASH: the household's severity, rising with each repeat; shares exact by rank within the shard
    severity = params["dash_adversity_weight"] * sim.household_adversity + rng.normal(0.0, 1.0, n_hh)
    repeat = rank_within(hh, time)
    latent = severity[hh] + params["dash_repeat_step"] * repeat + rng.normal(0.0, 0.8, n)
    latent[n - elsewhere :] -= 1.0  # one-off incidents are rarely the gravest
    rank = np.empty(n, np.int64)
    rank[np.argsort(latent, kind="stable")] = np.arange(n)
    dash_shares = list(params.series("dash_risk_share").values())
    dash = (rank >= round(dash_shares[0] * n)).astype(np.int64) + (rank >= round(sum(dash_shares[:2]) * n))
    crime = top(latent + rng.normal(0.0, 1.0, n), round((1 - params["domestic_abuse_non_crime_share"]) * n))
    incident = book.add("domestic_abuse", time, crime, pop.household_postcode[hh], dash)
    book.involve(incident, victim_hh[hh], "victim")
    book.involve(incident, suspect_hh[hh], "suspect", crime & (rng.random(n) < params["domestic_abuse_arrest_share"]))

    # everyone else at home: children (under 18) present, other adults now and then witnesses
    sizes = size[hh]
    which = np.repeat(np.arange(n), sizes)
    member = np.repeat(start[hh], sizes) + np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    child = (p.role[member] == ROLE["child"]) & (p.age[member] < 18)
    present = child & (rng.random(len(member)) < params["domestic_abuse_child_present_share"])
    book.involve(incident[which[present]], member[present], "child_present")
    bystander = ~child & (p.age[member] >= 18) & (member != victim_hh[hh][which]) & (member != suspect_hh[hh][which])
    witness = bystander & (rng.random(len(member)) < params["domestic_abuse_witness_share"])
    book.involve(incident[which[witness]], member[witness], "witness")


def missing_children(
    rng: np.random.Generator,
    plan: Plan,
    pop: Population,
    sim: Simulation,
    book: IncidentBook,
    end: np.datetime64,
    scripted: int = 0,
) -> None:
    """Missing children, at England's count per child and episodes per missing child, exactly by rank.

    Children who go missing come first, then sexually or criminally exploited children, then (only if the
    scenario's needs fall short) the children at highest risk. Extra episodes beyond the first are spread over
    them by a gamma-mixed multinomial, so the mean is exact and a few children go missing many times. `scripted`
    episodes (planted storylines, added apart) come out of the extra ones, so the shard keeps England's mean.
    """
    p = pop.people
    children = p.resident & (p.age < 18)
    params = plan.params
    where = np.flatnonzero(children)
    wanted = min(round(params["missing_children_per_10k_children"] / 10_000 * len(where) * plan.years), len(where))
    exploited = sim.needs["child_sexual_exploitation"] | sim.needs["child_criminal_exploitation"]
    score = 10.0 * sim.needs["going_missing"] + 5.0 * exploited + sim.risk + rng.normal(0.0, 0.5, len(p.age))
    missing = where[top(score[where], wanted)]
    extra = max(round((params["missing_episodes_per_missing_child"] - 1) * wanted) - scripted, 0)
    weight = rng.gamma(params["missing_episode_shape"], 1.0, wanted)
    episodes = 1 + (rng.multinomial(extra, weight / weight.sum()) if wanted else np.zeros(0, np.int64))
    child = np.repeat(missing, episodes)
    period_start = np.datetime64(plan.period_start, "D")
    onset = sim.onset[child]
    first = np.where(np.isnat(onset) | (onset < period_start), period_start, onset)
    time = moments(rng, first, end, len(child), hour_weights(params))
    incident = book.add("missing_person", time, np.zeros(len(child), bool), pop.household_postcode[p.household[child]])
    book.involve(incident, child, "missing_person")


def background(
    rng: np.random.Generator, plan: Plan, pop: Population, sim: Simulation, book: IncidentBook, end: np.datetime64
) -> None:
    """Assaults, sexual offences, drug offences and anti-social behaviour among the residents (BACKGROUND)."""
    p = pop.people
    params = plan.params
    hours = hour_weights(params)
    caller = _Profile.of(params, "caller")
    resident = p.resident
    period_start = np.array([np.datetime64(plan.period_start, "D")])
    n_postcodes = len(plan.postcodes.postcode)
    home = pop.household_postcode[p.household]
    for kind in _kinds(params):
        n = int(rng.poisson(kind.per_1000 * int(resident.sum()) / 1000 * plan.years))
        time = moments(rng, period_start, end, n, hours)
        victim = (
            _draw(rng, resident * kind.victim.weights(p.age, p.female, sim.risk), n)
            if kind.victim
            else np.full(n, -1, np.int64)
        )
        suspect = _draw(rng, resident * kind.suspect.weights(p.age, p.female, sim.risk), n)
        suspect[(rng.random(n) >= kind.suspect_known) | (suspect == victim)] = -1
        witness = _draw(rng, resident * caller.weights(p.age, p.female, sim.risk), n)
        witness[(rng.random(n) >= kind.witness) | (witness == victim) | (witness == suspect)] = -1
        anchor = np.where(victim >= 0, victim, np.where(suspect >= 0, suspect, witness))
        at_home = (rng.random(n) < kind.at_home) & (anchor >= 0)
        location = np.where(at_home, home[np.maximum(anchor, 0)], rng.integers(0, n_postcodes, n))
        incident = book.add(kind.name, time, np.full(n, kind.crime), location)
        book.involve(incident, victim, "victim")
        book.involve(incident, suspect, "suspect", kind.crime & (rng.random(n) < kind.arrest))
        book.involve(incident, witness, "witness")


def needs(
    rng: np.random.Generator,
    plan: Plan,
    pop: Population,
    sim: Simulation,
    book: IncidentBook,
    end: np.datetime64,
) -> None:
    """Incidents children's needs bring to the police, after the need began."""
    p = pop.people
    params = plan.params
    hours = hour_weights(params)
    start, partner = pop.household_head, pop.household_partner
    period_start = np.datetime64(plan.period_start, "D")
    home = pop.household_postcode[p.household]
    n_postcodes = len(plan.postcodes.postcode)

    def episodes(need: str, per_year: float) -> NDArray[np.int64]:
        """Children with the need, repeated once per incident (Poisson over the period)."""
        rows = np.flatnonzero(sim.needs[need])
        return np.repeat(rows, rng.poisson(per_year * plan.years, len(rows)))

    def when(rows: NDArray[np.int64]) -> NDArray[np.datetime64]:
        onset = sim.onset[rows]
        first = np.where(np.isnat(onset) | (onset < period_start), period_start, onset)
        return moments(rng, first, end, len(rows), hours)

    # physical abuse: an assault by the head of the household (or the head's partner when the head is the child's
    # other parent at home and a man), at home
    child = episodes("physical_abuse", params["physical_abuse_reported_per_year"])
    hh = p.household[child]
    head, other = start[hh], partner[hh]
    by_partner = (
        (other >= 0)
        & ~p.female[np.maximum(other, 0)]
        & (rng.random(len(child)) < params["physical_abuse_partner_suspect_share"])
    )
    suspect = np.where(by_partner, other, head)
    suspect[suspect == child] = -1
    incident = book.add("assault", when(child), np.ones(len(child), bool), home[child])
    book.involve(incident, child, "victim")
    book.involve(incident, suspect, "suspect", rng.random(len(child)) < params["physical_abuse_arrest_share"])

    # sexual abuse: a man at home is the suspect when there is one, else nobody identified
    child = episodes("sexual_abuse", params["sexual_abuse_reported_per_year"])
    hh = p.household[child]
    head, other = start[hh], partner[hh]
    suspect = np.where(~p.female[head], head, np.where((other >= 0) & ~p.female[np.maximum(other, 0)], other, -1))
    suspect[suspect == child] = -1
    incident = book.add("sexual_offence", when(child), np.ones(len(child), bool), home[child])
    book.involve(incident, child, "victim")
    book.involve(incident, suspect, "suspect", rng.random(len(child)) < params["sexual_abuse_arrest_share"])

    # sexual exploitation: offences away from home; the abuser identified now and then, a young man
    child = episodes("child_sexual_exploitation", params["cse_offences_per_year"])
    weights = (
        p.resident
        * _Profile.of(params, "sexual_offender").weights(p.age, p.female, sim.risk)
        * (p.age >= 18)
        * (p.age < 40)
    )
    suspect = _draw(rng, weights, len(child))
    suspect[rng.random(len(child)) >= params["cse_suspect_identified_share"]] = -1
    incident = book.add(
        "sexual_offence", when(child), np.ones(len(child), bool), rng.integers(0, n_postcodes, len(child))
    )
    book.involve(incident, child, "victim")
    book.involve(incident, suspect, "suspect", rng.random(len(child)) < params["cse_arrest_share"])

    # criminal exploitation: found with drugs anywhere in the area (county lines), usually arrested
    child = episodes("child_criminal_exploitation", params["cce_drug_incidents_per_year"])
    incident = book.add("drugs", when(child), np.ones(len(child), bool), rng.integers(0, n_postcodes, len(child)))
    book.involve(incident, child, "suspect", rng.random(len(child)) < params["cce_arrest_share"])
