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
from typing import Any, TypeVar

R = TypeVar("R")
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def threads_per_job(jobs: int) -> int:
    """The CPU threads each of ``jobs`` workers gets: its share of the free cores (at least 1)."""
    from strokeseg.util.threads import thread_count

    return max(1, thread_count() // max(1, jobs))


def run_in_processes(fn: Callable[..., R], calls: Sequence[tuple[Any, ...]], jobs: int) -> Iterator[tuple[int, R]]:
    """Yield ``(index, fn(*calls[index]))`` as the worker processes finish them (completion order).

    ``fn`` must be a module-level function (it is pickled). Workers start with the thread
    variables (``OMP_NUM_THREADS`` …) set to their share of the cores.
    """
    threads = str(threads_per_job(jobs))
    saved = {k: os.environ.get(k) for k in THREAD_VARS}
    os.environ.update(dict.fromkeys(THREAD_VARS, threads))
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"))
    try:
        futures = {pool.submit(fn, *args): i for i, args in enumerate(calls)}
        for fut in as_completed(futures):
            yield futures[fut], fut.result()
    except BaseException:
        for proc in list(getattr(pool, "_processes", {}).values()):
            proc.terminate()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    pool.shutdown(wait=True)
