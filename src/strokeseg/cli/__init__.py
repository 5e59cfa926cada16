"""The ``strokeseg`` command. The only place that parses arguments; nothing below imports it.

Each sub-command lives in its own module with ``register(subparsers)``; heavy libraries are
imported inside the command so that ``--help`` is instant.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Sequence
from typing import NoReturn

from strokeseg.cli.entry import arm_sigterm, restore_sigterm, run_and_exit
from strokeseg.cli.outcome import command_status, terminated
from strokeseg.cli.parser import COMMANDS, build_parser
from strokeseg.errors import Terminated
from strokeseg.training.launch import LAUNCHED_ENV

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
        return command_status(args, launched)
    except Terminated:  # SIGTERM came while an error was being reported: the cleanup is done, the status is 143
        return terminated(launched)
    finally:
        restore_sigterm(previous)
