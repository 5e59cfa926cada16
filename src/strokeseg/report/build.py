"""Building a run's report folder: ``index.html`` (the cohort, or the CV page of a ``train`` run) and one page per case.

Pages are static: templates (Jinja2, autoescaped) with inline CSS and a few lines of inline
JavaScript (sortable tables); every image is a PNG beside its page, referenced by a relative
path. Nothing refers to a URL outside the folder.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from strokeseg.clinical.eligibility import Patient
from strokeseg.errors import InputError
from strokeseg.report.case_page import case_context, fmt
from strokeseg.report.cohort_page import case_row, cohort_plots, cv_context, main_region, summary_rows
from strokeseg.report.collect import RunView

TITLES = {
    "threshold": "Threshold read-out",
    "predict": "Learned-model prediction",
    "perfusion": "Perfusion maps",
    "evaluate": "Evaluation against the ground truth",
    "train": "Cross-validation",
}


@dataclass
class ReportResult:
    """What was written: the pages (relative to the report folder) and the seconds each took."""

    pages: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    case_contexts: dict[str, dict[str, Any]] = field(default_factory=dict)


def environment() -> Any:
    """The Jinja2 environment of the package's templates (autoescaping on)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("strokeseg.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(fmt=fmt)
    return env


def _version() -> str:
    from strokeseg import __version__

    return __version__


def build_report(run: RunView, out: Path, patient: Patient | None = None, on_case: Callable[[str], None] | None = None) -> ReportResult:
    """Write the report of ``run`` into the (empty) folder ``out``; ``on_case`` is called after each case page."""
    env = environment()
    result = ReportResult()
    common = {"version": _version(), "kind": run.kind, "root": str(run.root)}
    out.mkdir(parents=True, exist_ok=True)
    if run.kind == "train":
        t0 = time.perf_counter()
        html = env.get_template("cv.html.j2").render(cv=cv_context(run, out), **common)
        (out / "index.html").write_text(html, encoding="utf-8")
        result.pages.append("index.html")
        result.seconds["index.html"] = time.perf_counter() - t0
        return result
    region = main_region(run)
    rows = []
    case_tpl = env.get_template("case.html.j2")
    for case in run.cases:
        t0 = time.perf_counter()
        if Path(case.case_id).name != case.case_id or case.case_id in ("", ".", "..", "index.html"):
            raise InputError(f"case id {case.case_id!r} cannot be a page folder of the report", run.root)
        ctx = case_context(case, run, out / case.case_id, patient)
        (out / case.case_id / "index.html").write_text(case_tpl.render(c=ctx, **common), encoding="utf-8")
        page = f"{case.case_id}/index.html"
        result.pages.append(page)
        result.seconds[page] = time.perf_counter() - t0
        result.case_contexts[case.case_id] = ctx
        rows.append(case_row(case, region, patient, has_page=True))
        if on_case is not None:
            on_case(case.case_id)
    t0 = time.perf_counter()
    html = env.get_template("cohort.html.j2").render(
        title=TITLES[run.kind],
        rows=rows,
        failures=run.failures,
        flagged=[r for r in rows if r["flags"]],
        has_readout=any(c.readout for c in run.cases),
        has_perfusion=any(c.perfusion for c in run.cases),
        plots=cohort_plots(run, rows, out),
        summary=summary_rows(run),
        **common,
    )
    (out / "index.html").write_text(html, encoding="utf-8")
    result.pages.append("index.html")
    result.seconds["index.html"] = time.perf_counter() - t0
    return result


__all__ = ["TITLES", "ReportResult", "build_report", "environment"]
