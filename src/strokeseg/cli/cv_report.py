"""``strokeseg cv-report``: the cross-validation table of a trained bundle."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "cv-report",
        help="print the cross-validation table of a model bundle (T, S_min, DSC, PPV, sensitivity, HD ± sd)",
        description="Print the cross-validation report of a model bundle in the papers' form: chosen T and S_min per "
        "fold (nested), DSC, PPV, sensitivity, Hausdorff distance and volume error (mean ± sd) per region and group, "
        "R².",
    )
    p.add_argument("model", metavar="DIR", help="model bundle folder")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from strokeseg.run import RunOptions
    from strokeseg.run.tools import cv_report

    cv_report(args.model, RunOptions(echo=print))
    return 0
