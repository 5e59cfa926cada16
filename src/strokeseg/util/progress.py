"""Progress for every long step: a tqdm bar with ETA on a terminal, one log line per step otherwise.

Off a terminal (a log file, a pipe, CI) coarse steps (cases, folds, epochs, sweep points) each
get one line ``desc: n/total unit, elapsed, ETA`` on the ``strokeseg.progress`` logger, and fine
steps (batches, windows) one line when they finish. ``STROKESEG_QUIET=1`` silences both.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any, Protocol, TypeVar

T = TypeVar("T")
COARSE_UNITS = frozenset({"case", "fold", "epoch", "point", "step", "subject", "file"})
log = logging.getLogger("strokeseg.progress")


class Bar(Protocol):
    """What every progress reporter offers: ``update(n)`` inside a ``with`` block."""

    def update(self, n: int = 1) -> None: ...
    def __enter__(self) -> Bar: ...
    def __exit__(self, *exc: object) -> None: ...


def quiet() -> bool:
    """Whether ``STROKESEG_QUIET`` silences progress."""
    return os.environ.get("STROKESEG_QUIET", "") not in ("", "0")


def on_terminal() -> bool:
    """Whether stderr is a terminal (then progress draws a bar)."""
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


class _NullBar:
    def update(self, n: int = 1) -> None:
        pass

    def __enter__(self) -> _NullBar:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


def _clock(seconds: float) -> str:
    s = round(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60:02d}:{s % 60:02d}"


class LineBar:
    """Progress as log lines: one per update for coarse units, one at the end for fine ones."""

    def __init__(self, total: int | None, desc: str, unit: str) -> None:
        self.total, self.desc, self.unit, self.n = total, desc, unit, 0
        self.coarse = unit in COARSE_UNITS
        self.t0 = time.perf_counter()

    def update(self, n: int = 1) -> None:
        self.n += n
        if self.coarse:
            log.info(self.line())

    def line(self) -> str:
        elapsed = time.perf_counter() - self.t0
        of = f"/{self.total}" if self.total else ""
        eta = ""
        if self.total and self.n and self.n < self.total:
            eta = f", ETA {_clock(elapsed / self.n * (self.total - self.n))}"
        return f"{self.desc}: {self.n}{of} {self.unit}, {_clock(elapsed)} elapsed{eta}"

    def __enter__(self) -> LineBar:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.coarse and self.n and exc[0] is None:
            log.info(self.line())


def progress_bar(total: int | None, desc: str = "", unit: str = "it") -> Any:
    """A context-managed progress reporter with ``update(n)``: tqdm on a terminal, :class:`LineBar` otherwise."""
    if quiet():
        return _NullBar()
    if not on_terminal():
        return LineBar(total, desc, unit)
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, leave=False, dynamic_ncols=True)


def progress(items: Iterable[T], desc: str = "", unit: str = "it", total: int | None = None) -> Iterator[T]:
    """Iterate ``items`` while reporting progress (see :func:`progress_bar`)."""
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with progress_bar(total, desc, unit) as bar:
        for item in items:
            yield item
            bar.update(1)
