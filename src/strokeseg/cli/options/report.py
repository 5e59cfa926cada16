"""``--report`` and the DAWN/DICOM options of the commands that write results, and their configs."""

from __future__ import annotations

import argparse
from typing import Any

from strokeseg.cli.options.patient import patient_values


def add_report_options(p: argparse.ArgumentParser, dicom: bool = False) -> None:
    """``--report`` (and, for threshold/predict, the DICOM export options)."""
    g = p.add_argument_group("report")
    g.add_argument(
        "--report",
        action="store_true",
        help="also write the HTML report at the end: <out>/report/index.html (the cohort) and one page per case "
        "(the same as running 'strokeseg report' on --out)",
    )
    if dicom:
        add_dicom_options(g)


def add_dicom_options(g: Any) -> None:
    """Where DICOM SEG / Secondary Capture / SR outputs come from."""
    g.add_argument(
        "--dicom-reference",
        metavar="DIR",
        help="a DICOM series folder whose grid the labels lie on: the report also writes DICOM SEG, Secondary Capture and SR "
        "referencing it (default: the input's own series when the input was DICOM)",
    )
    g.add_argument("--no-dicom", action="store_true", help="write no DICOM outputs, even for DICOM input")
    g.add_argument("--fractional-seg", action="store_true", help="also write the learned lesion probability as a fractional DICOM SEG")


def report_options(args: argparse.Namespace) -> Any:
    """The :class:`~strokeseg.workflows.report.ReportOptions` of these flags."""
    from pathlib import Path

    from strokeseg.workflows.report import ReportOptions

    ref = getattr(args, "dicom_reference", None)
    return ReportOptions(
        patient=patient_values(args),
        dicom_reference=Path(ref) if ref else None,
        dicom=not getattr(args, "no_dicom", False),
        fractional=getattr(args, "fractional_seg", False),
    )


def report_choice(args: argparse.Namespace) -> Any:
    """``--report``'s :class:`~strokeseg.workflows.report.ReportOptions` (None without it; a ``--dicom-reference``
    is then still checked, so that a flag that cannot work is never silently ignored)."""
    from strokeseg.run import RunOptions
    from strokeseg.run.options import check_reference

    opts = report_options(args)
    if getattr(args, "report", False):
        return opts  # the run API checks the reference before it writes
    check_reference(RunOptions(report=opts))
    return None
