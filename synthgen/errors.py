"""The errors a user can cause, and how they read.

A user error is never a traceback: the CLI prints each issue as one line and exits with code 2. Library callers
catch :class:`SynthgenError` and read ``issues`` when they want the parts.

A message often echoes what the user gave (a value, a column name, a path), and that may hold a newline, a
carriage return, a terminal escape or bytes that are not text: `one_line` writes those as escapes, so that an error
is always one line, and one that prints on any terminal.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

SHOWN = 80
"""Characters of a value echoed in a message (`shown`): enough to recognise it, never a screenful."""

_LINE_BREAKING = {"Cc", "Zl", "Zp", "Cs"}
"""Control characters, line and paragraph separators, and lone surrogates (a file name's undecodable bytes)."""
_BIDI_CONTROLS = set("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""Characters that reorder the text after them on screen: an error must read as it is."""


def _escape(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, as Python's surrogateescape holds it
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char, f"\\x{code:02x}")
    return f"\\u{code:04x}"


def one_line(text: str) -> str:
    """`text` with every character that would break the line, or hide part of it, written as an escape."""
    if text.isprintable():
        return text
    return "".join(_escape(c) if unicodedata.category(c) in _LINE_BREAKING or c in _BIDI_CONTROLS else c for c in text)


def shown(value: object, limit: int = SHOWN) -> str:
    """A value as an error quotes it: its repr, cut to `limit` characters (a 1 MB value is not echoed whole)."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 5]}...{text[-2:]}"


@dataclass(frozen=True)
class Issue:
    """One problem in one place: ``file:line: path: message`` (line and path are left out when unknown)."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        text = f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        return one_line(text)


class SynthgenError(Exception):
    """A problem the user can fix (bad input, an existing output folder); never a bug in synthgen."""

    def __init__(self, message: str) -> None:
        message = one_line(message)
        super().__init__(message)
        self.message = message

    @property
    def lines(self) -> list[str]:
        return [self.message]


class ScenarioError(SynthgenError):
    """Every problem found in a scenario, reported together so that one edit can fix them all."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        message = "\n".join(str(issue) for issue in issues)  # each issue one line of its own
        Exception.__init__(self, message)
        self.message = message

    @property
    def lines(self) -> list[str]:
        return [str(issue) for issue in self.issues]
