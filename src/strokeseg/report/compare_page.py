"""The HTML page of ``strokeseg compare`` (the report stage's templates and style)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from strokeseg.evaluation.compare import METRICS


def _cell(stats: dict[str, Any] | None) -> str:
    if not stats or not math.isfinite(stats["mean"]):
        return "n/a"
    return f"{stats['mean']:.3f} ± {stats['sd']:.3f}" if math.isfinite(stats["sd"]) else f"{stats['mean']:.3f}"


def _row(name: str, metrics: dict[str, Any], with_folds: bool) -> dict[str, Any]:
    cells = []
    for m in METRICS:
        cells.append(_cell(metrics[m].get("cases")))
        if with_folds:
            cells.append(_cell(metrics[m].get("folds")))
        p = metrics[m].get("p_vs_reference")
        cells.append("ref." if p is None else ("n/a" if not math.isfinite(p) else f"{p:.3g}"))
    return {"name": name, "cells": cells}


def comparison_page(result: dict[str, Any], out: Path) -> Path:
    """Write ``comparison.html`` beside ``comparison.png`` in ``out`` from :func:`compare_runs`' result."""
    from strokeseg.report.build import _version, environment

    folds = bool(result["folds"])
    regions = []
    for reg, block in result["regions"].items():
        per_fold = [
            {"name": n, "dice": ["n/a" if not math.isfinite(x) else f"{x:.3f}" for x in block["methods"][n]["dice"].get("per_fold", [])]}
            for n in result["methods"]
        ]
        rows = [_row(n, block["methods"][n], folds) for n in result["methods"]]
        regions.append({"name": reg, "n": len(block["cases"]), "rows": rows, "per_fold": per_fold})
    html = environment().get_template("compare.html.j2").render(cmp=result, regions=regions, metrics=list(METRICS), version=_version())
    path = out / "comparison.html"
    path.write_text(html, encoding="utf-8")
    return path
