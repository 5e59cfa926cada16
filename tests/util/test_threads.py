"""Thread count from the free cores, the override, and an order-keeping parallel map."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from strokeseg.util import threads


def test_busy_elsewhere_from_cpu_time(tmp_path: Path, monkeypatch) -> None:
    stat = tmp_path / "stat"
    # cpu0 and cpu1 fully busy, cpu2 and cpu3 idle, cpu4 (outside our CPU set) busy
    before = "cpu  0 0 0 0 0 0 0 0\n" + "".join(f"cpu{i} 100 0 0 100 0 0 0 0 0 0\n" for i in range(5))
    after = "cpu  0 0 0 0 0 0 0 0\n" + "".join(
        f"cpu{i} {200 if i in (0, 1, 4) else 100} 0 0 {100 if i in (0, 1, 4) else 200} 0 0 0 0 0 0\n" for i in range(5)
    )
    samples = iter([before, after])
    monkeypatch.setattr(threads.time, "sleep", lambda s: stat.write_text(next(samples)))
    stat.write_text(next(samples))
    monkeypatch.setattr(threads, "_affinity", lambda: {0, 1, 2, 3})
    assert threads.busy_elsewhere(stat) == 2  # 200 of 400 jiffies busy on our 4 cores; cpu4 does not count
    monkeypatch.setattr(threads.time, "sleep", lambda s: None)
    stat.write_text("garbage")
    assert threads.busy_elsewhere(stat) == 0
    assert threads.busy_elsewhere(tmp_path / "missing") == 0


def test_busy_elsewhere_measures_from_the_start_and_leaves_out_our_own_cpu_time(tmp_path: Path, monkeypatch) -> None:
    stat = tmp_path / "stat"
    idle = "".join(f"cpu{i} 100 0 0 100 0 0 0 0 0 0\n" for i in range(2))
    # over the start-up, cpu0 was busy 1 s (100 jiffies) and cpu1 idle
    later = "cpu0 200 0 0 100 0 0 0 0 0 0\ncpu1 100 0 0 200 0 0 0 0 0 0\n"
    monkeypatch.setattr(threads, "_STAT", stat)
    monkeypatch.setattr(threads, "_affinity", lambda: {0, 1})
    monkeypatch.setattr(threads.os, "sysconf", lambda name: 100)
    slept: list[float] = []
    monkeypatch.setattr(threads.time, "sleep", slept.append)
    cpu = iter([0.0, 1.0])  # this process used that second itself (its imports)
    monkeypatch.setattr(threads, "_own_cpu_s", lambda: next(cpu))
    stat.write_text(idle)
    threads.start_sampling()
    stat.write_text(later)
    assert threads.busy_elsewhere() == 0
    cpu = iter([0.0, 0.0])  # another process used it
    monkeypatch.setattr(threads, "_own_cpu_s", lambda: next(cpu))
    stat.write_text(idle)
    threads.start_sampling()
    monkeypatch.setattr(threads.time, "monotonic", lambda: 1e9)  # long after the start: no wait
    stat.write_text("cpu0 100 0 0 200 0 0 0 0 0 0\ncpu1 200 0 0 100 0 0 0 0 0 0\n")
    assert threads.busy_elsewhere() == 1
    assert slept[-1] == 0.0
    monkeypatch.setattr(threads, "_started", None)


def test_thread_count_leaves_busy_cores_and_obeys_the_override(monkeypatch) -> None:
    monkeypatch.delenv(threads.ENV, raising=False)
    monkeypatch.setattr(threads, "usable_cores", lambda: 8)
    monkeypatch.setattr(threads, "busy_elsewhere", lambda: 3)
    threads._free_cores.cache_clear()
    assert threads.thread_count() == 5
    monkeypatch.setattr(threads, "busy_elsewhere", lambda: 20)
    threads._free_cores.cache_clear()
    assert threads.thread_count() == 1
    threads._free_cores.cache_clear()
    monkeypatch.setenv(threads.ENV, "3")
    assert threads.thread_count() == 3
    assert threads.thread_count(2) == 2  # an explicit request wins
    monkeypatch.setenv(threads.ENV, "zero")
    with pytest.raises(ValueError, match="STROKESEG_THREADS"):
        threads.thread_count()
    with pytest.raises(ValueError):
        threads.thread_count(0)


def test_parallel_map_keeps_order_and_equals_a_loop() -> None:
    from scipy import ndimage

    rng = np.random.default_rng(0)
    slabs = [rng.random((40, 40, 8)).astype(np.float32) for _ in range(7)]

    def f(a: np.ndarray) -> np.ndarray:
        return ndimage.gaussian_filter1d(a, 1.3, axis=0)

    par = threads.parallel_map(f, slabs, threads=2)
    assert all(np.array_equal(p, f(s)) for p, s in zip(par, slabs))
    assert threads.parallel_map(lambda x: x * 2, [], threads=2) == []


def test_blas_threads_limits_and_restores() -> None:
    from threadpoolctl import threadpool_info

    def blas_limits() -> list[int]:
        return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]

    before = blas_limits()
    with threads.blas_threads(1):
        assert all(n == 1 for n in blas_limits())
    assert blas_limits() == before
