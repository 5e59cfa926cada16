"""How many CPU threads strokeseg uses, chosen from the cores that are actually free.

On a shared machine an all-core thread pool competes with the other busy processes: each
parallel region then waits for its slowest thread, and multi-threaded torch/BLAS code slows by
far more than the share of the machine it lost. So the default is the number of cores this
process may run on (its CPU affinity) minus the cores of that CPU set other processes kept busy
(``/proc/stat`` less this process's own CPU time) over at least 50 ms, measured once per process
(not the 1-minute load average, which lags a minute behind), at least 1. The ``strokeseg``
command starts the measurement when it starts (:func:`start_sampling`), so the window is its own
start-up (imports, reading) and nothing waits for it.

``STROKESEG_THREADS=N`` (or the CLI's ``--threads N``, which sets it) overrides the choice.

:func:`parallel_map` runs a function over items on that many threads; it is for NumPy/SciPy
kernels that release the GIL (``scipy.ndimage`` filters, large ufuncs), so results are
identical to a serial loop, in input order.
"""

from __future__ import annotations

import contextlib
import functools
import os
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from strokeseg.errors import ConfigError

A = TypeVar("A")
R = TypeVar("R")
ENV = "STROKESEG_THREADS"
#: ``1``: every stage on one thread with torch's deterministic algorithms (the CLI's ``--deterministic``)
DETERMINISTIC_ENV = "STROKESEG_DETERMINISTIC"
#: more threads than this is a typo, not a machine (99999 made torch abort)
MAX_THREADS = 1024


class ThreadsError(ConfigError, ValueError):
    """A thread count that is not an integer from 1 to :data:`MAX_THREADS`."""


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _affinity() -> set[int] | None:
    try:
        return set(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return None


def _cpu_times(stat: Path, cpus: set[int] | None) -> tuple[int, int]:
    """(busy, total) jiffies summed over the ``cpuN`` lines of ``/proc/stat`` for N in ``cpus`` (all when None)."""
    busy = total = 0
    for line in stat.read_text().splitlines():
        name, *values = line.split()
        if not (name.startswith("cpu") and name[3:].isdigit()) or (cpus is not None and int(name[3:]) not in cpus):
            continue
        f = [int(v) for v in values]
        t = sum(f[:8])  # guest time is already inside user time
        busy += t - f[3] - (f[4] if len(f) > 4 else 0)  # minus idle and iowait
        total += t
    return busy, total


_STAT = Path("/proc/stat")
_started: tuple[float, int, int, float] | None = None  # (monotonic s, busy, total jiffies, own CPU s) at start_sampling()


def _own_cpu_s() -> float:
    t = os.times()
    return t.user + t.system


def start_sampling() -> None:
    """Take the first ``/proc/stat`` sample now; :func:`busy_elsewhere` then measures from here."""
    global _started
    try:
        b, t = _cpu_times(_STAT, _affinity())
    except (OSError, ValueError, IndexError):
        return
    _started = (time.monotonic(), b, t, _own_cpu_s())


def busy_elsewhere(stat: Path | None = None, window_s: float = 0.05) -> int:
    """Cores of this process's CPU set kept busy by other processes: the busy jiffies of ``stat`` less this
    process's own CPU time, over at least ``window_s``: from :func:`start_sampling` when it was called
    (and ``stat`` is ``/proc/stat``, the default), else a fresh sample around a sleep.

    0 when ``/proc/stat`` cannot be read.
    """
    cpus = _affinity()
    try:
        if _started is not None and stat is None:
            since, b0, t0, own0 = _started
            time.sleep(max(0.0, window_s - (time.monotonic() - since)))
        else:
            b0, t0 = _cpu_times(stat or _STAT, cpus)
            own0 = _own_cpu_s()
            time.sleep(window_s)
        b1, t1 = _cpu_times(stat or _STAT, cpus)
        own = (_own_cpu_s() - own0) * os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0
    if t1 <= t0:
        return 0
    n = len(cpus) if cpus else max(1, os.cpu_count() or 1)
    return max(0, round((b1 - b0 - own) / (t1 - t0) * n))


def deterministic() -> bool:
    """Whether ``$STROKESEG_DETERMINISTIC`` asks for results that do not depend on the thread count."""
    return os.environ.get(DETERMINISTIC_ENV, "").strip() not in ("", "0")


def thread_count(requested: int | None = None) -> int:
    """Threads to use: 1 when :func:`deterministic`, else ``requested``, else ``$STROKESEG_THREADS``, else the free
    cores (≥ 1). One thread is what makes float32 reductions (torch's, BLAS's) sum in one order whatever the
    machine offers; the cost is the speed of one core.

    Raises:
        ConfigError (a ValueError too): ``requested`` or the environment variable is not an integer
        from 1 to :data:`MAX_THREADS`.
    """
    if requested is None and os.environ.get(ENV, "").strip():
        text = os.environ[ENV].strip()
        if not text.isdigit() or not 1 <= int(text) <= MAX_THREADS:
            raise ThreadsError(f"{ENV} must be an integer from 1 to {MAX_THREADS}, got {text[:40]!r}")
        requested = int(text)
    if deterministic():
        return 1
    if requested is not None:
        if not 1 <= requested <= MAX_THREADS:
            raise ThreadsError(f"threads must be an integer from 1 to {MAX_THREADS}, got {requested}")
        return int(requested)
    return _free_cores()


@functools.lru_cache(maxsize=1)
def _free_cores() -> int:
    cores = usable_cores()
    return max(1, min(cores, cores - busy_elsewhere()))


def configure_torch(threads: int | None = None) -> int:
    """Set torch's intra-op threads to :func:`thread_count` (imports torch) and let freed tensor memory be
    reused (:func:`strokeseg.util.memory.keep_freed_memory`); returns the number of threads set."""
    import torch

    from strokeseg.util.memory import keep_freed_memory

    keep_freed_memory()
    n = thread_count(threads)
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    if deterministic():
        from threadpoolctl import threadpool_limits

        torch.use_deterministic_algorithms(True)
        threadpool_limits(limits=1, user_api="blas")  # NumPy/SciPy's BLAS too, for the rest of the process
    return n


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
