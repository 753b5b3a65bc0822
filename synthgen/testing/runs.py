"""Small seeded runs for a vendor's tests: generated once per (scenario, seed) and handed back with their tables.

A test of a matcher wants a run with the truth beside it, and wants it fast: generating even a small borough takes
a second or two, so a run is made once per scenario (its seed and size included) and synthgen version, into a
cache folder, and every later request for the same one reads it from there. Two processes asking for the same run
at once (pytest-xdist's workers sharing a cache folder) take turns on an operating-system lock, so it is made
once and neither sees it half-written (synthgen writes a run to a temporary folder and renames it into place).
"""

from __future__ import annotations

import atexit
import fcntl
import functools
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

import synthgen
from synthgen.run_folder import Run, open_run
from synthgen.scenario.schema import Scenario

if TYPE_CHECKING:
    from synthgen.evaluation.linkage_scores import LinkageScores

DEFAULT_PEOPLE = 1000
"""Residents of a small run: enough for every agency to hold records of hundreds of people (1,400-odd linkage
records) and for a probabilistic linker's estimates to settle, small enough to generate in a couple of seconds."""
DEFAULT_SEED = 0

BASE = {
    "scenario_version": 1,
    "name": "synthgen-testing",
    "seed": DEFAULT_SEED,
    "population": {"people": DEFAULT_PEOPLE},
    "area": {"la_number": 372, "la_name": "Rotherham", "outward_codes": ["S60", "S61", "S65", "S66"]},
    "period": {"start": "2024-04-01", "end": "2025-03-31"},
}
"""The demo's borough and reporting year (scenarios/demo.yaml) with the realistic data-quality profile."""


def base_scenario(*, people: int = DEFAULT_PEOPLE, seed: int = DEFAULT_SEED) -> Scenario:
    """The default small scenario: four Rotherham postcode districts over the 2024-25 reporting year."""
    return Scenario.model_validate({**BASE, "seed": seed, "population": {"people": people}})


def with_size_and_seed(scenario: Scenario, people: int | None, seed: int | None) -> Scenario:
    """The scenario with its population and seed replaced where given, validated again."""
    data: dict[str, Any] = scenario.model_dump(mode="json")
    if people is not None:
        data["population"] = {"people": people}
    if seed is not None:
        data["seed"] = seed
    return validated_scenario(json.dumps(data, sort_keys=True))


@functools.lru_cache(maxsize=256)
def validated_scenario(text: str) -> Scenario:
    """A scenario validated once per content: validation looks postcodes up, tens of milliseconds a time, and a
    strategy asks for the same few runs over and over."""
    return Scenario.model_validate(json.loads(text))


def run_key(scenario: Scenario) -> str:
    """What names a run in the cache: the scenario as a run's manifest holds it, and the synthgen that made it."""
    text = json.dumps([synthgen.__version__, scenario.model_dump(mode="json")], sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True, eq=False, repr=False)
class SmallRun:
    """A generated run and its tables, each read when first asked for.

    `linkage` is what a linker is given (linkage/records); `truth` the record-to-person map beside it, in the same
    row order, with each record's logged data-quality changes; `agency_files` every agency file's path by its name
    (`police/persons`, ...). One run is one object (`small_run` hands back the same one), hashed by identity."""

    path: Path
    scenario: Scenario

    def __repr__(self) -> str:
        return f"SmallRun({str(self.path)!r}, people={self.people}, seed={self.seed})"

    @property
    def seed(self) -> int:
        return self.scenario.seed

    @property
    def people(self) -> int:
        return self.scenario.population.people

    @functools.cached_property
    def run(self) -> Run:
        return open_run(self.path)

    @functools.cached_property
    def agency_files(self) -> dict[str, Path]:
        """Every agency table's Parquet file by name, e.g. `health/gp_registrations`."""
        return {
            name.removeprefix("agencies/"): self.run.files(name)[0]
            for name in self.run.tables
            if name.startswith("agencies/")
        }

    def agency_table(self, name: str) -> pa.Table:
        """One agency table by its name, e.g. `police/persons`."""
        return self.run.read(f"agencies/{name}")

    @functools.cached_property
    def linkage(self) -> pa.Table:
        """The linkage view: every person-level record of every agency, as a linker under test is given it."""
        return self.run.read("linkage/records")

    @functools.cached_property
    def truth(self) -> pa.Table:
        """truth/records in the linkage view's row order: each record's `person_id` and logged `errors`."""
        truth = self.run.read("truth/records")
        at = pc.index_in(self.linkage["record_id"], value_set=truth["record_id"])
        return truth.take(at)

    @functools.cached_property
    def person_id(self) -> NDArray[np.int64]:
        """Each linkage record's true person, in the linkage view's row order."""
        result: NDArray[np.int64] = self.truth["person_id"].to_numpy()
        return result

    def truth_clusters(self) -> pa.Table:
        """The truth as a linker's predictions would state it (`record_id`, `cluster_id`): scores 1.0 on every
        pairwise and cluster metric."""
        return pa.table({"record_id": self.linkage["record_id"], "cluster_id": pa.array(self.person_id, pa.int64())})

    def carrying(self, error: str) -> NDArray[np.bool_]:
        """Per linkage record, whether its logged changes include `error` ('field.kind', or a kind in any field)."""
        errors = self.truth["errors"]
        flat = pc.list_flatten(errors)
        parent = pc.list_parent_indices(errors).to_numpy()
        if "." in error:
            label = pc.binary_join_element_wise(pc.struct_field(flat, "field"), pc.struct_field(flat, "kind"), ".")
            hit = pc.equal(label, error)
        else:
            hit = pc.equal(pc.struct_field(flat, "kind"), error)
        mask = np.zeros(len(self.linkage), bool)
        mask[parent[hit.to_numpy(zero_copy_only=False)]] = True
        return mask

    def evaluate_linkage(self, predictions: pa.Table | str | Path, threshold: float | None = None) -> LinkageScores:
        """Score a linker's predictions (clusters or scored pairs; a table or a file) against this run's truth, as
        `synthgen.evaluate_linkage` does."""
        return synthgen.evaluate_linkage(self.path, predictions, threshold)


_MADE: dict[tuple[Path, str], SmallRun] = {}


@functools.cache
def default_cache() -> Path:
    """A folder of this process's own, removed when it exits: a run made by one version of synthgen is never read
    by another, even one whose version number has not changed yet."""
    folder = Path(tempfile.mkdtemp(prefix="synthgen-testing-"))
    atexit.register(shutil.rmtree, folder, True)
    return folder


def small_run(
    scenario: Scenario | None = None,
    *,
    people: int | None = None,
    seed: int | None = None,
    cache_dir: str | Path | None = None,
) -> SmallRun:
    """A generated run of `scenario` (default: `base_scenario()`, 1,000 residents of Rotherham) with `people` and
    `seed` replaced where given, made once per scenario in `cache_dir` (default: a temporary folder of this
    process's) and read from there after; safe when several processes share the folder."""
    chosen = with_size_and_seed(scenario or base_scenario(), people, seed)
    folder = Path(cache_dir) if cache_dir is not None else default_cache()
    key = run_key(chosen)
    made = _MADE.get((folder.resolve(), key))
    if made is not None:
        return made
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"run-{key}"
    fd = os.open(folder / f".synthgen-testing-{key}.wait", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # another process making this run: wait for it, then read what it made
        if not (path / "manifest.json").exists():
            synthgen.generate(chosen, path)
    finally:
        os.close(fd)
    result = SmallRun(path, chosen)
    _MADE[(folder.resolve(), key)] = result
    return result
