"""``strokeseg report``: the HTML report (and DICOM exports) of a run folder."""

from __future__ import annotations

import argparse

from strokeseg.cli.options.patient import add_patient_options
from strokeseg.cli.options.report import add_dicom_options

DESCRIPTION = (
    "Write RUN_DIR/report/: index.html (the cohort: a sortable table of every case with volumes, verdicts, flags, "
    "metrics and warnings, failed and flagged cases first, volume scatter with R², Bland–Altman and Dice per group) "
    "and one page per case (summary box with core, Tmax > 6 s, mismatch, Tmax > 10 s, HIR and the DEFUSE-3, EXTEND "
    "and DAWN verdicts with their rules; montages of every slice of CT/DWI/ADC and CBF, CBV, MTT, Tmax with colour "
    "bars and the core (pink) and Tmax > 6 s (green) contours; probability and uncertainty maps of learned models; "
    "TP/FP/FN overlap maps against the ground truth; perfusion QC: AIF/VOF curves and location, frame interval, "
    "bolus arrival, truncation, enhancement, valid-voxel and motion checks, warnings; provenance). For a train "
    "output, index.html is the cross-validation page (fold table, loss curves, T × S_min heat map, out-of-fold "
    "results). Pages are static and offline (no external URL). RUN_DIR is the --out of threshold, predict, "
    "perfusion, evaluate or train; the report replaces an earlier one only when it is complete. For threshold "
    "and predict runs on DICOM input (or with --dicom-reference), report/<case>/dicom/ gets a DICOM SEG (core, "
    "penumbra), Secondary Captures of the summary and montages, and a TID 1500 SR with the volumes, mismatch "
    "ratio and verdicts."
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report", help="HTML report of a run folder (cohort + one page per case; DICOM SEG/SC/SR for DICOM input)", description=DESCRIPTION
    )
    p.add_argument("run_dir", metavar="RUN_DIR", help="output folder of threshold, predict, perfusion, evaluate or train")
    add_patient_options(p)
    g = p.add_argument_group("DICOM outputs")
    add_dicom_options(g)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from strokeseg.cli.options.report import report_options
    from strokeseg.run import report

    report(args.run_dir, report_options(args), echo=print)
    return 0
