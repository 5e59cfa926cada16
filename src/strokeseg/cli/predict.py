"""``strokeseg predict``: segment cases with a trained model bundle."""

from __future__ import annotations

import argparse

from strokeseg.cli.options import add_executor_options, add_input, add_layout_options, add_nonfinite_option, add_output_options, open_input
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
    from pathlib import Path

    from strokeseg.cli.options import executor_config, input_path, output_mode, preflight, print_notes, say
    from strokeseg.cli.options.nnunet import nnunet_options
    from strokeseg.cli.options.patient import patient_cases
    from strokeseg.cli.options.predict import predict_options
    from strokeseg.cli.options.provenance import run_settings
    from strokeseg.cli.options.report import finish_report
    from strokeseg.io.outputs import RunFolder
    from strokeseg.prediction.nnunet import load_predictor
    from strokeseg.workflows.predict import predict_dataset, predict_summary_lines

    preflight.check_dicom_reference(args)  # before anything is written
    inp = input_path(args)
    opts = predict_options(args)
    executor = executor_config(args)
    with RunFolder(
        args.out,
        output_mode(args),
        inputs=[inp],
        models=args.model,
        allow_in_input=args.allow_output_in_input,
        command="predict",
        settings=run_settings(args),
    ) as run:
        predictor = load_predictor(args.model, opts, nnunet_options(args))
        ds = open_input(args, inp)
        run.protect(f for r in ds.cases for f in r.files())
        result = predict_dataset(run, predictor, patient_cases(args, ds.cases), executor)
        print_notes(run.notes)
        say("\n".join(predict_summary_lines(result)))
        if result.volumes:
            print(f"wrote predictions to {args.out}")
        finish_report(run, args)
        result.cases.raise_failures(Path(args.out))
    return 0
