"""Group-dependent errors: mechanisms that make some errors likelier for the people of some groups.

Linkage errors in English data fall unevenly (Hagger-Johnson et al. 2015; Harron et al. 2017; Libuy et al. 2021):
names from unfamiliar traditions are transliterated and misspelt, recent arrivals have no NHS number yet, families
in deprived areas move more often, infants' first records are made before their details settle. Each mechanism
is a named set of rows in reference/data/quality_groups.csv: for one dimension of synthgen.person_groups, each
group's multiplier of some (field, kind) error rates, with its source. The rate in quality_rates.csv is then the
rate for everyone the mechanisms leave alone; a record whose person is in several groups takes the product of
their multipliers, capped so that the chance never exceeds 1.

A scenario switches them all off (`data_quality.mechanisms.enabled: false`), some off (`off: [...]`), or changes
a group's multiplier (`multipliers: {recent_arrival: {Black: 4}}`). The multipliers scale the chance each record is
drawn against with the same random numbers as before, so switching the mechanisms off reproduces the uniform
model exactly, and a record outside every group gets the error it would have got anyway.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from synthgen import person_groups, reference
from synthgen.quality.changes import RowScale
from synthgen.scenario.plan import Plan
from synthgen.world.births import Births
from synthgen.world.population import ID_STRIDE, Population


@dataclass(frozen=True)
class Rule:
    """One group's multiplier of some error rates, as the scenario leaves it."""

    mechanism: str
    dimension: str
    group: int  # code in person_groups.LABELS[dimension]
    min_age: int
    multiplier: float
    errors: tuple[tuple[str, str], ...]
    agencies: tuple[str, ...] | None


def rules_for(enabled: bool, off: list[str], multipliers: Mapping[str, Mapping[str, float]]) -> tuple[Rule, ...]:
    """The shipped rules with a scenario's changes: none when switched off; a group a scenario names but the file
    does not gets the mechanism's errors, agencies and ages from the mechanism's first row."""
    if not enabled:
        return ()
    shipped = [rule for rule in reference.quality_groups() if rule.mechanism not in off]
    result = []
    for rule in shipped:
        value = multipliers.get(rule.mechanism, {}).get(rule.group, rule.multiplier)
        code = person_groups.LABELS[rule.dimension].index(rule.group)
        result.append(Rule(rule.mechanism, rule.dimension, code, rule.min_age, value, rule.errors, rule.agencies))
    for mechanism, groups in multipliers.items():
        first = next((rule for rule in shipped if rule.mechanism == mechanism), None)
        if first is None:
            continue
        named = {rule.group for rule in shipped if rule.mechanism == mechanism}
        for group, value in groups.items():
            if group not in named:
                code = person_groups.LABELS[first.dimension].index(group)
                extra = Rule(mechanism, first.dimension, code, first.min_age, value, first.errors, first.agencies)
                result.append(extra)
    return tuple(rule for rule in result if rule.multiplier != 1.0)


def plan_rules(plan: Plan) -> tuple[Rule, ...]:
    chosen = plan.scenario.data_quality.mechanisms
    return rules_for(chosen.enabled, chosen.off, chosen.multipliers)


@dataclass(frozen=True)
class PersonGroups:
    """Every person row of one shard (the population's, then the babies born in the period) with their groups and
    age in whole years at the period's start."""

    codes: person_groups.Codes
    age: NDArray[np.int64]

    @staticmethod
    def of(plan: Plan, pop: Population, born: Births) -> PersonGroups:
        p = pop.people
        # each ethnicity's group code, then indexed by person (a handful of labels rather than a column of strings)
        ethnic = person_groups.ethnic_group_codes(np.asarray(reference.ethnicities().groups, dtype=object))
        age = np.r_[p.age, np.zeros(len(born), np.int64)].astype(np.int64)
        score = pop.household_deprivation[np.r_[p.household, born.household]]
        return PersonGroups(
            codes={
                "ethnic_group": ethnic[np.r_[p.ethnicity, born.ethnicity]].astype(np.int64),
                "age_band": person_groups.age_band_codes(age),
                "sex": person_groups.sex_codes(np.r_[p.female, born.female]),
                "deprivation_quintile": person_groups.deprivation_quintile_codes(
                    score, person_groups.deprivation_cuts(plan.params)
                ),
            },
            age=age,
        )


@dataclass(frozen=True)
class Scaling:
    """The rules that apply to one agency's rates, and the shard's people: what turns a table's rows into each
    error's per-row multipliers."""

    rules: tuple[Rule, ...]
    people: PersonGroups
    shard: int

    @staticmethod
    def of(rules: tuple[Rule, ...], agency: str, people: PersonGroups, shard: int) -> Scaling:
        mine = tuple(rule for rule in rules if rule.agencies is None or agency in rule.agencies)
        return Scaling(mine, people, shard)

    def rows(self, person_id: NDArray[np.int64]) -> RowScale | None:
        """Each error's multiplier for the rows of a table whose people are `person_id` (None: no rule applies)."""
        if not self.rules:
            return None
        row = person_id - self.shard * ID_STRIDE
        known = (row >= 0) & (row < len(self.people.age))
        at = np.where(known, row, 0)
        result: dict[tuple[str, str], NDArray[np.float64]] = {}
        age = self.people.age[at]
        codes = {dimension: self.people.codes[dimension][at] for dimension in {rule.dimension for rule in self.rules}}
        for rule in self.rules:  # a handful of rules, each over whole columns
            hit = known & (codes[rule.dimension] == rule.group) & (age >= rule.min_age)
            factor = np.where(hit, rule.multiplier, 1.0)
            for error in rule.errors:
                result[error] = result[error] * factor if error in result else factor
        return RowScale(result)
