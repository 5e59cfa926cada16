"""The HTML page of ``strokeseg compare`` (the report stage's templates and style)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from strokeseg.evaluation.compare import METRICS, formatted_tables


def comparison_page(result: dict[str, Any], out: Path) -> Path:
    """Write ``comparison.html`` beside ``comparison.png`` in ``out`` from :func:`compare_runs`' result."""
    from strokeseg.report.build import _version, environment

    html = (
        environment()
        .get_template("compare.html.j2")
        .render(cmp=result, regions=formatted_tables(result), metrics=list(METRICS), version=_version())
    )
    path = out / "comparison.html"
    path.write_text(html, encoding="utf-8")
    return path
