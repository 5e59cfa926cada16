"""Compare methods run on the same cases and folds, into an output folder: ``comparison.json``,
``comparison.md``, ``comparison.png`` and ``comparison.html`` (see :mod:`strokeseg.evaluation.compare`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from strokeseg.evaluation.compare import compare_runs, comparison_markdown, comparison_plot, read_run
from strokeseg.evaluation.modes import SignificanceTest
from strokeseg.io.outputs import RunFolder
from strokeseg.report.compare_page import comparison_page


def parse_run(spec: str) -> tuple[str | None, Path]:
    """``NAME=DIR`` or ``DIR`` (the folder's name)."""
    name, sep, path = spec.partition("=")
    return (name, Path(path)) if sep and name and not Path(spec).exists() else (None, Path(spec))


def compare_to_folder(
    run: RunFolder, specs: Sequence[str], reference: str | None = None, test: SignificanceTest | str = SignificanceTest.WILCOXON
) -> dict[str, Any]:
    """Read every run, compare them and write the three files together into ``run``."""
    runs = [read_run(path, name) for name, path in map(parse_run, specs)]
    result = compare_runs(runs, reference, test)
    with run.stage() as stage:
        (stage / "comparison.json").write_text(json.dumps(result, indent=2, default=float), encoding="utf-8")
        (stage / "comparison.md").write_text("# Method comparison\n\n" + comparison_markdown(result), encoding="utf-8")
        comparison_plot(result, stage / "comparison.png")
        comparison_page(result, stage)
    return result
