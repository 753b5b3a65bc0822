"""The command line: a thin layer that parses options, calls the library (one function per command, the same one a
notebook calls) and prints what it returns.

Every command's docstring is its --help, with its example as a paragraph of its own that click leaves unwrapped,
so it survives copy and paste. Errors print as ``Error: ...`` (one line per problem) with exit code 2 and no
traceback; a library error about one argument names the option that sets it.
"""

from __future__ import annotations

from synthgen.cli import evaluate, experiment, export, runs, systems  # noqa: F401  (each module adds its commands to the group)
from synthgen.cli.base import cli

__all__ = ["cli", "main"]


def main() -> None:
    """Console-script entry point (synthgen.console.main: Ctrl-C and `kill` handled from the first moment)."""
    from synthgen.console import main as console_main

    console_main()


if __name__ == "__main__":
    main()
