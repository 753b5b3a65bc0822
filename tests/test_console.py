"""The entry point's stops: a Ctrl-C or `kill` is one line and its own exit code even when the code it interrupted
caught the exception raised in its place and raised another (pydantic does, building a model's validators)."""

from __future__ import annotations

import signal
from collections.abc import Callable

import pytest

from synthgen import cli, console


def _stopped_inside_a_library(signum: int, wrap: Callable[[BaseException], BaseException]) -> Callable[..., None]:
    def main(*args: object, **kwargs: object) -> None:
        try:
            signal.raise_signal(signum)
        except BaseException as caught:  # as a library that catches everything would
            raise wrap(caught) from None

    return main


@pytest.mark.parametrize(
    ("signum", "code", "line"),
    [(signal.SIGINT, 130, "Error: interrupted\n"), (signal.SIGTERM, 143, "Error: terminated\n")],
)
@pytest.mark.parametrize(
    "wrap",
    [lambda caught: RuntimeError(f"Error building validator: {caught!r}"), lambda caught: SystemExit(2)],
    ids=["another exception", "an error exit"],
)
def test_a_stop_turned_into_another_error_is_still_a_stop(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    signum: int,
    code: int,
    line: str,
    wrap: Callable[[BaseException], BaseException],
) -> None:
    monkeypatch.setattr(cli.cli, "main", _stopped_inside_a_library(signum, wrap))
    monkeypatch.setattr(console, "_received", [])
    previous = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    try:
        with pytest.raises(SystemExit) as leaving:
            console.main()
    finally:
        signal.signal(signal.SIGINT, previous[0])
        signal.signal(signal.SIGTERM, previous[1])
    assert leaving.value.code == code
    assert capsys.readouterr().err == line
