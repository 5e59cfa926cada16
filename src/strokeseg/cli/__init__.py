"""The ``strokeseg`` command. The only place that parses arguments; nothing below imports it.

Each sub-command lives in its own module with ``register(subparsers)``; heavy libraries are
imported inside the command so that ``--help`` is instant.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from strokeseg import __version__
from strokeseg.errors import StrokesegError

COMMANDS = ("info", "phantom", "perfusion", "threshold", "train", "sweep", "predict", "cv-report", "evaluate", "demo")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="strokeseg",
        description=(
            "Acute ischaemic stroke imaging: read ISLES/DICOM/manifest data, compute perfusion maps, "
            "segment core and penumbra, evaluate as the ISLES challenges do, report volumes and eligibility."
        ),
        epilog="Run 'strokeseg COMMAND --help' for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"strokeseg {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"strokeseg.cli.{name.replace('-', '_')}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except StrokesegError as exc:
        print(f"strokeseg: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("strokeseg: interrupted", file=sys.stderr)
        return 130
