"""``strokeseg demo``: the main job on data it generates itself (no download, no ../shared)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="run the main job end to end on small volumes generated on the fly",
        description=(
            "Generate a small synthetic cohort (label maps with irregular lesions and noisy predictions of them) "
            "written as a manifest dataset, describe it with 'strokeseg info' and score the predictions with "
            "'strokeseg evaluate'. Needs no data from outside the package."
        ),
    )
    p.add_argument("--out", default="strokeseg-demo", metavar="DIR", help="output folder (default: ./strokeseg-demo)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from strokeseg.cli import main as cli_main
    from strokeseg.util.synthetic import write_label_demo

    out = Path(args.out)
    data, preds = write_label_demo(out, seed=args.seed)
    print(f"== strokeseg info {data}")
    cli_main(["info", str(data)])
    print(f"\n== strokeseg evaluate --pred {preds} --truth {data} --out {out / 'evaluation'}")
    return cli_main(["evaluate", "--pred", str(preds), "--truth", str(data), "--out", str(out / "evaluation")])
