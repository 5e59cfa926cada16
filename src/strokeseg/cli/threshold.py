"""``strokeseg threshold``: RAPID-style core/penumbra, mismatch and eligibility read-out."""

from __future__ import annotations

import argparse

from strokeseg.cli.common import (
    add_input,
    add_layout_options,
    add_nonfinite_option,
    add_output_options,
    add_perfusion_options,
)
from strokeseg.cli.common import nonnegative_float as ml


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "threshold",
        help="clinical threshold read-out: core, penumbra, mismatch, HIR, DEFUSE-3 and EXTEND eligibility",
        description="Segment core and penumbra with the clinical thresholds: hypoperfused = Tmax > 6 s; core = rCBF < "
        "30 %% "
        "inside it (relative to the median CBF of the healthy contralateral hemisphere, or of tissue with Tmax < 4 "
        "s); MRI "
        "core = ADC < 620×10⁻⁶ mm²/s (unit detected). CSF and large vessels are excluded, speckle is opened away and "
        "small "
        "components dropped. Maps come from the case (CBF, CBV, Tmax; e.g. the output folder of 'strokeseg "
        "perfusion') or "
        "are computed from its 4D series (INPUT may be a single 4D series file). Writes <case>/<case>_label.nii.gz "
        "(0/1/2, "
        "input geometry), <case>/<case>_readout.json, readout.csv for the cohort, and prints the read-out table with "
        "the "
        "thresholds used. With --truth, the labels are evaluated against ground truth (ISLES-exact metrics).",
    )
    add_input(p, "dataset or case folder (any layout), a manifest, or a 4D series file", "CASE_OR_DATASET")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument(
        "--truth", metavar="DIR", help="evaluate the labels against this ground truth (dataset or label folder)"
    )
    g = p.add_argument_group("thresholds")
    g.add_argument("--tmax-threshold", type=float, default=6.0, help="hypoperfusion: Tmax above this (s, default 6)")
    g.add_argument("--tmax-severe", type=float, default=10.0, help="severe hypoperfusion for the HIR (s, default 10)")
    g.add_argument("--rcbf", type=float, default=0.30, help="core: relative CBF below this (default 0.30)")
    g.add_argument(
        "--reference",
        choices=("contralateral", "tmax"),
        default="contralateral",
        help="rCBF denominator: healthy contralateral hemisphere (default) or tissue with Tmax < 4 s",
    )
    g.add_argument("--adc", type=float, default=620.0, help="MRI core: ADC below this in 10⁻⁶ mm²/s (default 620)")
    g.add_argument(
        "--min-size-ml", type=ml, default=0.2, metavar="ML", help="drop components smaller than this (ml, default 0.2)"
    )
    g.add_argument("--csf-hu", type=float, default=20.0, help="CT: baseline HU below this is CSF (default 20)")
    add_perfusion_options(p)
    add_layout_options(p)
    add_nonfinite_option(p)
    p.add_argument("--allow-output-in-input", action="store_true", help="allow --out inside the input folder")
    add_output_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from strokeseg.cli.common import input_path, output_mode, perfusion_config, print_notes, say
    from strokeseg.clinical.config import ThresholdConfig
    from strokeseg.io.layouts import open_dataset
    from strokeseg.io.outputs import RunFolder
    from strokeseg.workflows.threshold import threshold_dataset, threshold_summary_lines

    inp = input_path(args)
    tcfg = ThresholdConfig(
        tmax_hypoperfused=args.tmax_threshold,
        tmax_severe=args.tmax_severe,
        rcbf_core=args.rcbf,
        reference=args.reference,
        adc_core=args.adc,
        min_component_ml=args.min_size_ml,
        csf_hu=args.csf_hu,
    )
    with RunFolder(
        args.out,
        output_mode(args),
        inputs=[inp, args.truth],
        allow_in_input=args.allow_output_in_input,
        command="threshold",
    ) as run:
        ds = open_dataset(Path(inp), args.layout, args.label_map)
        run.protect(f for r in ds.cases for f in r.files())
        truth = None
        if args.truth:
            from strokeseg.evaluation.runner import load_truth

            truth = load_truth(Path(args.truth), args.layout, args.label_map)  # checked before any case is written
        res = threshold_dataset(
            run,
            ds.cases,
            tcfg,
            perfusion_config(args),
            truth,
            {"nonfinite": args.nonfinite, "frame_interval": args.frame_interval, "modality": args.modality},
        )
        print_notes(run.notes)
        say("\n".join(threshold_summary_lines(res, tcfg)))
        if res.rows:
            print(f"wrote labels and read-outs to {args.out}")
        if res.evaluation is not None:
            from strokeseg.evaluation.runner import summary_markdown

            print(summary_markdown(res.evaluation.summaries, "Threshold method vs ground truth"))
        res.cases.raise_failures(Path(args.out))
    return 0
