"""The console entry point (``strokeseg``, ``python -m strokeseg``): :func:`strokeseg.cli.main`, then a quick exit."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from typing import NoReturn

from strokeseg.errors import Terminated

_pending = [False]  # whether the handler armed by :func:`arm_sigterm` may still raise


def on_sigterm(signum: int, _frame: object) -> None:
    """The command line's SIGTERM handler: :class:`~strokeseg.errors.Terminated`, so that every ``finally`` cleans up.

    It raises once per :func:`arm_sigterm`: a second SIGTERM while that cleanup runs is ignored (SIGKILL stops it)."""
    if _pending[0]:
        _pending[0] = False
        raise Terminated(signum)


def arm_sigterm() -> Callable[[int, object], None]:
    """:func:`on_sigterm`, armed to raise at the next SIGTERM; for ``signal.signal(signal.SIGTERM, arm_sigterm())``."""
    _pending[0] = True
    return on_sigterm


def restore_sigterm(previous: object) -> None:
    """Put back the SIGTERM handler that :func:`arm_sigterm` replaced.

    A SIGTERM that lands as the command ends (a launcher stopping the ranks after one died) can run the handler
    inside this very call; the command's status is already decided then, so it stands and the handler is still restored."""
    try:
        signal.signal(signal.SIGTERM, previous)  # type: ignore[arg-type]
    except Terminated:
        signal.signal(signal.SIGTERM, previous)  # type: ignore[arg-type]


def run_and_exit(main: Callable[[], int]) -> NoReturn:
    """``main()``, then a quick exit with its status (the console entry point :func:`strokeseg.cli.run`).

    Every output is written and closed (atomically) before ``main`` returns, so what is left is
    the interpreter's teardown, which is slow with torch imported. After ``main`` the registered exit handlers still run,
    threads that are not daemons are joined and the standard streams are flushed; then the process
    ends without that teardown. Under a profiler or a debugger it exits normally instead.
    """
    import atexit
    import logging
    import os
    import threading

    code = main()
    if sys.getprofile() is not None or sys.gettrace() is not None:
        raise SystemExit(code)  # a profiler's or debugger's report (python -m cProfile -m strokeseg) comes at a normal exit
    # what the interpreter's own shutdown does first, in its order: wake and join the worker threads
    # (thread pools left open included), then the exit handlers
    shutdown = getattr(threading, "_shutdown", None)
    if callable(shutdown):
        shutdown()
    else:  # pragma: no cover - another Python implementation
        for t in threading.enumerate():
            if t is not threading.current_thread() and not t.daemon:
                t.join()
    atexit._run_exitfuncs()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (``strokeseg … | head``): nothing more to say
            code = code or 1
    os._exit(code)
