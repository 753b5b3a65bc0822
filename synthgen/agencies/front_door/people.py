"""Everyone a contact can be about: the shard's people and the babies born in the period, as one set of columns.

A contact names a child who may be unborn at the start of the period (a referral before birth), so the front door
reads people by person id across both: row r of these columns is person id shard * ID_STRIDE + r.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from synthgen.agencies.producer import Context
from synthgen.kernel import strings
from synthgen.world.population import ID_STRIDE


@dataclass(frozen=True)
class Everyone:
    """Per person (residents, former residents, then babies born in the period): the truth a contact draws on."""

    base: int  # the shard's first person id
    household: NDArray[np.int64]
    date_of_birth: NDArray[np.datetime64]
    female: NDArray[np.bool_]
    mother: NDArray[np.int64]  # row of the mother at home, -1 for none
    father: NDArray[np.int64]
    given_name: pa.Array
    family_name: pa.Array
    resident: NDArray[np.bool_]
    born_in_period: NDArray[np.bool_]

    def rows(self, person_id: NDArray[np.int64]) -> NDArray[np.int64]:
        result: NDArray[np.int64] = (person_id - self.base).astype(np.int64)
        return result

    def __len__(self) -> int:
        return len(self.household)


def everyone(ctx: Context) -> Everyone:
    p, born, pop = ctx.pop.people, ctx.born, ctx.pop
    forenames = pa.array(pop.forenames, pa.string())
    surnames = pa.array(pop.surnames, pa.string())
    n_born = len(born)
    return Everyone(
        base=pop.shard * ID_STRIDE,
        household=np.r_[p.household, born.household],
        date_of_birth=np.r_[p.date_of_birth, born.date_of_birth].astype("datetime64[D]"),
        female=np.r_[p.female, born.female],
        mother=np.r_[pop.mother, born.mother],
        father=np.r_[pop.father, born.father],
        given_name=strings.names(forenames, np.r_[p.given_name, born.given_name]),
        family_name=strings.surnames(surnames, np.r_[p.surname_1, born.surname_1], np.r_[p.surname_2, born.surname_2]),
        resident=np.r_[p.resident, np.ones(n_born, bool)],
        born_in_period=np.r_[np.zeros(len(p.person_id), bool), np.ones(n_born, bool)],
    )
