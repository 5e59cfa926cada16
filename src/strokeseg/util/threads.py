"""How many CPU threads strokeseg uses, chosen from the cores that are actually free.

On a shared machine an all-core thread pool competes with the other busy processes: each
parallel region then waits for its slowest thread, and multi-threaded torch/BLAS code slows by
far more than the share of the machine it lost. So the default is the number of cores this
process may run on (its CPU affinity) minus the runnable tasks of other processes (from
``/proc/loadavg``, the instantaneous count, not the 1-minute average), at least 1.

``STROKESEG_THREADS=N`` (or the CLI's ``--threads N``, which sets it) overrides the choice.

:func:`parallel_map` runs a function over items on that many threads; it is for NumPy/SciPy
kernels that release the GIL (``scipy.ndimage`` filters, large ufuncs), so results are
identical to a serial loop, in input order.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

A = TypeVar("A")
R = TypeVar("R")
ENV = "STROKESEG_THREADS"


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def busy_elsewhere(loadavg: Path = Path("/proc/loadavg")) -> int:
    """Runnable tasks other than this one right now (field 4 of ``/proc/loadavg``); 0 when unknown."""
    try:
        running = int(loadavg.read_text().split()[3].split("/")[0])
    except (OSError, ValueError, IndexError):
        return 0
    return max(0, running - 1)


def thread_count(requested: int | None = None) -> int:
    """Threads to use: ``requested``, else ``$STROKESEG_THREADS``, else the free cores (≥ 1).

    Raises:
        ValueError: ``requested`` or the environment variable is not a positive integer.
    """
    if requested is None and os.environ.get(ENV, "").strip():
        text = os.environ[ENV].strip()
        if not text.isdigit() or int(text) < 1:
            raise ValueError(f"{ENV} must be a positive integer, got {text!r}")
        requested = int(text)
    if requested is not None:
        if requested < 1:
            raise ValueError(f"threads must be a positive integer, got {requested}")
        return int(requested)
    cores = usable_cores()
    return max(1, min(cores, cores - busy_elsewhere()))


@contextlib.contextmanager
def blas_threads(n: int) -> Iterator[None]:
    """Limit the BLAS libraries NumPy/SciPy use (OpenBLAS, MKL) to ``n`` threads inside the block."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=n, user_api="blas"):
        yield


def parallel_map(fn: Callable[[A], R], items: Iterable[A], threads: int | None = None) -> list[R]:
    """``[fn(x) for x in items]`` on ``thread_count(threads)`` threads, in input order."""
    items = list(items)
    n = min(thread_count(threads), len(items))
    if n <= 1:
        return [fn(x) for x in items]
    with ThreadPoolExecutor(max_workers=n) as ex:
        return list(ex.map(fn, items))
