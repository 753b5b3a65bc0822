"""What an experiment file may say: a strict, versioned schema, read and checked as a scenario is.

An experiment is a grid: seeds × scenarios × data-quality settings × systems. Scenarios are named by path
(relative to the experiment file) with optional dotted overrides (``population.people: 3000``, as `generate
--people` does); a data-quality setting is a named change to the scenario's ``data_quality`` (the same keys,
checked by the same schema, so ``{mechanisms: {enabled: false}}`` switches the group-dependent errors off); a
system is a reference system or any command that writes predictions. Unknown keys are errors and every problem
is reported at once as ``file:line: path: message``.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from synthgen.errors import Issue, ScenarioError
from synthgen.scenario import yaml_file
from synthgen.scenario.loader import Path_, _dotted, _line_for, _line_marks, _message
from synthgen.scenario.schema import DataQuality

EXPERIMENT_VERSION = 1
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
"""Names of scenarios, settings and systems name folders of the experiment: lowercase, digits, '-' and '_'."""
MAX_SEEDS = 10_000
MAX_SEED = 2**63 - 1
REFERENCE_SYSTEMS = ("exact", "fellegi-sunter", "screen", "mash")
"""The reference linkers (scored by `evaluate linkage`), the reference screen (`evaluate sharing`) and the
reference MASH (`evaluate mash`)."""
EVALUATIONS = ("linkage", "sharing", "mash")
DEFAULT_OUTPUT = {"linkage": "predictions.parquet", "sharing": "flags.parquet", "mash": "responses.parquet"}
PLACEHOLDERS = ("{run}", "{out}")
"""A command's placeholders: the run folder it reads and the predictions file it writes (and, for a sharing
system, {disclosures} if it also writes disclosures)."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _name(value: str) -> str:
    if not NAME.match(value):
        raise ValueError(f"{value!r} must be lowercase letters, digits, '-' or '_' (at most 64; it names a folder)")
    return value


Name = Annotated[str, AfterValidator(_name)]


class ScenarioEntry(Strict):
    path: str = Field(description="a scenario file, relative to the experiment file")
    name: Name | None = Field(default=None, description="the scenario's label in the results (default: its name)")
    overrides: dict[str, Any] = Field(
        default_factory=dict, description="dotted keys and values, e.g. {population.people: 3000}"
    )

    @field_validator("overrides")
    @classmethod
    def _not_seed(cls, value: dict[str, Any]) -> dict[str, Any]:
        if "seed" in value:
            raise ValueError("the seed is set by the experiment's seeds, not by an override")
        if any(key == "data_quality" or key.startswith("data_quality.") for key in value):
            raise ValueError("data quality is set by the experiment's quality settings, not by an override")
        return value


class QualitySetting(Strict):
    name: Name
    data_quality: DataQuality = Field(
        default_factory=DataQuality,
        description="changes to the scenario's data_quality (the same keys); none: the scenario's own",
    )


class System(Strict):
    name: Name
    reference: Literal["exact", "fellegi-sunter", "screen", "mash"] | None = None
    method: Literal["exact", "fellegi-sunter"] = Field(
        default="fellegi-sunter", description="the linker the reference screen or MASH uses"
    )
    window: int = Field(default=90, ge=0, le=3660, description="the reference screen's window, in days")
    command: str | None = Field(default=None, description="a command writing predictions: {run} and {out} in it")
    evaluate: Literal["linkage", "sharing", "mash"] | None = Field(
        default=None, description="which evaluation scores the command's predictions"
    )
    output: str | None = Field(default=None, description="the predictions file's name, e.g. predictions.csv")

    @field_validator("output")
    @classmethod
    def _file_name(cls, value: str | None) -> str | None:
        if value is not None and (not re.match(r"^[A-Za-z0-9_.-]+\.(parquet|csv)$", value) or value.startswith(".")):
            raise ValueError(f"{value!r} must be a file name ending .parquet or .csv")
        return value

    @field_validator("command")
    @classmethod
    def _placeholders(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            words = shlex.split(value)
        except ValueError as error:
            raise ValueError(f"cannot be split into words ({error})") from None
        if not words:
            raise ValueError("is empty")
        missing = [p for p in PLACEHOLDERS if p not in value]
        if missing:
            raise ValueError(f"must hold {' and '.join(missing)} (the run folder it reads, the file it writes)")
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> System:
        if (self.reference is None) == (self.command is None):
            raise ValueError(f"system {self.name!r} needs one of reference ({', '.join(REFERENCE_SYSTEMS)}) or command")
        if self.command is not None and self.evaluate is None:
            raise ValueError(f"system {self.name!r}: a command needs evaluate ({', '.join(EVALUATIONS)})")
        if self.reference is not None and (self.evaluate is not None or self.output is not None):
            raise ValueError(
                f"system {self.name!r}: evaluate and output are for commands; a reference system has its own"
            )
        self._no_unused_settings()
        return self

    def _no_unused_settings(self) -> None:
        """A setting the system would silently ignore is refused: a user who sets a window on a linker believes
        it shaped the scores."""
        uses = {"screen": {"method", "window"}, "mash": {"method"}}.get(self.reference or "", set())
        unused = sorted(({"method", "window"} & self.model_fields_set) - uses)
        if unused:
            who = {"method": "the screen and mash", "window": "the screen"}
            detail = "; ".join(f"{name} is for {who[name]}" for name in unused)
            raise ValueError(f"system {self.name!r}: {detail}, not for {self.reference or 'a command'}")

    @property
    def evaluation(self) -> str:
        """Which evaluation scores this system."""
        if self.reference is not None:
            return {"screen": "sharing", "mash": "mash"}.get(self.reference, "linkage")
        assert self.evaluate is not None
        return self.evaluate

    @property
    def output_file(self) -> str:
        return self.output or DEFAULT_OUTPUT[self.evaluation]


def _distinct(kind: str, names: list[str]) -> None:
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"names {kind} {', '.join(map(repr, repeated))} more than once (each needs a name of its own)")


class Experiment(Strict):
    experiment_version: Literal[1]
    name: Name
    description: str = ""
    seeds: list[int] = Field(min_length=1, description="a list of seeds, or {start: N, count: N}")
    scenarios: list[ScenarioEntry] = Field(min_length=1)
    quality: list[QualitySetting] = Field(
        default_factory=lambda: [QualitySetting(name="as-scenario")],
        min_length=1,
        description="data-quality settings; default: one, the scenario's own",
    )
    systems: list[System] = Field(min_length=1)
    keep_runs: bool = Field(default=False, description="keep every generated run under runs/ (they take disk)")

    @field_validator("seeds", mode="before")
    @classmethod
    def _seed_range(cls, value: Any) -> Any:
        if isinstance(value, dict):
            start, count = value.get("start"), value.get("count")
            if set(value) != {"start", "count"} or not all(type(v) is int for v in (start, count)):
                raise ValueError("must be a list of seeds or {start: N, count: N} (two whole numbers)")
            assert isinstance(start, int) and isinstance(count, int)
            if not (start >= 0 and 1 <= count <= MAX_SEEDS and start + count - 1 <= MAX_SEED):
                raise ValueError(f"start must be 0 or more and count 1 to {MAX_SEEDS:,}, seeds below 2**63")
            return list(range(start, start + count))
        return value

    @field_validator("seeds")
    @classmethod
    def _seeds(cls, value: list[int]) -> list[int]:
        if len(value) > MAX_SEEDS:
            raise ValueError(f"lists {len(value):,} seeds; {MAX_SEEDS:,} at most")
        outside = [seed for seed in value if not 0 <= seed <= MAX_SEED]
        if outside:
            raise ValueError(f"seed {outside[0]} is outside 0 to 2**63 - 1")
        if len(set(value)) != len(value):
            raise ValueError("lists a seed more than once")
        return value

    @field_validator("quality")
    @classmethod
    def _distinct_quality(cls, value: list[QualitySetting]) -> list[QualitySetting]:
        _distinct("a quality setting", [q.name for q in value])
        return value

    @field_validator("systems")
    @classmethod
    def _distinct_systems(cls, value: list[System]) -> list[System]:
        _distinct("a system", [s.name for s in value])
        return value


def quality_overrides(setting: QualitySetting) -> dict[str, Any]:
    """A setting as the dotted overrides `load_scenario` takes: only the keys the setting gives, each leaf apart,
    so that `{rates: {health: {nhs_number: {missing: 0.05}}}}` changes that one rate and keeps the scenario's others."""
    given = setting.data_quality.model_dump(mode="json", exclude_unset=True)
    flat: dict[str, Any] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict) and value:
            for key, inner in value.items():
                walk(f"{prefix}.{key}", inner)
        else:
            flat[prefix] = value

    walk("data_quality", given)
    return {} if flat == {"data_quality": {}} else flat


def load_experiment(path: str | Path) -> Experiment:
    """Read and validate an experiment file; raise ScenarioError listing every problem with its line. (The
    scenarios it names are read, with each setting, by `synthgen.experiments.resolve`.)"""
    path = Path(path)
    file = str(path)
    if not path.exists():
        raise ScenarioError([Issue(file, None, "", "experiment file not found")])
    document = yaml_file.read(path, file)
    node, data = document.node, document.data
    if not isinstance(data, dict):
        raise ScenarioError([Issue(file, 1, "", "must be a mapping of keys (experiment_version, name, seeds, ...)")])
    issues: list[Issue] = []
    marks: dict[Path_, int] = {}
    if node is not None:
        _line_marks(node, (), marks, issues, file)
    experiment = None
    try:
        experiment = Experiment.model_validate(data)
    except ValidationError as error:
        for item in error.errors():
            where: Path_ = tuple(part for part in item["loc"] if part not in ("function-after[_one_kind()]",))
            message = _message(dict(item), where, Experiment).replace("Value error, ", "")
            issues.append(Issue(file, _line_for(where, marks) or 1, _dotted(where), message))
    if issues or experiment is None:
        raise ScenarioError(sorted(issues, key=lambda i: (i.line or 0, i.path)))
    return experiment


def line_of(path: Path_, file: str | Path) -> int | None:
    """The line of a key of an experiment file (to point a problem found later, reading its scenarios, at it)."""
    document = yaml_file.read(Path(file), str(file))
    marks: dict[Path_, int] = {}
    if document.node is not None:
        _line_marks(document.node, (), marks, [], str(file))
    return _line_for(path, marks)
