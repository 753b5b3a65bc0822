"""The errors a user can cause, and how they read.

A user error is never a traceback: the CLI prints each issue as one line and exits with code 2. Library callers
catch :class:`SynthgenError` and read ``issues`` when they want the parts.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Issue:
    """One problem in one place: ``file:line: path: message`` (line and path are left out when unknown)."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class SynthgenError(Exception):
    """A problem the user can fix (bad input, an existing output folder); never a bug in synthgen."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def lines(self) -> list[str]:
        return [self.message]


class ScenarioError(SynthgenError):
    """Every problem found in a scenario, reported together so that one edit can fix them all."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(issue) for issue in issues))

    @property
    def lines(self) -> list[str]:
        return [str(issue) for issue in self.issues]
