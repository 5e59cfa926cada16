"""Where the ``strokeseg`` logger goes on the command line: plain lines on stderr."""

from __future__ import annotations

import logging
import sys


class _NotDataWarnings:
    """Data warnings are printed from the results a command returns; the log handler skips them."""

    def filter(self, record: object) -> bool:
        return not getattr(record, "data_warning", False)


class _ErrorsAsFlags:
    """A record that carries a strokeseg error (``record.error``) is written with the parameters it names as flags."""

    def filter(self, record: logging.LogRecord) -> bool:
        from strokeseg.cli.flags import flag_of
        from strokeseg.errors import StrokesegError, one_line

        err = getattr(record, "error", None)
        if isinstance(err, StrokesegError):
            record.msg, record.args = f"strokeseg: error: {one_line(err.render(flag_of))}", ()
        return True


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
    handler.addFilter(_ErrorsAsFlags())
    handler._strokeseg_cli = True  # type: ignore[attr-defined]
    log.addHandler(handler)
    log.setLevel(logging.INFO)
