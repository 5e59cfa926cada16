"""One way to run jobs in worker processes: spawned (never forked), cores split, stopped on error.

Spawn, not fork: the parent may hold torch/OpenMP threads (or a CUDA context) that a forked
child would inherit locked. Each worker gets ``free cores // jobs`` threads, so ``jobs``
all-core thread pools do not oversubscribe the machine. An error, Ctrl-C or SIGTERM terminates
the workers at once instead of waiting for their jobs.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from typing import Any, TypeVar

R = TypeVar("R")
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def threads_per_job(jobs: int) -> int:
    """The CPU threads each of ``jobs`` workers gets: its share of the free cores (at least 1)."""
    from strokeseg.util.threads import thread_count

    return max(1, thread_count() // max(1, jobs))


@contextmanager
def worker_thread_env(jobs: int) -> Iterator[None]:
    """The thread variables (``OMP_NUM_THREADS`` …, ``STROKESEG_THREADS``) set to each of ``jobs``
    workers' share while the block starts them; restored afterwards."""
    from strokeseg.util.threads import ENV

    keys = (*THREAD_VARS, ENV)
    saved = {k: os.environ.get(k) for k in keys}
    os.environ.update(dict.fromkeys(keys, str(threads_per_job(jobs))))
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def exit_with_parent(parent: int, every_s: float = 0.5) -> None:
    """A worker's initializer: a daemon thread ends the worker once ``parent`` is gone (a SIGKILLed main
    process cannot stop its workers itself; they would finish their case and then wait forever)."""
    import threading
    import time

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every_s)
        os._exit(1)

    threading.Thread(target=watch, name="strokeseg-parent-watch", daemon=True).start()


def run_in_processes(fn: Callable[..., R], calls: Sequence[tuple[Any, ...]], jobs: int) -> Iterator[tuple[int, R]]:
    """Yield ``(index, fn(*calls[index]))`` as the worker processes finish them (completion order).

    ``fn`` must be a module-level function (it is pickled). Workers start with the thread
    variables (``OMP_NUM_THREADS`` …) set to their share of the cores.
    """
    with worker_thread_env(jobs):
        pool = ProcessPoolExecutor(
            max_workers=jobs, mp_context=multiprocessing.get_context("spawn"), initializer=exit_with_parent, initargs=(os.getpid(),)
        )
        futures = {pool.submit(fn, *args): i for i, args in enumerate(calls)}  # workers start with the share set
    try:
        for fut in as_completed(futures):
            yield futures[fut], fut.result()
    except BaseException:
        terminate(pool)
        raise
    pool.shutdown(wait=True)


def terminate(pool: ProcessPoolExecutor) -> None:
    """Stop the pool's workers at once (an error, Ctrl-C or SIGTERM) instead of waiting for their jobs."""
    for proc in list(getattr(pool, "_processes", {}).values()):
        proc.terminate()
    pool.shutdown(wait=True, cancel_futures=True)
