"""``strokeseg evaluate``: ISLES-exact metrics of predicted label maps against ground truth."""

from __future__ import annotations

import argparse

from strokeseg.cli.options import (
    add_executor_options,
    add_input,
    add_layout_options,
    add_nonfinite_option,
    add_output_options,
    label_map_arg,
)
from strokeseg.cli.options.evaluate import add_protocol_option, region_list
from strokeseg.cli.options.report import add_report_options


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "evaluate",
        help="score predictions against ground truth (Dice, PPV, sensitivity, HD, HD95, ASSD, volumes, lesion F1)",
        description=(
            "Match every prediction file in PRED to a truth case by case id, and compute per case and per "
            "region (core, penumbra, hypoperfused) Dice, precision, sensitivity, Hausdorff distance (max) and "
            "HD95 in mm, ASSD in mm, signed and absolute volume difference in ml, lesion-wise F1 and lesion-count "
            "difference (26-connected, ISLES'22 style), and the ISLES'15 combined score. Writes per_case.csv, "
            "summary.md and summary.json to --out, and lists cases without a partner. "
            "Predictions are canonical label maps (0 background, 1 penumbra, 2 core) named <case_id>.nii.gz, "
            "<case_id>_label.nii.gz or <case_id>/label.nii.gz; --truth is a dataset folder in any supported layout "
            "or a plain folder of label maps; a folder of binary 0/1 masks is scored as one lesion region (any "
            "non-zero prediction voxel counts), unless --label-map says what its 1 means."
        ),
    )
    add_input(p, "folder of predicted label maps (e.g. the output of 'strokeseg predict' or 'threshold')", "PRED", aliases=("--pred",))
    p.add_argument("--truth", required=True, metavar="DIR", help="dataset folder (any layout) or folder of truth label maps")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for per_case.csv, summary.md, summary.json")
    add_layout_options(p, series=False)
    p.add_argument(
        "--pred-label-map", type=label_map_arg, metavar="MAP", help="map prediction values to canonical labels ('1:2': binary core)"
    )
    p.add_argument(
        "--regions",
        type=region_list,
        metavar="LIST",
        help="comma-separated regions to score (core, penumbra, hypoperfused, lesion); default: those the truth "
        "annotates (a folder of binary 0/1 masks: lesion, as the ISLES'22/'24 evaluators score it)",
    )
    add_nonfinite_option(p)
    add_protocol_option(p)
    p.add_argument("--allow-output-in-input", action="store_true", help="allow --out inside PRED or --truth")
    add_output_options(p, resume=False)
    add_executor_options(p)
    add_report_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from strokeseg.cli.options import executor_config, input_path
    from strokeseg.cli.options.run import run_options
    from strokeseg.run import evaluate
    from strokeseg.workflows.evaluate import EvaluateOptions

    options = run_options(args)
    opts = EvaluateOptions(
        args.layout, args.label_map, args.pred_label_map, args.regions, args.nonfinite, executor_config(args), args.protocol
    )
    evaluate(input_path(args), args.truth, args.out, opts, options)
    return 0
