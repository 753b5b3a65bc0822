"""Where a run's tasks execute: in this process, in a local pool of worker processes, or on a Dask cluster.

A run is a few rounds of independent tasks (its shards; then its merges and run-level passes), each a plain
function of picklable arguments that writes its files itself and returns a small summary. An engine runs one
round and hands back the results as they finish; which engine ran a task never changes a byte it writes.
"""

from __future__ import annotations

import multiprocessing
import signal
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any, Protocol

from synthgen import allocators
from synthgen.errors import SynthgenError

Task = tuple[Callable[..., Any], tuple[Any, ...]]
"""A function and its arguments."""

DASK_RETRIES = 3
"""How often Dask runs a task again after it raised (a worker lost mid-task is rescheduled by the scheduler itself,
up to its `allowed-failures`)."""


class Engine(Protocol):
    workers: int

    def share(self, value: Any) -> Any:
        """`value` as an argument for many tasks (on a cluster, sent to each worker once)."""
        ...

    def run(self, tasks: Sequence[Task]) -> Iterator[tuple[int, Any]]:
        """Run every task; yield (its index, its result) as each finishes."""
        ...

    def close(self) -> None: ...


class InProcess:
    """Each task in turn, in this process."""

    workers = 1

    def share(self, value: Any) -> Any:
        return value

    def run(self, tasks: Sequence[Task]) -> Iterator[tuple[int, Any]]:
        for index, (function, args) in enumerate(tasks):
            yield index, function(*args)

    def close(self) -> None:
        pass


def _ignore_interrupts() -> None:
    """A worker leaves Ctrl-C to the command that started it, which stops the pool and says so in one line (the
    terminal sends the signal to every process of the command, and a worker's KeyboardInterrupt is a traceback)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _start_method() -> multiprocessing.context.BaseContext:
    """Workers forked from a fork server that has imported synthgen's shard code and read its reference tables once
    (synthgen/preload.py; each spawned worker spent some 0.7 CPU s on them); spawned where there is no fork server
    (Windows). Either way a worker starts clean: the server is a fresh single-threaded process, never this one."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    # the main module too: each worker imported it afresh (the command line's, with click and every command, 0.1 to
    # 0.15 CPU s), as a spawned worker does, never running its `if __name__ == "__main__"` block
    context.set_forkserver_preload(["__main__", "synthgen.preload"])
    return context


@dataclass(frozen=True)
class Shared:
    """A value a local pool's workers were handed once, when each started: a task's argument stands for it."""

    token: str


_SHARED: dict[str, Any] = {}
"""In a local pool's worker: the values shared with it, by token."""


def _start_worker(shared: dict[str, Any]) -> None:
    """A local pool's worker, as it starts: Ctrl-C left to the command, memory kept for the next task
    (synthgen.allocators.for_tasks), and the shared values at hand."""
    _ignore_interrupts()
    allocators.for_tasks()
    _SHARED.update(shared)


def _call(function: Callable[..., Any], *args: Any) -> Any:
    """In a local pool's worker: `function` on `args`, each shared value's stand-in replaced by the value."""
    return function(*(_SHARED[arg.token] if isinstance(arg, Shared) else arg for arg in args))


class LocalPool:
    """A pool of worker processes on this machine, each starting clean on every platform (`_start_method`), started
    at its first round.

    A value shared before then (the plan: some 15 MiB pickled, whatever the run's size) goes to each worker once
    as it starts, not with every task: at 4 million people the parent pickled it 80 times (1.2 GB of pages, 4
    CPU seconds of the parent's 5), and each worker unpickled it once a shard. The workers are the run's own, so
    their memory is set for a run's tasks (`allocators.for_tasks`)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.pool: ProcessPoolExecutor | None = None
        self.shared: dict[str, Any] = {}

    def share(self, value: Any) -> Any:
        if self.pool is not None:  # the workers have started: the value goes with each task
            return value
        token = uuid.uuid4().hex
        self.shared[token] = value
        return Shared(token)

    def run(self, tasks: Sequence[Task]) -> Iterator[tuple[int, Any]]:
        if self.pool is None:
            self.pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=_start_method(),
                initializer=_start_worker,
                initargs=(self.shared,),
            )
        futures: dict[Future[Any], int] = {
            self.pool.submit(_call, function, *args): index for index, (function, args) in enumerate(tasks)
        }
        for future in as_completed(futures):
            yield futures[future], future.result()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)


class OnDask:
    """A dask.distributed cluster, through a client (made from a scheduler's address, or handed in)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.workers = max(1, len(client.scheduler_info().get("workers", {})))
        self.token = uuid.uuid4().hex[:8]
        self.futures: list[Any] = []
        self.owned = False

    @classmethod
    def connect(cls, address: str) -> OnDask:
        distributed = dask_distributed()
        try:
            client = distributed.Client(address, timeout="30s")
        except (OSError, TimeoutError) as error:
            raise SynthgenError(f"cannot reach a Dask scheduler at {address} ({error})") from None
        engine = cls(client)
        engine.owned = True
        return engine

    def share(self, value: Any) -> Any:
        return self.client.scatter(value, broadcast=True, hash=False)

    def run(self, tasks: Sequence[Task]) -> Iterator[tuple[int, Any]]:
        distributed = dask_distributed()
        round_key = uuid.uuid4().hex[:8]
        futures = {
            self.client.submit(
                function, *args, key=f"synthgen-{function.__name__}-{self.token}-{round_key}-{index}",
                pure=False, retries=DASK_RETRIES,
            ): index
            for index, (function, args) in enumerate(tasks)
        }  # fmt: skip
        self.futures = list(futures)
        for future in distributed.as_completed(futures):
            yield futures[future], future.result()
        self.futures = []

    def close(self) -> None:
        if self.futures:
            self.client.cancel(self.futures)
            self.futures = []
        if self.owned:
            self.client.close()


def dask_distributed() -> Any:
    """The dask.distributed module, or one clear line saying how to install it."""
    try:
        import dask.distributed
    except ImportError:
        raise SynthgenError("running on a Dask cluster needs dask.distributed: pip install 'synthgen[dask]'") from None
    return dask.distributed


def engine_for(workers: int, tasks: int, scheduler: str | None = None, client: Any = None) -> Engine:
    """The engine a run asks for: a Dask client or scheduler address first, then a local pool when it has more
    than one worker and more than one task to give them, else this process."""
    if client is not None:
        return OnDask(client)
    if scheduler is not None:
        return OnDask.connect(scheduler)
    if workers > 1 and tasks > 1:
        return LocalPool(min(workers, tasks))
    return InProcess()
