"""Each authority looks like itself: on runs of 200,000 people, an authority's own Census ethnicity and sex, its
ages and its DfE social-care rates come back out within tolerance, with England's figure beside each.

Three authorities of different make-up: Birmingham (a metropolitan district, about half White, young; the shared
large run), Newham (a London borough, a third White, more Black and Asian people than anywhere but its
neighbours) and Devon (a county, almost all White, a quarter over 65). Newham and Devon are generated with social
care alone (the other agencies add nothing these figures read), once each for every test here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import synthgen
from synthgen import calibration
from synthgen.reference import local, local_authorities
from synthgen.run_folder import open_run

PEOPLE = 200_000
AREAS = {
    316: ("Newham", "E6, E7, E12, E13, E15, E16, E20"),
    878: ("Devon", ", ".join(f"EX{n}" for n in (*range(1, 25), *range(31, 40)))),
}
LOCAL = (
    *(f"people.ethnic_group_{g}" for g in ("white", "mixed", "asian", "black", "other")),
    *(f"people.aged_{band}" for band in ("0_4", "5_9", "10_14", "15_19", "20_39", "40_64", "65_plus", "0_17")),
    "people.female",
    "social_care.referrals_per_10k_children",
    "social_care.cin_at_31_march_per_10k_children",
    "social_care.cp_at_31_march_per_10k_children",
    "social_care.cla_at_31_march_per_10k_children",
)
"""The figures the authority's own published tables set."""


def _light_run(folder: Path, la_number: int) -> Path:
    name, codes = AREAS[la_number]
    path = folder / f"{la_number}.yaml"
    path.write_text(
        f"scenario_version: 1\nname: la{la_number}\nseed: {la_number}\npopulation: {{people: {PEOPLE}}}\n"
        f"area: {{la_number: {la_number}, la_name: {name}, outward_codes: [{codes}]}}\n"
        "period: {start: 2024-04-01, end: 2025-03-31}\n"
        "agencies: {police: {enabled: false}, health: {enabled: false}, school: {enabled: false}}\n"
        "identifiers: {nhs_numbers: unallocated}\n"
    )
    out = folder / f"run-{la_number}"
    synthgen.generate(synthgen.load_scenario(path), out, workers=2)
    return out


@pytest.fixture(scope="module")
def newham(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _light_run(tmp_path_factory.mktemp("newham"), 316)


@pytest.fixture(scope="module")
def devon(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _light_run(tmp_path_factory.mktemp("devon"), 878)


def _held_to_the_authoritys_own(run: Path, la_number: int) -> dict[str, calibration.Figure]:
    """The run's figures, after checking that the authority's own ones came back out, with England's beside."""
    figures = {f.name: f for f in calibration.describe(open_run(run))}
    name = local_authorities()[la_number].name
    failing = [f"{n}: {figures[n].generated:.2f} vs {figures[n].reference} ± {figures[n].tolerance}" for n in LOCAL]
    assert [line for line, n in zip(failing, LOCAL, strict=True) if not figures[n].passed] == []
    for n in LOCAL:
        assert figures[n].england is not None, n  # England's beside the authority's
        assert name in figures[n].source, n
    white = figures["people.ethnic_group_white"]
    assert white.reference == pytest.approx(100 * local.ethnicity(la_number).group_shares()["White"])
    assert figures["social_care.cla_at_31_march_per_10k_children"].reference == (
        local.social_care_rates(la_number, 2025).cla.per_10k
    )
    return figures


def test_birmingham_is_birmingham(large_run: Path) -> None:
    figures = _held_to_the_authoritys_own(large_run, 330)
    assert 40 < figures["people.ethnic_group_white"].generated < 60  # England: 81.7
    assert figures["people.aged_0_17"].generated > 24  # England: 21.4


def test_newham_is_newham(newham: Path) -> None:
    """And every other figure within tolerance too: England's figures the authority's make-up moves (households
    over Newham's ages, deaths) are held to what its figures imply, so nothing fails for being local."""
    figures = _held_to_the_authoritys_own(newham, 316)
    assert [name for name, f in figures.items() if not f.passed] == []
    assert figures["people.ethnic_group_white"].generated < 40
    assert figures["people.aged_65_plus"].generated < 10  # England: 18.5


def test_devon_is_devon(devon: Path) -> None:
    figures = _held_to_the_authoritys_own(devon, 878)
    assert [name for name, f in figures.items() if not f.passed] == []
    assert figures["people.ethnic_group_white"].generated > 90
    assert figures["people.aged_65_plus"].generated > 22
    assert figures["people.deaths_per_1000"].reference > 11  # England's rates by age over Devon's older people
