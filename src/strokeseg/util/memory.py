"""Keeping freed memory for reuse in CPU inference and training (glibc ``mallopt``).

PyTorch's CPU allocator hands every tensor to ``malloc``. glibc serves blocks above its mmap
threshold (a few MB at most) with fresh ``mmap`` pages and returns them on ``free``, so each layer
of a network pays for new, zero-filled pages again: page faults, on every window batch. With a
high mmap threshold and trim threshold the freed blocks stay on the heap and are reused. The
values computed are identical; the process keeps the memory it peaked at until it exits (its peak
is what it needed anyway).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
HEAP_LIMIT = 1 << 30  # blocks up to 1 GiB come from the heap; the heap keeps up to 1 GiB of freed memory


#: ``0`` leaves glibc's thresholds alone: a long-lived process that runs many unrelated jobs (a test session,
#: a notebook) then gives freed memory back instead of keeping its peak
ENV = "STROKESEG_KEEP_FREED_MEMORY"


@functools.lru_cache(maxsize=1)
def _glibc() -> ctypes.CDLL | None:
    """The C library when it is glibc (it has ``mallopt`` and ``malloc_trim``), else None; looked up once
    (``find_library`` runs ``ldconfig``)."""
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.mallopt, libc.malloc_trim  # noqa: B018 - AttributeError where the C library is not glibc
    except (OSError, AttributeError):  # musl, macOS: leave the allocator alone
        return None
    return libc


@functools.lru_cache(maxsize=1)
def keep_freed_memory() -> bool:
    """Set glibc's mmap and trim thresholds (once per process); False where the C library is not glibc, or
    where ``$STROKESEG_KEEP_FREED_MEMORY`` is ``0``."""
    libc = None if os.environ.get(ENV, "").strip() == "0" else _glibc()
    if libc is None:
        return False
    return bool(libc.mallopt(M_MMAP_THRESHOLD, HEAP_LIMIT)) and bool(libc.mallopt(M_TRIM_THRESHOLD, HEAP_LIMIT))


def release_freed_memory() -> None:
    """Give the heap's free memory back to the system now (glibc ``malloc_trim``; nothing elsewhere)."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


__all__ = ["ENV", "keep_freed_memory", "release_freed_memory"]
