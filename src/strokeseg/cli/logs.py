"""Where the ``strokeseg`` logger goes on the command line: plain lines on stderr."""

from __future__ import annotations

import logging
import sys


class _NotDataWarnings:
    """Data warnings are printed from the results a command returns; the log handler skips them."""

    def filter(self, record: object) -> bool:
        return not getattr(record, "data_warning", False)


def _log_to_stderr() -> None:
    """``strokeseg`` log records (progress lines, messages) to stderr as plain lines, once per process."""
    log = logging.getLogger("strokeseg")
    if any(getattr(h, "_strokeseg_cli", False) for h in log.handlers):
        return

    class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
        """Writes to whatever ``sys.stderr`` is at the time (tests and callers may swap it)."""

        @property  # type: ignore[override]
        def stream(self) -> object:
            return sys.stderr

        @stream.setter
        def stream(self, _value: object) -> None:
            pass

    handler = _Stderr()
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.addFilter(_NotDataWarnings())
    handler._strokeseg_cli = True  # type: ignore[attr-defined]
    log.addHandler(handler)
    log.setLevel(logging.INFO)
