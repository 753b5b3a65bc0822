"""Reading a scenario file: safe YAML, line marks, and every problem reported at once.

YAML is composed (not just loaded) so that each key keeps the line it was written on; schema errors are then
reported as ``file:line: path: message``. Unknown keys get a "did you mean" from the keys allowed at that level.
"""

from __future__ import annotations

import difflib
import functools
import typing
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from synthgen.errors import Issue, ScenarioError, shown
from synthgen.reference import Parameters
from synthgen.scenario import yaml_file
from synthgen.scenario.plan import cross_checks
from synthgen.scenario.schema import Scenario
from synthgen.scenario.templates import (
    AEEvent,
    AttendanceEvent,
    ExclusionEvent,
    MissedVisitEvent,
    PoliceEvent,
    Template,
    template_files,
)

Path_ = tuple[str | int, ...]


def _line_marks(node: yaml.Node, path: Path_, marks: dict[Path_, int], issues: list[Issue], file: str) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else f"<{key_node.id}>"
            line = key_node.start_mark.line + 1
            if key in seen:
                issues.append(Issue(file, line, _dotted((*path, key)), "is given more than once"))
            seen.add(key)
            marks[(*path, key)] = line
            _line_marks(value_node, (*path, key), marks, issues, file)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            marks[(*path, index)] = item.start_mark.line + 1
            _line_marks(item, (*path, index), marks, issues, file)


def _dotted(path: Path_) -> str:
    text = ""
    for part in path:
        if not isinstance(part, int):
            part = str(part) if len(str(part)) <= 60 else f"{str(part)[:57]}..."
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _line_for(path: Path_, marks: dict[Path_, int]) -> int | None:
    for end in range(len(path), 0, -1):
        if path[:end] in marks:
            return marks[path[:end]]
    return None


def _model_at(path: Path_, root: type[BaseModel] = Scenario) -> type[BaseModel] | None:
    """The schema model that holds the keys at `path` (to suggest the key the user meant)."""
    model: type[BaseModel] = root
    for part in path:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        annotation = field.annotation if field else None
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
            continue
        # a list of models (scenario storylines), or a model that may be left out (a template's associate)
        inner = [a for a in typing.get_args(annotation) if isinstance(a, type) and issubclass(a, BaseModel)]
        if len(inner) != 1:
            return None
        model = inner[0]
    return model


def _message(error: dict[str, Any], path: Path_, root: type[BaseModel] = Scenario) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        model = _model_at(path[:-1], root)
        allowed = sorted(model.model_fields) if model else []
        close = difflib.get_close_matches(str(path[-1]), allowed, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"unknown key{hint} (allowed: {', '.join(allowed)})"
    if kind == "missing":
        return "is required"
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"must be one of {expected}, not {shown(error['input'])}"
    message = str(error["msg"])
    message = message.removeprefix("Value error, ")
    return message.replace("Input should be", "must be")


def load_scenario(path: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """Read and validate a scenario file; raise ScenarioError listing every problem with its line.

    ``overrides`` maps dotted keys to values (``{"seed": 7, "population.people": 1000}``), as the CLI's options do.
    """
    path = Path(path)
    file = str(path)
    document = yaml_file.read(path, file)
    node, data = document.node, document.data
    if not isinstance(data, dict):
        raise ScenarioError([Issue(file, 1, "", "must be a mapping of keys (scenario_version, name, seed, ...)")])
    issues: list[Issue] = []
    marks: dict[Path_, int] = {}
    if node is not None:
        _line_marks(node, (), marks, issues, file)
    for dotted, value in (overrides or {}).items():
        target = data
        *parents, last = dotted.split(".")
        for part in parents:
            target = target.setdefault(part, {}) if isinstance(target.get(part, {}), dict) else {}
        target[last] = value
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as error:
        for item in error.errors():
            where: Path_ = tuple(item["loc"])
            for message in _message(dict(item), where).splitlines():
                # a rate's problem names the rate first: point at its own key, which then names it
                name, _, rest = message.partition(" must be ")
                at = where
                if where == ("rates",) and (*where, name) in marks:
                    at, message = (*where, name), f"must be {rest}"
                line = _line_for(at, marks) or 1  # a key missing at the top level: point at the file's start
                issues.append(Issue(file, line, _dotted(at), message))
        scenario = None
    if scenario is not None and not issues:
        problems = cross_checks(scenario) + _storylines_in_period(scenario)
        for dotted, message in problems:
            where = tuple(int(p) if p.isdigit() else p for p in dotted.split("."))
            # a default the file leaves out has no line: point at the population size, the other side of the check
            line_of = _line_for(where, marks) or _line_for(("population", "people"), marks)
            issues.append(Issue(file, line_of, _dotted(where), message))
    if issues or scenario is None:
        raise ScenarioError(sorted(issues, key=lambda i: (i.line or 0, i.path)))
    return scenario


BIRTH_MARGIN_DAYS = 30
"""Days a template with a birth in the period needs beyond its latest onset and the birth's earliest day."""


def _storylines_in_period(scenario: Scenario) -> list[tuple[str, str]]:
    """Each storyline the scenario plants needs a period long enough to begin in (and, for a birth in the period,
    to hold the birth): (dotted path, message) for each that has none."""
    days = (scenario.period.end - scenario.period.start).days + 1
    birth_after = int(Parameters(scenario.rates)["storyline_birth_after_onset_days"])
    problems = []
    for index, request in enumerate(scenario.storylines):
        template = shipped_templates()[request.template]
        needed = template.onset.latest_day + 1
        if template.household.birth_in_period:
            needed += birth_after + BIRTH_MARGIN_DAYS
        if request.count and days < needed:
            problems.append(
                (
                    f"storylines.{index}.template",
                    f"{request.template} needs a period of {needed} days at least (it begins up to day "
                    f"{template.onset.latest_day}), not {days}",
                )
            )
    return problems


def load_template(path: Path | Traversable, file: str | None = None) -> Template:
    """Read and validate a storyline template; raise ScenarioError listing every problem with its line.

    The template's `template` key must be the file's name without .yaml (the name a scenario uses).
    """
    file = file or str(path)
    document = yaml_file.read(path, file)
    node, data = document.node, document.data
    if not isinstance(data, dict):
        raise ScenarioError([Issue(file, 1, "", "must be a mapping of keys (template, concern, subject, ...)")])
    issues: list[Issue] = []
    marks: dict[Path_, int] = {}
    if node is not None:
        _line_marks(node, (), marks, issues, file)
    template = None
    try:
        template = Template.model_validate(data)
    except ValidationError as error:
        for item in error.errors():
            # an event's model is chosen by its table, which pydantic adds to the path (events.0.attendance.days):
            # the file has no such key, so it is left out of the path and names the model holding the keys
            loc: Path_ = tuple(item["loc"])
            tags = [index for index, part in enumerate(loc) if part in _EVENT_MODELS]
            where = tuple(part for part in loc if part not in _EVENT_MODELS)
            root, inner = (_EVENT_MODELS[str(loc[tags[0]])], loc[tags[0] + 1 :]) if tags else (Template, where)
            issues.append(Issue(file, _line_for(where, marks) or 1, _dotted(where), _message(dict(item), inner, root)))
    stem = Path(file).name.removesuffix(".yaml")
    if template is not None and template.template != stem:
        line = _line_for(("template",), marks)
        issues.append(Issue(file, line, "template", f"must be the file's name {stem!r}, not {template.template!r}"))
    if issues or template is None:
        raise ScenarioError(sorted(issues, key=lambda i: (i.line or 0, i.path)))
    return template


_EVENT_MODELS: dict[str, type[BaseModel]] = {
    "incident_persons": PoliceEvent,
    "ae_attendances": AEEvent,
    "health_visits": MissedVisitEvent,
    "attendance": AttendanceEvent,
    "exclusions": ExclusionEvent,
}


@functools.cache
def shipped_templates() -> dict[str, Template]:
    """The storyline templates shipped with synthgen, by name."""
    return {
        name: load_template(entry, f"synthgen/reference/data/storylines/{entry.name}")
        for name, entry in template_files().items()
    }
