"""``strokeseg threshold``: RAPID-style core/penumbra, mismatch and eligibility read-out."""

from __future__ import annotations

import argparse

from strokeseg.cli.options import (
    add_executor_options,
    add_input,
    add_layout_options,
    add_nonfinite_option,
    add_output_options,
    add_perfusion_options,
)
from strokeseg.cli.options.patient import add_patient_options
from strokeseg.cli.options.report import add_report_options
from strokeseg.cli.options.threshold import DESCRIPTION, add_threshold_options, threshold_config


def register(sub: argparse._SubParsersAction) -> None:
    help_ = "clinical threshold read-out: core, penumbra, mismatch, HIR, DEFUSE-3 and EXTEND eligibility"
    p = sub.add_parser("threshold", help=help_, description=DESCRIPTION)
    add_input(p, "dataset or case folder (any layout), a manifest, or a 4D series file", "CASE_OR_DATASET")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--truth", metavar="DIR", help="evaluate the labels against this ground truth (dataset or label folder)")
    add_threshold_options(p)
    add_perfusion_options(p)
    add_layout_options(p)
    add_nonfinite_option(p)
    p.add_argument("--allow-output-in-input", action="store_true", help="allow --out inside the input folder")
    add_output_options(p)
    add_executor_options(p)
    add_patient_options(p)
    add_report_options(p, dicom=True)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from strokeseg.cli.options import input_path, perfusion_config
    from strokeseg.cli.options.run import read_options, run_options
    from strokeseg.run import threshold

    threshold(input_path(args), args.out, threshold_config(args), perfusion_config(args), args.truth, read_options(args), run_options(args))
    return 0
