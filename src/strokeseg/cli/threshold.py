"""``strokeseg threshold``: RAPID-style core/penumbra, mismatch and eligibility read-out."""

from __future__ import annotations

import argparse

from strokeseg.cli.common import (
    add_layout_options,
    add_nonfinite_option,
    add_output_options,
    add_perfusion_options,
    nonnegative_float,
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "threshold",
        help="clinical threshold read-out: core, penumbra, mismatch, HIR, DEFUSE-3 and EXTEND eligibility",
        description=(
            "Segment core and penumbra with the clinical thresholds: hypoperfused = Tmax > 6 s; core = rCBF < 30 %% "
            "inside it (relative to the median CBF of the healthy contralateral hemisphere, or of tissue with "
            "Tmax < 4 s); MRI core = ADC < 620×10⁻⁶ mm²/s (unit detected). CSF and large vessels are excluded, "
            "speckle is opened away and small components dropped. Maps come from the case (CBF, CBV, Tmax) or are "
            "computed from its 4D series. Writes <case>/<case>_label.nii.gz (0/1/2, input geometry), "
            "<case>/<case>_readout.json, readout.csv for the cohort, and prints the read-out table with the thresholds "
            "used. With --truth, the labels are evaluated against ground truth (ISLES-exact metrics)."
        ),
    )
    p.add_argument("input", metavar="CASE_OR_DATASET", help="dataset or case folder (any layout), or a manifest")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--truth", metavar="DIR", help="evaluate the labels against this ground truth (dataset or label folder)")
    g = p.add_argument_group("thresholds")
    g.add_argument("--tmax-threshold", type=float, default=6.0, help="hypoperfusion: Tmax above this (s, default 6)")
    g.add_argument("--tmax-severe", type=float, default=10.0, help="severe hypoperfusion for the HIR (s, default 10)")
    g.add_argument("--rcbf", type=float, default=0.30, help="core: relative CBF below this (default 0.30)")
    g.add_argument("--reference", choices=("contralateral", "tmax"), default="contralateral",
                   help="rCBF denominator: healthy contralateral hemisphere (default) or tissue with Tmax < 4 s")
    g.add_argument("--adc", type=float, default=620.0, help="MRI core: ADC below this in 10⁻⁶ mm²/s (default 620)")
    g.add_argument("--min-component-ml", type=nonnegative_float, default=0.2, help="drop components smaller than this (ml, default 0.2)")
    g.add_argument("--csf-hu", type=float, default=20.0, help="CT: baseline HU below this is CSF (default 20)")
    add_perfusion_options(p)
    add_layout_options(p)
    add_nonfinite_option(p)
    p.add_argument("--allow-output-in-input", action="store_true", help="allow --out inside the input folder")
    add_output_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    import numpy as np

    from strokeseg.cli.common import output_mode, perfusion_config
    from strokeseg.clinical.config import ThresholdConfig
    from strokeseg.clinical.pipeline import threshold_case
    from strokeseg.clinical.readout import format_readout_table, readout_csv
    from strokeseg.io.case import CaseRef, load_case
    from strokeseg.io.layouts import open_dataset
    from strokeseg.io.nifti import write_nifti
    from strokeseg.io.outputs import RunFolder
    from strokeseg.workflows.cases import run_cases

    tcfg = ThresholdConfig(tmax_hypoperfused=args.tmax_threshold, tmax_severe=args.tmax_severe, rcbf_core=args.rcbf,
                           reference=args.reference, adc_core=args.adc, min_component_ml=args.min_component_ml, csf_hu=args.csf_hu)
    pcfg = perfusion_config(args)
    out = Path(args.out)
    with RunFolder(out, output_mode(args), inputs=[args.input, args.truth], allow_in_input=args.allow_output_in_input,
                   command="threshold") as run:
        ds = open_dataset(Path(args.input), args.layout, args.label_map)
        run.protect(f for r in ds.cases for f in r.files())
        truth = None
        if args.truth:
            from strokeseg.evaluation.runner import load_truth

            truth = load_truth(Path(args.truth), args.layout, args.label_map)  # checked before any case is written

        def one(ref: CaseRef, folder: Path):
            wanted = [m for m in ("CBF", "CBV", "Tmax", "ADC", "DWI", "CT") if m in ref.images]
            need_series = not ({"CBF", "Tmax"} <= set(wanted))
            case = load_case(ref, modalities=wanted, with_series=need_series and bool(ref.series), with_label=False,
                             nonfinite=args.nonfinite, frame_interval=args.frame_interval)
            cr = threshold_case(case, tcfg, pcfg)
            if truth is not None:
                from strokeseg.evaluation.runner import check_against_truth

                check_against_truth(case.case_id, case.geometry, truth[0], ref.where)
            write_nifti(folder / f"{case.case_id}_label.nii.gz", cr.result.labels, case.geometry, dtype=np.uint8)
            (folder / f"{case.case_id}_readout.json").write_text(json.dumps(cr.to_dict(tcfg), indent=2, default=str),
                                                                 encoding="utf-8")
            return cr

        done = run_cases(run, [(r.case_id, r) for r in ds.cases], one, "threshold")
        rows = [json.loads((f / f"{f.name}_readout.json").read_text(encoding="utf-8")) for f in run.case_folders()
                if (f / f"{f.name}_readout.json").exists()]
        if rows:
            run.write_text("readout.csv", readout_csv(rows))
            run.write_text("thresholds.json", json.dumps(tcfg.to_dict(), indent=2))
        if rows and truth is not None:
            from strokeseg.evaluation.runner import evaluate_predictions, summary_markdown, write_results

            result = evaluate_predictions(out, truth)
            write_results(result, run.path("evaluation"), title="Threshold method vs ground truth")
        for n in run.notes:
            print(f"note: {n}")
        if done.results:
            print(format_readout_table([(cr.case_id, cr.readout) for cr in done.results], tcfg))
        for cr in done.results:
            for n in cr.notes + cr.result.warnings:
                if n.startswith("warning") or "NaN/Inf" in n:
                    print(f"{cr.case_id}: {n}")
        if done.skipped:
            print(f"kept {len(done.skipped)} finished case(s) from the earlier run: {', '.join(done.skipped)}")
        if rows:
            print(f"wrote labels and read-outs to {out}")
        if rows and truth is not None:
            print(summary_markdown(result.summaries, "Threshold method vs ground truth"))
        done.raise_failures(out)
    return 0
