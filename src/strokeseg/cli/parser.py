"""The argument parser: one sub-command per module, each with ``register(subparsers)``."""

from __future__ import annotations

import argparse
import importlib

from strokeseg import __version__
from strokeseg.errors import one_line

COMMANDS = (
    "info",
    "phantom",
    "perfusion",
    "threshold",
    "train",
    "sweep",
    "predict",
    "cv-report",
    "evaluate",
    "report",
    "export",
    "nnunet-baseline",
    "compare",
    "demo",
)


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error (no usage block), in the same form as every other error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        """Exit 2 with one line naming the command and the problem."""
        self.exit(2, f"strokeseg: error: {self.prog}: {one_line(message)} (see '{self.prog} --help')\n")


def _positive_int(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    """The ``strokeseg`` parser with every command registered (imports no numpy or torch)."""
    parser = _Parser(
        prog="strokeseg",
        description=(
            "Acute ischaemic stroke imaging: read ISLES/DICOM/manifest data, compute perfusion maps, "
            "segment core and penumbra, evaluate as the ISLES challenges do, report volumes and eligibility."
        ),
        epilog="Run 'strokeseg COMMAND --help' for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"strokeseg {__version__}")
    parser.add_argument("--debug", action="store_true", help="print the full traceback of an unexpected error (put it before COMMAND)")
    parser.add_argument(
        "--threads",
        type=_positive_int,
        metavar="N",
        help="CPU threads to use (put it before COMMAND; default: the cores not busy with other processes, "
        "sampled at start; the STROKESEG_THREADS environment variable does the same)",
    )
    parser.add_argument(
        "--deterministic",
        action="store_true",
        help="results that do not depend on the thread count: every stage on one thread, torch's deterministic "
        "algorithms (put it before COMMAND; slower: see docs/results/deterministic.md; STROKESEG_DETERMINISTIC=1 does the same)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=_Parser)
    for name in COMMANDS:
        importlib.import_module(f"strokeseg.cli.{name.replace('-', '_')}").register(sub)
    return parser
