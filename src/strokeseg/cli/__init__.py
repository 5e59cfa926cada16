"""The ``strokeseg`` command. The only place that parses arguments; nothing below imports it.

Each sub-command lives in its own module with ``register(subparsers)``; heavy libraries are
imported inside the command so that ``--help`` is instant.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Sequence
from typing import NoReturn

from strokeseg.cli.entry import arm_sigterm, restore_sigterm, run_and_exit
from strokeseg.cli.parser import COMMANDS, build_parser
from strokeseg.errors import RankLost, StrokesegError, Terminated, one_line
from strokeseg.training.launch import LAUNCHED_ENV, LOST_STATUS

__all__ = ["COMMANDS", "build_parser", "main", "run"]


def run() -> NoReturn:
    """The console entry point (``strokeseg``, ``python -m strokeseg``): :func:`main` (looked up at the call, so that a
    caller may stand another in), then a quick exit (:func:`~strokeseg.cli.entry.run_and_exit`)."""
    run_and_exit(lambda: main())


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status.

    0 success; 1 ``info`` found problems, a data-parallel rank died, or an internal error (a bug); 2 a bad input, option
    or recipe (one line naming the file); 75 a launched rank that lost a peer; 130 Ctrl-C; 143 SIGTERM. No partial output."""
    from strokeseg.cli.logs import _log_to_stderr
    from strokeseg.cli.options.preflight import apply_global_options
    from strokeseg.util.threads import start_sampling

    start_sampling()  # the free-core count then measures over the start-up instead of waiting for its sample
    args = build_parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # what a launcher repeats in each rank
    apply_global_options(args)
    # nibabel logs header 'repairs' (zero pixdim set to 1 …) to stderr; strokeseg reports a real problem in one line
    logging.getLogger("nibabel").setLevel(logging.ERROR)
    _log_to_stderr()
    previous = signal.signal(signal.SIGTERM, arm_sigterm())
    launched = os.environ.get(LAUNCHED_ENV) == "1"  # a rank of strokeseg's own launcher
    try:
        return _status(args, launched)
    except Terminated:  # SIGTERM came while an error was being reported: the cleanup is done, the status is 143
        return _terminated(launched)
    finally:
        restore_sigterm(previous)


def _terminated(launched: bool) -> int:
    if not launched:  # a rank that strokeseg's launcher stopped after another died: the launcher speaks
        print("strokeseg: terminated (SIGTERM); no partial output was kept", file=sys.stderr)
    return 143


def _status(args: argparse.Namespace, launched: bool) -> int:
    """The command's exit status, each failure as one line on stderr (see :func:`main`)."""
    from strokeseg.cli.options.preflight import check_environment

    try:
        check_environment()  # one line naming a bad STROKESEG_* variable, before any work
        return int(args.func(args) or 0)
    except StrokesegError as exc:
        from strokeseg.cli.flags import flag_of

        lost = isinstance(exc, RankLost)  # a dead rank: 1, not 2 (the inputs may be fine); strokeseg's launcher speaks for it
        if lost and launched:
            return LOST_STATUS  # a consequence of another rank's end, which the launcher names
        print(f"strokeseg: error: {one_line(exc.render(flag_of))}", file=sys.stderr)
        return 1 if lost else 2
    except KeyboardInterrupt:
        print("strokeseg: interrupted; no partial output was kept", file=sys.stderr)
        return 130
    except Terminated:
        return _terminated(launched)
    except OSError as exc:  # a file the user named cannot be read or written (permissions, disk full, ...)
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"strokeseg: error: {where}{one_line(exc.strerror or str(exc))}", file=sys.stderr)
        return 2
    except Exception as exc:
        if args.debug:
            raise
        print(
            f"strokeseg: internal error: {type(exc).__name__}: {one_line(str(exc))[:300]} "
            "(a bug in strokeseg; rerun with 'strokeseg --debug ...' for the traceback and report it)",
            file=sys.stderr,
        )
        return 1
