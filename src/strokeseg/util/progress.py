"""Progress bars for every long step (tqdm on stderr; silent when STROKESEG_QUIET=1)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def quiet() -> bool:
    return os.environ.get("STROKESEG_QUIET", "") not in ("", "0")


def progress(items: Iterable[T], desc: str = "", unit: str = "it", total: int | None = None, leave: bool = False) -> Iterator[T]:
    """Wrap an iterable in a tqdm bar with ETA; a no-op when quiet."""
    if quiet():
        yield from items
        return
    from tqdm.auto import tqdm

    # disable=None: draw only on a terminal, so logs and pipes stay clean.
    yield from tqdm(items, desc=desc, unit=unit, total=total, leave=leave, dynamic_ncols=True, disable=None)


class _NullBar:
    def update(self, n: int = 1) -> None:
        pass

    def __enter__(self) -> _NullBar:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


def progress_bar(total: int, desc: str = "", unit: str = "it"):
    """A context-managed tqdm bar (for steps that report progress in chunks)."""
    if quiet():
        return _NullBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, leave=False, dynamic_ncols=True, disable=None)
