"""An error is always one line, whatever the user's input echoed in it holds: newlines, carriage returns, terminal
escapes, text that reorders what follows it, and the undecodable bytes of a file name are written as escapes."""

from __future__ import annotations

from click.testing import CliRunner

from synthgen.cli import cli
from synthgen.errors import Issue, SynthgenError, one_line, shown


def test_what_would_break_or_hide_a_line_is_escaped() -> None:
    assert one_line("plain text, é and 名前") == "plain text, é and 名前"
    assert one_line("a\nb\rc\td") == "a\\nb\\rc\\td"
    assert one_line("\x1b[31mred\x00") == "\\x1b[31mred\\x00"
    assert one_line("\u202etxt.exe\u2028next") == "\\u202etxt.exe\\u2028next"
    assert one_line("name\udcff") == "name\\xff"  # a file name's byte that is not UTF-8


def test_errors_and_issues_are_one_line() -> None:
    assert str(SynthgenError("flags.csv: concern 'a\nb' is odd")) == "flags.csv: concern 'a\\nb' is odd"
    assert str(Issue("s.yaml", 3, "name", "bad\nname")) == "s.yaml:3: name: bad\\nname"
    assert len(shown("x" * 10_000)) == 80


def test_the_command_line_echoes_a_path_on_one_line() -> None:
    result = CliRunner().invoke(cli, ["describe", "runs/a\nb\x1b[2J"])
    assert (result.exit_code, result.stderr) == (2, "Error: runs/a\\nb\\x1b[2J: no such run folder\n")
