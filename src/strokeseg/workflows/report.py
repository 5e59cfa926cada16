"""The report of a run folder, written into ``<run>/report`` whole or not at all.

The pages (and the DICOM exports, when asked) are built in a hidden staging folder inside the
run folder; the finished folder then replaces any earlier ``report/`` in one rename, so a reader
never sees half a report and a failed build leaves the earlier one in place.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from strokeseg.clinical.eligibility import Patient, given_values
from strokeseg.io.outputs import STAGING_PREFIX, RunFolder

if TYPE_CHECKING:  # the page builders (matplotlib) load when a report is built, not when its options are parsed
    from strokeseg.report.build import ReportResult


@dataclass(frozen=True)
class ReportOptions:
    """What the report holds besides the pages.

    Attributes:
        patient: age/NIHSS for DAWN (one case only; they replace the read-out's).
        dicom_reference: a DICOM series folder the labels lie on (SEG, SC and SR are written for it);
            None: the input's own DICOM series when the input was DICOM, else no DICOM output.
        dicom: write DICOM outputs when the input was DICOM (``False``: never).
        fractional: also write the learned lesion probability as a fractional SEG.
    """

    patient: Patient | None = None
    dicom_reference: Path | None = None
    dicom: bool = True
    fractional: bool = False


def report_run(run: RunFolder, options: ReportOptions = ReportOptions()) -> ReportResult:
    """Build ``run.out/report`` (see the module docstring) and return what was written."""
    from strokeseg.errors import ConfigError
    from strokeseg.report.build import build_report
    from strokeseg.report.collect import collect_run
    from strokeseg.util.progress import progress_bar

    view = collect_run(run.out)
    p = options.patient
    if given_values(p) and len(view.cases) > 1:
        raise ConfigError(
            f"age, NIHSS, onset and mRS describe one patient; this run has {len(view.cases)} cases: put them in the clinical table"
        )
    if options.dicom_reference is not None and len(view.cases) > 1:
        raise ConfigError(
            f"a DICOM reference series is one case's; this run has {len(view.cases)} cases (DICOM input gives each case its own series)"
        )
    stage = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX + "report-", dir=run.out))
    try:
        with progress_bar(total=len(view.cases) or None, desc="report", unit="case") as bar:
            result = build_report(view, stage / "report", options.patient, on_case=lambda _cid: bar.update(1))
        if options.dicom and view.kind in ("threshold", "predict"):
            from strokeseg.report.dicom_export import export_run

            result.pages += export_run(view, stage / "report", options.dicom_reference, options.fractional, result.case_contexts)
        old = run.path("report")
        trash = None
        if old.exists():
            trash = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX + "old-report-", dir=run.out))
            os.replace(old, trash / "report")
        try:
            run.commit_stage(stage)
        except BaseException:
            if trash is not None and not old.exists():  # the new one did not land: the earlier report comes back
                os.replace(trash / "report", old)
            raise
        finally:
            if trash is not None:
                shutil.rmtree(trash, ignore_errors=True)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return result


__all__ = ["ReportOptions", "report_run"]
