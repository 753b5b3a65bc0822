"""The groups a person belongs to, as both the data-quality model and the evaluations define them: ethnic group,
age band, sex and deprivation quintile.

One definition serves both sides so that an error mechanism planted for a group (synthgen/quality/mechanisms.py)
and the scores reported for that group (synthgen/evaluation/groups.py) are about the same people. Everything
is a column of small integer codes beside a tuple of labels, so a group is a `bincount` away.

- **ethnic_group**: the 2021 census's five high-level groups, which is what the linkage studies report by
  (Hagger-Johnson et al. 2015; Harron et al. 2017; Libuy et al. 2021).
- **age_band**: whole years on the period's first day (babies born in the period are under 1), in bands that
  follow the services: infants (whose records Harron et al. 2017 found most error-prone), pre-school, primary,
  secondary, young adults, working age, older people.
- **sex**: F or M, as the truth holds it.
- **deprivation_quintile**: fifths of England's people by their household's deprivation score, 1 the most
  deprived as in the English indices of deprivation. The cut points are parameters
  (`deprivation_score_percentile.*`, the 20th to 80th percentiles of the model's score over residents), so that
  a later model with small-area deprivation changes one function here.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

DIMENSIONS = ("ethnic_group", "age_band", "sex", "deprivation_quintile")
ETHNIC_GROUPS = ("White", "Mixed", "Asian", "Black", "Other")
AGE_BANDS = ("0", "1-4", "5-10", "11-17", "18-24", "25-64", "65+")
AGE_BAND_FROM = np.array([0, 1, 5, 11, 18, 25, 65])
SEXES = ("F", "M")
QUINTILES = ("1", "2", "3", "4", "5")
LABELS: dict[str, tuple[str, ...]] = {
    "ethnic_group": ETHNIC_GROUPS,
    "age_band": AGE_BANDS,
    "sex": SEXES,
    "deprivation_quintile": QUINTILES,
}
"""Every dimension's groups, in the order reports list them."""

UNKNOWN = -1
"""The code of a person whose group is not known (a record of nobody in the population)."""

Codes = dict[str, NDArray[np.int64]]
"""Per dimension, one code per person (or record): an index into LABELS[dimension], or UNKNOWN."""


def ethnic_group_codes(groups: NDArray[np.object_] | NDArray[np.str_]) -> NDArray[np.int64]:
    """The code of each high-level ethnic group label (White, Mixed, ...); UNKNOWN for anything else."""
    return _codes_of(np.asarray(groups, dtype=object), ETHNIC_GROUPS)


def age_band_codes(age: NDArray[np.int64]) -> NDArray[np.int64]:
    """The band of each age in whole years (below 0, a baby born later, counts as under 1)."""
    result: NDArray[np.int64] = np.searchsorted(AGE_BAND_FROM, np.maximum(age, 0), side="right") - 1
    return result.astype(np.int64)


def sex_codes(female: NDArray[np.bool_]) -> NDArray[np.int64]:
    result: NDArray[np.int64] = np.where(female, 0, 1).astype(np.int64)
    return result


def deprivation_cuts(params: Mapping[str, float]) -> NDArray[np.float64]:
    """The 20th, 40th, 60th and 80th percentiles of the deprivation score, ascending."""
    return np.array([params[f"deprivation_score_percentile.{p}"] for p in (20, 40, 60, 80)], dtype=np.float64)


def deprivation_quintile_codes(score: NDArray[np.float64], cuts: NDArray[np.float64]) -> NDArray[np.int64]:
    """The quintile of each deprivation score (0 least to 1 most deprived): code 0 ('1') is the most deprived
    fifth, as in the English indices."""
    result: NDArray[np.int64] = (len(cuts) - np.searchsorted(cuts, score, side="right")).astype(np.int64)
    return result


def _codes_of(values: NDArray[np.object_], labels: tuple[str, ...]) -> NDArray[np.int64]:
    lookup = {label: i for i, label in enumerate(labels)}
    # a handful of distinct values: map those, then index
    distinct, inverse = np.unique(values.astype(str), return_inverse=True)
    mapped = np.array([lookup.get(str(v), UNKNOWN) for v in distinct.tolist()], dtype=np.int64)
    result: NDArray[np.int64] = mapped[inverse.ravel()] if len(values) else np.zeros(0, np.int64)
    return result
