"""Names from frequency tables: forenames by naming tradition, sex and birth decade; surnames by tradition.

A person's naming tradition is drawn from their ethnicity (reference/data/name_groups.csv), so that names fit
their heritage without being fixed by it. Names are held as indices into a vocabulary (one tuple of strings per
shard), so the draws are whole columns; the only loops run over name pools, never over people.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from synthgen import reference
from synthgen.kernel.arrays import categorical
from synthgen.reference import Parameters


def _name_groups(rng: np.random.Generator, ethnicity: NDArray[np.int64]) -> NDArray[np.int64]:
    """A naming tradition for each person, drawn with the chances of their ethnicity (a name is not fixed by it)."""
    result: NDArray[np.int64] = categorical(rng, reference.name_group_matrix()[ethnicity])
    return result


def draw_forenames(
    rng: np.random.Generator,
    params: Parameters,
    ethnicity: NDArray[np.int64],
    female: NDArray[np.bool_],
    dob: NDArray[np.datetime64],
) -> tuple[tuple[str, ...], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Given and middle names: one draw per person from the pool of their tradition, sex and birth decade."""
    group_ids = reference.name_group_ids()
    vocab = tuple(sorted({name for pool in reference.forename_pools().values() for name in pool.names}))
    index = {name: i for i, name in enumerate(vocab)}
    group = _name_groups(rng, ethnicity)
    decade = np.clip((dob.astype("datetime64[Y]").astype(np.int64) + 1970) // 10 * 10, 1920, 2020)
    key = (group * 2 + female) * 3000 + decade
    draws = [np.empty(len(key), np.int64) for _ in range(3)]
    for k in np.unique(key):
        where = np.flatnonzero(key == k)
        g, sex, d = int(k // 3000 // 2), "F" if (k // 3000) % 2 else "M", int(k % 3000)
        pool = reference.forename_pool(group_ids[g], sex, d)
        codes = np.array([index[name] for name in pool.names])
        for draw in draws:
            draw[where] = codes[rng.choice(len(codes), size=len(where), p=pool.weights)]
    u = rng.random(len(key))
    middle_1 = np.where(u < params["middle_name_share"], draws[1], -1)
    middle_2 = np.where(u < params["two_middle_names_share"], draws[2], -1)
    middle_1 = np.where(middle_1 == draws[0], -1, middle_1)
    middle_2 = np.where((middle_2 == draws[0]) | (middle_2 == middle_1) | (middle_1 < 0), -1, middle_2)
    return vocab, draws[0], middle_1, middle_2


def _feminine(name: str) -> str:
    """The female form of a surname whose ending agrees with sex (Kowalski -> Kowalska), else the name."""
    for form in reference.surname_forms():
        if form.rule == "female_suffix" and name.endswith(form.match):
            return name[: -len(form.match)] + form.replacement
    return name


@dataclass(frozen=True)
class SurnamePools:
    """The shard's surname vocabulary (every pool's names and their feminine forms) and each tradition's pool as
    codes into it, with weights."""

    vocab: tuple[str, ...]
    codes: dict[str, NDArray[np.int64]]
    weights: dict[str, NDArray[np.float64]]


def surname_pools() -> SurnamePools:
    """The pools laid out over one vocabulary, which holds every form a surname can take (feminine forms and the
    women-only surnames too), so that changing a form is changing an index."""
    pools = reference.surname_pools()
    base = {name for pool in pools.values() for name in pool.names}
    extra = {f.replacement for f in reference.surname_forms()} | {_feminine(name) for name in base}
    vocab = tuple(sorted(base | extra))
    index = {name: i for i, name in enumerate(vocab)}
    codes = {g: np.array([index[name] for name in pool.names]) for g, pool in pools.items()}
    return SurnamePools(vocab, codes, {g: pool.weights for g, pool in pools.items()})


def surnames_like(rng: np.random.Generator, ethnicity: NDArray[np.int64], pools: SurnamePools) -> NDArray[np.int64]:
    """A surname for each person from the pool of a naming tradition drawn for their ethnicity."""
    group_ids = reference.name_group_ids()
    group = _name_groups(rng, ethnicity)
    result = np.empty(len(ethnicity), np.int64)
    for g in np.unique(group):
        where = np.flatnonzero(group == g)
        name = group_ids[int(g)]
        result[where] = pools.codes[name][rng.choice(len(pools.codes[name]), size=len(where), p=pools.weights[name])]
    return result


def sexed_surnames(
    rng: np.random.Generator,
    vocab: tuple[str, ...],
    female: NDArray[np.bool_],
    ethnicity: NDArray[np.int64],
    age: NDArray[np.int64],
    *names: NDArray[np.int64],
) -> tuple[NDArray[np.int64], ...]:
    """Apply the surname forms that depend on sex (reference/data/surname_forms.csv) to women and girls.

    These make a mother's surname differ from her husband's and children's for reasons a linker must know:
    Kowalska beside Kowalski, Kaur beside Singh, Begum beside Miah.
    """
    index = {name: i for i, name in enumerate(vocab)}
    feminine = np.array([index[_feminine(name)] for name in vocab])
    codes = reference.ethnicities().codes
    result = [column.copy() for column in names]
    u = rng.random(len(female))
    for column in result:
        valid = female & (column >= 0)
        column[valid] = feminine[column[valid]]
    for form in reference.surname_forms():
        chosen = female & (u < form.share) & (age >= form.min_age)
        if form.rule == "title":
            chosen &= ethnicity == codes.index(form.ethnicity)
            for first, second in ((result[0], result[1]), (result[2], result[3])):
                first[chosen] = index[form.replacement]
                second[chosen] = -1
        elif form.rule == "female_form":
            for column in result:
                column[chosen & (column == index[form.match])] = index[form.replacement]
    return tuple(result)
