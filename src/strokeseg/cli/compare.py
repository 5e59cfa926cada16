"""``strokeseg compare``: methods on the same cases and folds, with paired tests."""

from __future__ import annotations

import argparse

from strokeseg.cli.options import add_output_options
from strokeseg.evaluation.modes import SignificanceTest


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "compare",
        help="compare methods scored on the same cases and folds: mean ± sd over cases and folds, paired tests",
        description=(
            "Compare RUNs (model bundles: their out-of-fold cv/per_case.csv and cv/folds.json; or evaluation folders "
            "from 'strokeseg evaluate', e.g. of the threshold method) on the same cases: per region, Dice, HD95, |ΔV| "
            "and lesion F1 as mean ± sd over cases and over folds, the per-fold means, and a paired test of each "
            "method against the reference. Runs whose cases or folds differ are refused. Writes comparison.json, "
            "comparison.md, comparison.png and comparison.html."
        ),
    )
    p.add_argument("runs", nargs="+", metavar="RUN", help="bundle or evaluation folder, or NAME=DIR")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--reference", metavar="NAME", help="the method the others are tested against (default: the first RUN)")
    p.add_argument(
        "--test",
        choices=[t.value for t in SignificanceTest],
        default=SignificanceTest.WILCOXON.value,
        help="paired test over cases: Wilcoxon signed-rank (default) or the paired t-test",
    )
    add_output_options(p, resume=False)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from strokeseg.cli.options import output_mode, say
    from strokeseg.run import RunOptions, compare

    compare(args.runs, args.out, args.reference, args.test, RunOptions(output_mode(args), echo=say))
    return 0
