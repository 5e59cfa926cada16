"""``strokeseg nnunet-baseline``: nnU-Net trained and scored in strokeseg's own patient-grouped folds."""

from __future__ import annotations

import argparse
from typing import Any

from strokeseg.cli.options import add_input, add_layout_options, add_output_options, positive_int
from strokeseg.io.modes import ExportTarget


def plans_edit(text: str) -> dict[str, Any]:
    """``--plans-edit``: a JSON object, inline or in a ``.json`` file."""
    import json
    from pathlib import Path

    try:
        value = json.loads(Path(text).read_text(encoding="utf-8") if text.endswith(".json") else text)
    except OSError as e:
        raise argparse.ArgumentTypeError(f"cannot read {text}: {e.strerror}") from None
    except json.JSONDecodeError as e:
        raise argparse.ArgumentTypeError(f"not JSON ({e.msg} at character {e.pos}): {text[:60]}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"not a JSON object: {text[:60]}")
    return value


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "nnunet-baseline",
        help="train nnU-Net (the nnunet extra) in strokeseg's folds and score the held-out folds like every recipe",
        description=(
            "Export DATASET as an nnU-Net raw dataset with strokeseg's patient-grouped folds, run nnU-Net's default "
            "planning, preprocessing and trainer for every fold (nnunetv2, in child processes), predict each held-out "
            "fold with the native runner and score it. Writes <out>/cv/per_case.csv, summary.md/json and folds.json "
            "(for 'strokeseg compare') and <out>/nnunet/<Trainer>__<Plans>__<configuration>/ (for 'predict --model'). "
            "nnU-Net's full schedule (1000 epochs of 250 iterations) is a GPU job."
        ),
    )
    add_input(p, "the labelled dataset (any layout)", "DATASET")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    targets = [t.value for t in ExportTarget]
    p.add_argument("--target", choices=targets, default=ExportTarget.CORE.value, help="what nnU-Net learns (default core)")
    p.add_argument("--configuration", default="3d_fullres", help="nnU-Net configuration (default 3d_fullres)")
    p.add_argument("--folds", type=positive_int, default=5, help="patient-grouped folds (default 5)")
    p.add_argument("--seed", type=int, default=0, help="seed of the folds' patient shuffle (default 0)")
    p.add_argument("--epochs", type=positive_int, default=1000, help="epochs per fold (nnU-Net: 1000)")
    p.add_argument("--iterations", type=positive_int, default=250, help="iterations per epoch (nnU-Net: 250)")
    p.add_argument("--device", default="cuda", help="cuda (default, as nnU-Net) or cpu")
    p.add_argument(
        "--plans-edit",
        type=plans_edit,
        default={},
        metavar="JSON|FILE",
        help="values merged into the planned configuration (arch_kwargs into the network's), as JSON or a .json file, "
        "e.g. a smaller network on a CPU (default: nnU-Net's plans)",
    )
    add_layout_options(p)
    add_output_options(p, resume=False)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from strokeseg.cli.options import input_path, output_mode, say
    from strokeseg.cli.options.run import read_options
    from strokeseg.run import RunOptions, nnunet_baseline
    from strokeseg.workflows.nnunet_baseline import BaselineOptions

    opts = BaselineOptions(
        args.target, args.configuration, args.folds, args.seed, args.epochs, args.iterations, args.device, args.plans_edit
    )
    nnunet_baseline(input_path(args), args.out, opts, read_options(args), RunOptions(output_mode(args), echo=say))
    return 0
