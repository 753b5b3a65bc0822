"""Running the command line in a test, as a user's shell would see it: exit code, standard output, standard error."""

from __future__ import annotations

from click.testing import CliRunner

from synthgen.cli import cli


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr
