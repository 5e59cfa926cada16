"""``strokeseg predict``: segment cases with a trained model bundle."""

from __future__ import annotations

import argparse

from strokeseg.cli.options import add_executor_options, add_input, add_layout_options, add_nonfinite_option, add_output_options
from strokeseg.cli.options.nnunet import add_nnunet_options
from strokeseg.cli.options.patient import add_patient_options
from strokeseg.cli.options.predict import DESCRIPTION, add_prediction_options
from strokeseg.cli.options.report import add_report_options


def register(sub: argparse._SubParsersAction) -> None:
    help_ = "segment cases with a model bundle: labels, probability and uncertainty maps, volumes, read-out"
    p = sub.add_parser("predict", help=help_, description=DESCRIPTION)
    add_input(p, "cases to segment (any layout)", "CASE_OR_DATASET")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    add_prediction_options(p)
    add_nnunet_options(p)
    add_layout_options(p)
    add_nonfinite_option(p)
    p.add_argument("--allow-output-in-input", action="store_true", help="allow --out inside INPUT")
    add_output_options(p)
    add_executor_options(p)
    add_patient_options(p)
    add_report_options(p, dicom=True)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from strokeseg.cli.options import input_path
    from strokeseg.cli.options.nnunet import nnunet_options
    from strokeseg.cli.options.predict import predict_options
    from strokeseg.cli.options.run import read_options, run_options
    from strokeseg.run import predict

    options, opts = run_options(args), predict_options(args)
    predict(input_path(args), args.out, args.model, opts, nnunet_options(args), read_options(args), options)
    return 0
