"""Where the cases of a cohort run: in this process, in a local process pool, or on Dask.

* ``serial`` — one case after another in this process (the default);
* ``local`` — ``jobs`` spawned worker processes on this machine, one case per task;
* ``dask`` — ``dask.distributed``: a ``LocalCluster`` of ``jobs`` single-threaded worker
  processes, or the existing cluster at ``scheduler`` (e.g. one that dask-jobqueue started on
  Slurm; the output folder must then be on a file system the workers share).

Each worker gets its share of the free cores as ``STROKESEG_THREADS``, so ``jobs`` workers do
not oversubscribe the machine. :func:`run_tasks` yields every task's outcome as it finishes;
an exception is returned as the outcome, not raised, so one failed case never stops the others.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from strokeseg.errors import ConfigError, Message, Param
from strokeseg.util.pool import terminate, worker_thread_env


class ExecutorKind(StrEnum):
    """Where the cases run."""

    SERIAL = "serial"
    LOCAL = "local"
    DASK = "dask"


@dataclass(frozen=True)
class ExecutorConfig:
    """How a cohort's cases are spread.

    Attributes:
        kind: serial, local or dask.
        jobs: worker processes (local, or the size of the Dask ``LocalCluster``).
        scheduler: address of a running Dask scheduler (``tcp://host:8786``); dask only.
    """

    kind: ExecutorKind = ExecutorKind.SERIAL
    jobs: int = 1
    scheduler: str | None = None

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "kind", ExecutorKind(self.kind))
        except ValueError:
            raise ConfigError(
                Message(Param("executor", takes_value=True), f" one of {', '.join(k.value for k in ExecutorKind)}, got {self.kind!r}")
            ) from None
        if self.jobs < 1:
            raise ConfigError(Message(Param("jobs", takes_value=True), f" at least 1, got {self.jobs}"))
        if self.scheduler and self.kind is not ExecutorKind.DASK:
            raise ConfigError(Message(Param("scheduler", verb=""), " needs the dask executor"))

    @property
    def parallel(self) -> bool:
        """Whether cases leave this process."""
        return self.kind is not ExecutorKind.SERIAL


Outcome = tuple[int, Any, BaseException | None]


def run_tasks(fn: Callable[..., Any], calls: Sequence[tuple[Any, ...]], cfg: ExecutorConfig, retries: int = 1) -> Iterator[Outcome]:
    """``(index, result, error)`` of ``fn(*calls[index])`` for every call, in completion order.

    A call that raises is run again up to ``retries`` times (a worker that died, a node that went
    away); its last error is the outcome. ``fn`` and its arguments must pickle for the local and
    dask executors (a module-level function, or a ``functools.partial`` of one), and ``fn`` must
    be safe to repeat.
    """
    if not calls:
        return
    if cfg.kind is ExecutorKind.SERIAL:
        for i, args in enumerate(calls):
            for attempt in range(retries + 1):
                try:
                    yield i, fn(*args), None
                    break
                except Exception as exc:
                    if attempt == retries:
                        yield i, None, exc
        return
    if cfg.kind is ExecutorKind.LOCAL:
        yield from _local(fn, calls, cfg.jobs, retries)
    else:
        yield from _dask(fn, calls, cfg, retries)


class WorkerDied(RuntimeError):
    """The worker process running a task died (killed, out of memory, a crash in native code)."""


def _started(marks: str, i: int, fn: Callable[..., Any], *args: Any) -> Any:
    """Run ``fn(*args)`` in a worker after leaving a mark that task ``i`` started."""
    Path(marks, str(i)).touch()
    return fn(*args)


def _new_pool(jobs: int) -> ProcessPoolExecutor:
    from strokeseg.util.pool import exit_with_parent

    with worker_thread_env(jobs):  # the workers start at the first submissions, with their share set
        return ProcessPoolExecutor(
            max_workers=jobs, mp_context=multiprocessing.get_context("spawn"), initializer=exit_with_parent, initargs=(os.getpid(),)
        )


def _local(fn: Callable[..., Any], calls: Sequence[tuple[Any, ...]], jobs: int, retries: int) -> Iterator[Outcome]:
    """The local pool. A worker that dies breaks the whole pool: every task it had started (marked) counts
    one failed try, every other task is simply resubmitted, to a new pool."""
    jobs = min(jobs, len(calls))
    tries = [0] * len(calls)
    with tempfile.TemporaryDirectory(prefix="strokeseg-tasks-") as marks:
        pool = _new_pool(jobs)
        try:
            pending = {pool.submit(_started, marks, i, fn, *args): i for i, args in enumerate(calls)}
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                broken = []
                for fut in done:
                    i, exc = pending.pop(fut), fut.exception()
                    if isinstance(exc, BrokenProcessPool):
                        broken.append(i)
                        continue
                    if exc is not None and tries[i] < retries:
                        tries[i] += 1
                        pending[pool.submit(_started, marks, i, fn, *calls[i])] = i
                        continue
                    yield i, (None if exc else fut.result()), exc
                if not broken:
                    continue
                broken += list(pending.values())  # the pool is gone: every task still queued moves too
                pending.clear()
                terminate(pool)
                pool = _new_pool(jobs)
                for i in sorted(set(broken)):
                    mark = Path(marks, str(i))
                    if mark.exists():
                        mark.unlink()
                        tries[i] += 1
                        if tries[i] > retries:
                            yield i, None, WorkerDied(f"the worker process running it died ({1 + retries} tries)")
                            continue
                    pending[pool.submit(_started, marks, i, fn, *calls[i])] = i
        except BaseException:
            terminate(pool)
            raise
        pool.shutdown(wait=True)


def _dask(fn: Callable[..., Any], calls: Sequence[tuple[Any, ...]], cfg: ExecutorConfig, retries: int) -> Iterator[Outcome]:
    try:
        from distributed import Client, LocalCluster
        from distributed import as_completed as dask_completed
    except ImportError:
        raise ConfigError("the dask executor needs dask.distributed: pip install 'dask[distributed]'") from None
    cluster = None
    if cfg.scheduler:
        client = Client(cfg.scheduler)
    else:
        with worker_thread_env(cfg.jobs):
            cluster = LocalCluster(
                n_workers=min(cfg.jobs, len(calls)),
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
        client = Client(cluster)
    try:
        futures = {}
        for i, args in enumerate(calls):
            futures[client.submit(fn, *args, pure=False, retries=retries)] = i
        for fut in dask_completed(list(futures)):
            exc = fut.exception()
            yield futures[fut], (None if exc else fut.result()), exc
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
