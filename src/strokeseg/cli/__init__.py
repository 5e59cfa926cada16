"""The ``strokeseg`` command. The only place that parses arguments; nothing below imports it.

Each sub-command lives in its own module with ``register(subparsers)``; heavy libraries are
imported inside the command so that ``--help`` is instant.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
from collections.abc import Sequence

from strokeseg import __version__
from strokeseg.errors import StrokesegError, Terminated, one_line

COMMANDS = ("info", "phantom", "perfusion", "threshold", "train", "sweep", "predict", "cv-report", "evaluate", "demo")


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error (no usage block), in the same form as every other error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"strokeseg: error: {self.prog}: {one_line(message)} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="strokeseg",
        description=(
            "Acute ischaemic stroke imaging: read ISLES/DICOM/manifest data, compute perfusion maps, "
            "segment core and penumbra, evaluate as the ISLES challenges do, report volumes and eligibility."
        ),
        epilog="Run 'strokeseg COMMAND --help' for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"strokeseg {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="print the full traceback of an unexpected error (put it before COMMAND)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=_Parser)
    for name in COMMANDS:
        importlib.import_module(f"strokeseg.cli.{name.replace('-', '_')}").register(sub)
    return parser


class _NotDataWarnings:
    """Data warnings are printed from the results a command returns; the log handler skips them."""

    def filter(self, record: object) -> bool:
        return not getattr(record, "data_warning", False)


def _log_to_stderr() -> None:
    """``strokeseg`` log records (progress lines, messages) to stderr as plain lines, once per process."""
    import logging

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
    log.propagate = False


def _on_sigterm(signum: int, _frame: object) -> None:
    raise Terminated(signum)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status.

    0 success; 1 ``info`` found problems, or an internal error (a bug: one line, ``--debug`` for
    the traceback); 2 a bad input, option or recipe (one line naming the file and the problem);
    130 interrupted (Ctrl-C); 143 terminated (SIGTERM, as sent by ``timeout``, Slurm or docker).
    Interrupted runs leave no partial output: staging folders are removed on the way out.
    """
    import logging

    parser = build_parser()
    args = parser.parse_args(argv)
    # nibabel logs header 'repairs' (e.g. zero pixdim set to 1) to stderr; strokeseg validates headers itself
    # and reports a real problem as its one error line
    logging.getLogger("nibabel").setLevel(logging.ERROR)
    _log_to_stderr()
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return int(args.func(args) or 0)
    except StrokesegError as exc:
        from strokeseg.cli.flags import to_flags

        print(f"strokeseg: error: {to_flags(one_line(str(exc)))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("strokeseg: interrupted; no partial output was kept", file=sys.stderr)
        return 130
    except Terminated:
        print("strokeseg: terminated (SIGTERM); no partial output was kept", file=sys.stderr)
        return 143
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
    finally:
        signal.signal(signal.SIGTERM, previous)
