"""Data warnings: structured records (code, file, message) that outputs carry and the CLI prints.

A :class:`DataWarning` is also its text (``"warning: <message>"``), so it reads naturally in a
list of notes; tell it apart with ``isinstance``, never by its prefix. :func:`warn` creates one
and logs it on the ``strokeseg`` logger (level WARNING, with ``code`` and ``file`` in the record),
so a library user sees it through :mod:`logging` and a program can route or silence it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

log = logging.getLogger("strokeseg")


class DataWarning(str):
    """A warning about the data: ``code`` (stable, kebab-case), ``message`` and the ``file`` it concerns."""

    code: str
    message: str
    file: str | None

    def __new__(cls, code: str, message: str, file: str | Path | None = None) -> DataWarning:
        obj = super().__new__(cls, f"warning: {file}: {message}" if file is not None else f"warning: {message}")
        obj.code, obj.message, obj.file = code, message, None if file is None else str(file)
        return obj

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "file": self.file}

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle by the three fields (results travel from worker processes to the parent)."""
        return (DataWarning, (self.code, self.message, self.file))


def warn(code: str, message: str, file: str | Path | None = None) -> DataWarning:
    """A :class:`DataWarning`, logged once on the ``strokeseg`` logger."""
    w = DataWarning(code, message, file)
    log.warning(w.message, extra={"code": w.code, "file": w.file, "data_warning": True})
    return w


def warnings_of(notes: Iterable[str]) -> list[DataWarning]:
    """The data warnings among ``notes`` (the rest are informational notes)."""
    return [n for n in notes if isinstance(n, DataWarning)]
