"""The error a library call raises when one of its arguments is wrong, named so that each caller can say it its way.

The library never names command-line options (`--plant-errors`): a notebook user passed `plant_errors=`. The
message therefore names the argument as Python knows it, and the CLI, which knows the argument as an option,
names the option instead (`ArgumentError.naming`). Everything else about the error is a `SynthgenError`: one
clear line, exit code 2 on the command line.
"""

from __future__ import annotations

from synthgen.errors import SynthgenError

PLACE = "{argument}"
"""Where the argument's name goes in a message."""


class ArgumentError(SynthgenError):
    """A problem with the library argument `argument`; `template` holds `{argument}` where it is named."""

    def __init__(self, argument: str, template: str, *, as_written: str | None = None) -> None:
        self.argument = argument
        self.template = template
        super().__init__(self.naming(as_written or argument))

    def naming(self, name: str) -> str:
        """The message with the argument called `name` (e.g. the option that sets it)."""
        return self.template.replace(PLACE, name)
