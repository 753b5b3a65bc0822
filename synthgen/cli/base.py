"""What every command shares: the top-level group, errors as one line each with exit code 2, the options several
commands take, and the progress shown on stderr while a command works."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

import synthgen
from synthgen.arguments import ArgumentError
from synthgen.console import EXIT_INTERRUPTED
from synthgen.errors import SynthgenError, one_line
from synthgen.linkage import DEFAULT_METHOD, METHODS

EXIT_USER_ERROR = 2

F = TypeVar("F", bound=Callable[..., Any])


class Int(click.IntRange):
    """A bounded integer whose error reads 'is not a valid integer' (click's says 'integer range')."""

    name = "integer"


class Finite(click.FloatRange):
    """A bounded number that is a number: click's FloatRange lets nan through every bound, and inf past a minimum."""

    name = "float"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{one_line(str(value))!r} is not a finite number.", param, ctx)
        return number


def fail(lines: list[str], code: int = EXIT_USER_ERROR) -> NoReturn:
    for line in lines:
        click.echo(f"Error: {one_line(line)}", err=True)
    sys.exit(code)


class Commands(click.Group):
    """The top-level group: click's own usage errors also become one 'Error:' line and exit code 2."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            result = super().main(*args, **kwargs)
        except click.exceptions.Abort:
            fail(["interrupted"], EXIT_INTERRUPTED)
        except click.ClickException as error:
            fail([error.format_message()])
        except SynthgenError as error:
            fail(error.lines)
        if isinstance(result, int) and result:
            sys.exit(result)
        return result


def _option_for(argument: str) -> str:
    """The option of the running command that sets a library argument (e.g. plant_errors: --plant-errors)."""
    context = click.get_current_context(silent=True)
    if context is not None:
        for param in context.command.params:
            if param.name == argument and isinstance(param, click.Option):
                return max(param.opts, key=len)
    return argument


@contextmanager
def user_errors() -> Iterator[None]:
    """The library's errors as one line each; an error about an argument names the option that sets it."""
    try:
        yield
    except ArgumentError as error:
        fail([error.naming(_option_for(error.argument))])
    except SynthgenError as error:
        fail(error.lines)


# ------------------------------------------------------------------------------------------------ shared options


def run_argument(function: F) -> F:
    """RUN: a run folder that `synthgen generate` wrote."""
    return click.argument("run", type=click.Path(path_type=Path))(function)


def out_option(help: str, *, required: bool = True) -> Callable[[F], F]:
    """-o/--out: what the command writes."""
    return click.option("-o", "--out", type=click.Path(path_type=Path), required=required, help=help)


def overwrite_option(help: str) -> Callable[[F], F]:
    return click.option("--overwrite", is_flag=True, help=help)


def workers_option(help: str) -> Callable[[F], F]:
    """--workers: processes working at once; the output never depends on their number."""
    return click.option("--workers", type=Int(min=1, max=256), default=1, show_default=True, help=help)


def method_option(function: F) -> F:
    """--method: a reference linker, by the names the linkers' registry gives them."""
    return click.option("--method", type=click.Choice(list(METHODS)), default=DEFAULT_METHOD, show_default=True)(
        function
    )


def score_files(function: F) -> F:
    """--json and --report: where an evaluation also writes its scores."""
    function = click.option(
        "--report", "report_path", type=click.Path(path_type=Path), help="Write a self-contained HTML report."
    )(function)
    function = click.option(
        "--json", "json_path", type=click.Path(path_type=Path), help="Write every metric to this JSON file."
    )(function)
    return overwrite_option("Replace the JSON and report files if they exist.")(function)


def plant_errors_option(help: str, *, show_default: bool = False) -> Callable[[F], F]:
    return click.option("--plant-errors", type=Int(min=0), default=0, show_default=show_default, help=help)


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(synthgen.__version__, prog_name="synthgen")
def cli() -> None:
    """Synthetic multi-agency safeguarding data for England, with the truth known.

    \b
    Example: synthgen generate scenarios/demo.yaml -o output/demo
    """


@contextmanager
def progress(enabled: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    """A progress bar on stderr for interactive runs; silent when output is piped or captured."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=True,
    ) as bar:
        tasks: dict[str, Any] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield report


@contextmanager
def working(what: str) -> Iterator[None]:
    """A spinner and the time taken so far on stderr while a step of unknown length runs (a linker, a screen, a
    return), so a long command is never silent; interactive runs only, and gone when it is done."""
    if not sys.stderr.isatty():
        yield
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), transient=True) as bar:
        bar.add_task(what, total=None)
        yield
