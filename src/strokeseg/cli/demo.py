"""``strokeseg demo``: the main job end to end on data it generates itself (no download, no ../shared)."""

from __future__ import annotations

import argparse

from strokeseg.cli.options import positive_int


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="run the whole chain on generated data: phantom → perfusion maps → train CT-2D → predict → evaluate",
        description=(
            "Generate a small CT perfusion phantom cohort (training) and held-out cases, compute their perfusion maps "
            "from the raw 4D series, train the CT-2D recipe (fast variant) with 3-fold cross-validation grouped by "
            "patient, predict the held-out cases, run the clinical threshold method on the same maps, evaluate both "
            "against the phantom truth and print a table with where the outputs are. About 5–10 minutes on 2 CPU cores."
        ),
    )
    p.add_argument("--out", default="strokeseg-demo", metavar="DIR", help="output folder (default: ./strokeseg-demo)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--train-cases", type=positive_int, default=10, help="training phantom cases (default 10)")
    p.add_argument("--test-cases", type=positive_int, default=4, help="held-out phantom cases (default 4)")
    p.add_argument("--epochs", type=positive_int, default=12, help="maximum training epochs per fold (default 12)")
    p.add_argument("--overwrite", action="store_true", help="delete what an earlier demo wrote to --out and start anew")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from strokeseg.cli.options import say
    from strokeseg.run import RunOptions
    from strokeseg.run.tools import demo
    from strokeseg.workflows.demo import DemoConfig

    cfg = DemoConfig(train_cases=args.train_cases, test_cases=args.test_cases, epochs=args.epochs, seed=args.seed)
    demo(args.out, cfg, overwrite=args.overwrite, options=RunOptions(echo=say))  # a rerun reuses the cohorts in --out
    return 0
