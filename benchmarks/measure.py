"""Shared measuring helpers for the benchmarks: run a command, sample its memory, take medians."""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):  # the process may go while it is looked at
        for task in Path(f"/proc/{pid}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                found += [int(c) for c in task.read_text().split()]
    return found


def process_tree(pid: int) -> list[int]:
    """A process and all its descendants."""
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        stack += _children(current)
    return found


def process_rss(pid: int) -> int:
    """Resident memory of one process in bytes (0 once it has gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def process_cpu(pid: int) -> float:
    """CPU seconds (user and system, all threads) of one process; 0 once it has gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = sum(int(value) for value in fields[11:13])  # utime, stime (not cutime: a reaped worker is counted already)
    return ticks / CLOCK_TICKS


def rss_tree(pid: int) -> int:
    """Resident memory of a process and all its descendants, in bytes."""
    return sum(process_rss(current) for current in process_tree(pid))


def measure(command: list[str]) -> tuple[float, int]:
    """Wall seconds and peak resident memory (process tree, sampled every 20 ms) of one command."""
    seconds, _, peak = measure_cpu(command)
    return seconds, peak


def measure_cpu(
    command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None
) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user and system of the command and every child it waited for) and peak resident
    memory of one command: the larger of its process tree's, sampled every 20 ms, and its process's own peak. `cwd`
    and `env` run it elsewhere (an older checkout: `baseline_env`)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, cwd=cwd, env=env)
    peak = 0
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        peak = max(peak, rss_tree(process.pid))
        time.sleep(0.02)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"{command[3:5]} failed with exit code {process.returncode}")
    # the kernel's own high-water mark of the command's process (and of each child it waited for, the largest):
    # exact where sampling, on a loaded machine, misses a peak that lasts less than the interval
    peak = max(peak, usage.ru_maxrss * 1024)
    return elapsed, usage.ru_utime + usage.ru_stime, peak


def synthgen(*args: str) -> list[str]:
    """A `synthgen` command run as a fresh process with this interpreter, as a user would run it."""
    return [sys.executable, "-m", "synthgen", *args]


def baseline_env(checkout: Path) -> dict[str, str]:
    """The environment in which a `synthgen` command (from `synthgen`), run from an older checkout's folder (which
    `python -m` puts first on the path), runs that checkout's code in its workers too."""
    return {**os.environ, "PYTHONPATH": str(checkout)}


def median_measure(command: list[str], runs: int) -> tuple[float, int]:
    """Median wall seconds and median peak memory of `runs` runs of a command (this machine is noisy)."""
    results = [measure(command) for _ in range(runs)]
    return statistics.median(r[0] for r in results), int(statistics.median(r[1] for r in results))


def median_measure_cpu(command: list[str], runs: int) -> tuple[float, float, int]:
    """Median wall seconds, CPU seconds and peak memory of `runs` runs of a command."""
    results = [measure_cpu(command) for _ in range(runs)]
    return (
        statistics.median(r[0] for r in results),
        statistics.median(r[1] for r in results),
        int(statistics.median(r[2] for r in results)),
    )
