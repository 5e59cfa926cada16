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
    open_input,
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
    from pathlib import Path

    from strokeseg.cli.options import executor_config, input_path, output_mode, perfusion_config, preflight, print_notes, say
    from strokeseg.cli.options.patient import patient_cases
    from strokeseg.cli.options.provenance import run_settings
    from strokeseg.cli.options.report import finish_report
    from strokeseg.io.outputs import RunFolder
    from strokeseg.workflows.threshold import evaluation_summary, read_truth, threshold_dataset, threshold_summary_lines

    preflight.check_dicom_reference(args)  # before anything is written
    inp, tcfg, executor = input_path(args), threshold_config(args), executor_config(args)
    with RunFolder(
        args.out,
        output_mode(args),
        inputs=[inp, args.truth],
        allow_in_input=args.allow_output_in_input,
        command="threshold",
        settings=run_settings(args),
    ) as run:
        ds = open_input(args, inp)
        run.protect(f for r in ds.cases for f in r.files())
        refs = patient_cases(args, ds.cases)
        truth = read_truth(Path(args.truth), args.layout, args.label_map) if args.truth else None  # checked before any case is written
        res = threshold_dataset(
            run,
            refs,
            tcfg,
            perfusion_config(args),
            truth,
            {"nonfinite": args.nonfinite, "frame_interval": args.frame_interval, "modality": args.modality},
            executor,
        )
        print_notes(run.notes)
        say("\n".join(threshold_summary_lines(res, tcfg)))
        if res.rows:
            print(f"wrote labels and read-outs to {args.out}")
        if res.evaluation is not None:
            print(evaluation_summary(res))
        finish_report(run, args)
        res.cases.raise_failures(Path(args.out))
    return 0
