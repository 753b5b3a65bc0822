"""From what the user wrote (a Scenario) to what the program runs (a Plan).

The plan fixes everything that must be the same for every shard and every number of workers: the shard sizes,
the area's postcodes and streets, the GP practices and schools, and which part of each identifier space each
shard draws from. Shards then work independently from the plan alone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from synthgen import reference
from synthgen.kernel import identifiers
from synthgen.kernel.rng import run_key, run_stream
from synthgen.reference import LocalAuthority, Parameters, Postcodes
from synthgen.scenario import places
from synthgen.scenario.local_area import Demography, demography, local_parameters
from synthgen.scenario.places import Services, Streets
from synthgen.scenario.schema import Scenario

SHARD_PEOPLE = 50_000
"""Residents per shard: small enough to bound a worker's memory, large enough to amortise the fixed costs."""

MAX_PEOPLE_PER_POSTCODE = 250
NHS_RANGES = {"test": identifiers.NHS_TEST_BASES, "unallocated": identifiers.NHS_UNALLOCATED_BASES}


@dataclass(frozen=True)
class Plan:
    scenario: Scenario
    scenario_sha256: str
    seed: int
    la: LocalAuthority
    period_start: dt.date
    period_end: dt.date
    shard_people: tuple[int, ...]
    postcodes: Postcodes
    streets: NDArray[np.str_]  # the street of each postcode
    towns: NDArray[np.str_]  # the post town of each postcode
    places: Streets  # each postcode's street id, house numbers covered and neighbourhood deprivation decile
    shard_of_postcode: NDArray[np.int64]
    practices: Services
    schools: Services
    nhs_bases: tuple[int, int]
    record_key: int
    params: Parameters
    """The model's numbers for this run: England's defaults, the authority's own rates on them, and the scenario's
    `rates` on top."""
    demography: Demography
    """The authority's people: ethnicity, ages and sex, households, deprivation (synthgen.scenario.local_area)."""

    @property
    def shards(self) -> int:
        return len(self.shard_people)

    @property
    def people(self) -> int:
        return sum(self.shard_people)

    @property
    def days(self) -> int:
        """Days in the period, both ends included."""
        return (self.period_end - self.period_start).days + 1

    @property
    def years(self) -> float:
        return self.days / 365.25


def scenario_sha256(scenario: Scenario) -> str:
    """A fingerprint of everything that shapes the output (the resolved scenario, not its comments)."""
    canonical = json.dumps(scenario.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def spare_nhs_numbers(people: int, params: Parameters, days: int) -> int:
    """NHS numbers a shard of `people` holds beyond one a person: for duplicate registrations made afresh
    (`spare_nhs_number_share`) and for the babies born in the period.

    The share was sized for a year's births as well as the duplicates; a longer period (or a higher birth rate) gets
    the births beyond half of it on top, so that a three-year period has numbers for three years of babies (a
    year's period is allocated exactly as before)."""
    spare = int(people * params["spare_nhs_number_share"]) + 16
    births = math.ceil(params["birth_rate"] * people * max(days, 366) / 365.25)
    return spare + max(0, births - (int(people * params["spare_nhs_number_share"]) // 2 + 16))


def split_people(people: int) -> tuple[int, ...]:
    """Equal shards of about SHARD_PEOPLE residents (sizes differ by at most one)."""
    count = max(1, math.ceil(people / SHARD_PEOPLE))
    base, extra = divmod(people, count)
    return tuple(base + (1 if i < extra else 0) for i in range(count))


def cross_checks(scenario: Scenario) -> list[tuple[str, str]]:
    """Problems that only show when sections are read together: (dotted path, message)."""
    problems = []
    people = scenario.population.people
    shards = split_people(people)
    params = Parameters(scenario.rates)
    former = params["former_resident_share"]
    bases = NHS_RANGES[scenario.identifiers.nhs_numbers]
    per_shard = identifiers.nhs_capacity(identifiers.segment(*bases, 0, len(shards)))
    # the babies of a period longer than a year take numbers beyond the share (spare_nhs_numbers)
    days = (scenario.period.end - scenario.period.start).days + 1
    residents = math.ceil(max(shards) * (1 + former))
    births = spare_nhs_numbers(residents, params, days) - (int(residents * params["spare_nhs_number_share"]) + 16)
    share = params["spare_nhs_number_share"] + births / residents
    needed = math.ceil(max(shards) * (1 + former) * (1 + params["spare_nhs_number_share"])) + 80 + births
    if needed > per_shard:
        capacity = int(per_shard * len(shards) / (1 + former) / (1 + share))
        problems.append(
            (
                "identifiers.nhs_numbers",
                f"{scenario.identifiers.nhs_numbers!r} holds NHS numbers for about {capacity:,} people, "
                f"too few for {people:,}; use 'unallocated' for larger runs",
            )
        )
    # only the LA's own postcodes are used, so they are what must hold the people (an outward code can have but
    # one postcode inside the LA and thousands beyond it)
    la = reference.local_authorities()[scenario.area.la_number]
    postcodes = reference.postcodes_in(scenario.area.outward_codes, la)
    if len(postcodes.postcode) and people / len(postcodes.postcode) > MAX_PEOPLE_PER_POSTCODE:
        most = len(postcodes.postcode) * MAX_PEOPLE_PER_POSTCODE
        problems.append(
            (
                "area.outward_codes",
                f"{la.name} has {len(postcodes.postcode):,} postcode{'' if len(postcodes.postcode) == 1 else 's'} "
                f"in these outward codes, room for at most {most:,} people "
                f"({MAX_PEOPLE_PER_POSTCODE} a postcode), not {people:,}; add outward codes",
            )
        )
    if len(postcodes.postcode) < len(shards):
        problems.append(
            ("area.outward_codes", f"needs at least {len(shards)} postcodes of {la.name} for {people:,} people")
        )
    return problems


def make_plan(scenario: Scenario) -> Plan:
    """Resolve a validated scenario into the plan every shard works from."""
    la = reference.local_authorities()[scenario.area.la_number]
    params = Parameters({**local_parameters(la.number, scenario.period.end), **scenario.rates})
    people_of = demography(la.number, params)
    postcodes = reference.postcodes_in(scenario.area.outward_codes, la)
    people = scenario.population.people
    shard_people = split_people(people)
    rng = run_stream(scenario.seed, "plan")
    streets = places.streets(rng, params, postcodes, people_of.deprivation)
    shard_of_postcode = places.shard_of_postcode(rng, streets.street, len(shard_people))
    practices = places.services(
        rng, "practice", places.practice_count(params, people), postcodes, streets.name, la.region,
        params["gp_list_size_sigma"],
    )  # fmt: skip
    schools = places.concatenated(
        places.services(
            rng, phase, places.school_count(params, people, people_of.ages, phase), postcodes, streets.name,
            la.region, params[f"{phase}_school_size_sigma"],
        )
        for phase in ("primary", "secondary")
    )  # fmt: skip
    # URNs are one national series: draw them for all schools at once so that none repeats.
    urns = (rng.choice(50_000, size=len(schools.code), replace=False) + 100_000).astype(str)
    schools = Services(urns, schools.name, schools.kind, schools.establishment, schools.postcode_index, schools.size)
    return Plan(
        scenario=scenario,
        scenario_sha256=scenario_sha256(scenario),
        seed=scenario.seed,
        la=la,
        period_start=scenario.period.start,
        period_end=scenario.period.end,
        shard_people=shard_people,
        postcodes=postcodes,
        streets=streets.name,
        towns=places.post_towns(postcodes, la.name),
        places=streets,
        shard_of_postcode=shard_of_postcode,
        practices=practices,
        schools=schools,
        nhs_bases=NHS_RANGES[scenario.identifiers.nhs_numbers],
        record_key=run_key(scenario.seed, "record-ids"),
        params=params,
        demography=people_of,
    )
