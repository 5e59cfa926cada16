"""Methods compared on the same cases and folds: mean ± sd over cases and over folds, per-fold means,
and paired tests against a reference method (Wilcoxon signed-rank by default, the paired t-test where a
paper used one; SciPy).

A run is a model bundle (``cv/per_case.csv`` with its out-of-fold rows, ``cv/folds.json``) or an
evaluation folder (``per_case.csv``, from ``strokeseg evaluate``; e.g. the threshold method). Runs
whose cases differ are refused, naming the difference; so are bundles whose folds differ. Evaluation
folders take the bundles' folds.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from strokeseg.errors import InputError, Message, Param
from strokeseg.evaluation.modes import SignificanceTest
from strokeseg.evaluation.runner import rows_from_csv

#: the metrics the comparison tables show, and whether larger is better
METRICS = {"dice": True, "hd95": False, "abs_vol_diff_ml": False, "lesion_f1": True}
TESTS = tuple(t.value for t in SignificanceTest)


@dataclass(frozen=True)
class MethodRun:
    """One method's per-case rows (``case_id``, ``region`` and the metrics) and its folds (None: unknown)."""

    name: str
    path: Path
    rows: list[dict[str, Any]]
    folds: list[list[str]] | None
    note: str = ""  # what a reader must know first (a paper's pretrained backbone that started random)


def _bundle_note(p: Path) -> str:
    """A model bundle's first-line note: its random initialisation where the recipe's paper started pretrained."""
    try:
        meta = json.loads((p / "bundle.json").read_text(encoding="utf-8")).get("meta", {})
    except (OSError, ValueError, AttributeError):
        return ""
    pre = meta.get("pretrained") if isinstance(meta, dict) else None
    return str(pre.get("note") or "") if isinstance(pre, dict) and not pre.get("pretrained") else ""


def read_run(path: str | Path, name: str | None = None) -> MethodRun:
    """A bundle folder or an evaluation folder as a :class:`MethodRun`."""
    p = Path(path)
    csv = p / "cv" / "per_case.csv" if (p / "cv" / "per_case.csv").is_file() else p / "per_case.csv"
    if not csv.is_file():
        raise InputError("neither a model bundle (cv/per_case.csv) nor an evaluation folder (per_case.csv)", p)
    folds = None
    if (p / "cv" / "folds.json").is_file():
        folds = [list(map(str, f)) for f in json.loads((p / "cv" / "folds.json").read_text(encoding="utf-8"))["folds"]]
    return MethodRun(name or p.name, p, rows_from_csv(csv.read_text(encoding="utf-8")), folds, _bundle_note(p))


def _cases(run: MethodRun, region: str) -> dict[str, dict[str, Any]]:
    return {r["case_id"]: r for r in run.rows if r["region"] == region}


def _scored(runs: Sequence[MethodRun]) -> dict[str, list[MethodRun]]:
    """Per region, the runs that scored it (regions fewer than two runs scored are left out)."""
    regions = sorted({r["region"] for run in runs for r in run.rows})
    by_region = {reg: [run for run in runs if any(r["region"] == reg for r in run.rows)] for reg in regions}
    return {reg: rs for reg, rs in by_region.items() if len(rs) >= 2}


def check_comparable(runs: Sequence[MethodRun]) -> tuple[dict[str, list[MethodRun]], list[list[str]] | None]:
    """Per region, the runs that scored it, and the shared folds; runs that scored a region on different
    cases, or bundles cross-validated on different folds, are refused by name."""
    if len(runs) < 2:
        raise InputError("give at least two runs to compare")
    if len({r.name for r in runs}) < len(runs):
        raise InputError("two runs have the same name; name them NAME=DIR")
    by_region = _scored(runs)
    if not by_region:
        raise InputError("no region was scored by two of the runs")
    for reg, scored in by_region.items():
        first = scored[0]
        for run in scored[1:]:
            a, b = set(_cases(first, reg)), set(_cases(run, reg))
            if a != b:
                only = sorted(a - b)[:3] or sorted(b - a)[:3]
                where = first.name if a - b else run.name
                raise InputError(f"{run.name} and {first.name} scored different {reg} cases (only in {where}: {', '.join(only)})", run.path)
    with_folds = [r for r in runs if r.folds is not None]
    folds = with_folds[0].folds if with_folds else None
    for run in with_folds[1:]:
        if sorted(map(sorted, run.folds or [])) != sorted(map(sorted, folds or [])):
            raise InputError(f"{run.name} was cross-validated on other folds than {with_folds[0].name}", run.path)
    return by_region, folds


def paired_p(a: np.ndarray, b: np.ndarray, test: SignificanceTest) -> float:
    """Two-sided p of the paired test over the cases both have finite values for (NaN: too few, or identical)."""
    from scipy import stats

    ok = np.isfinite(a) & np.isfinite(b)
    a, b = a[ok], b[ok]
    if a.size < 2 or np.all(a == b):
        return math.nan
    if test == SignificanceTest.TTEST:
        return float(stats.ttest_rel(a, b).pvalue)
    return float(stats.wilcoxon(a, b).pvalue)


def _stats(values: np.ndarray) -> dict[str, float | int]:
    ok = values[np.isfinite(values)]
    return {"mean": float(ok.mean()) if ok.size else math.nan, "sd": float(ok.std(ddof=1)) if ok.size > 1 else math.nan, "n": int(ok.size)}


def _metric_entry(v: np.ndarray, ids: list[str], folds: list[list[str]] | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"cases": _stats(v)}
    if folds:
        index = {c: i for i, c in enumerate(ids)}
        per_fold = [_stats(v[[index[c] for c in f if c in index]])["mean"] for f in folds]
        entry["per_fold"] = per_fold
        entry["folds"] = _stats(np.asarray(per_fold, float))
    return entry


def compare_runs(
    runs: Sequence[MethodRun], reference: str | None = None, test: SignificanceTest | str = SignificanceTest.WILCOXON
) -> dict[str, Any]:
    """Per region, per method that scored it and per metric: mean ± sd over cases (and over folds where
    the folds are known), the per-fold means, and the paired test's p against ``reference`` (default: the
    first run) where the reference scored the region too. A region scored by fewer than two runs is left out."""
    if test not in TESTS:
        raise InputError(Message(Param("test", verb=""), f" must be one of {', '.join(TESTS)}, got {test!r}"))
    test = SignificanceTest(test)
    by_region, folds = check_comparable(runs)
    ref = reference or runs[0].name
    names = [r.name for r in runs]
    if ref not in names:
        raise InputError(Message(Param("reference", verb=""), f" {ref!r} is none of the runs ({', '.join(names)})"))
    out: dict[str, Any] = {"version": 2, "reference": ref, "test": test, "methods": names, "folds": folds, "regions": {}}
    out["notes"] = {r.name: r.note for r in runs if r.note}
    for reg, scored in by_region.items():
        ids = sorted(_cases(scored[0], reg))
        values = {r.name: {m: np.array([_cases(r, reg)[c][m] for c in ids], float) for m in METRICS} for r in scored}
        table: dict[str, Any] = {}
        for name in values:
            table[name] = {m: _metric_entry(values[name][m], ids, folds) for m in METRICS}
            if name != ref and ref in values:
                for m in METRICS:
                    table[name][m]["p_vs_reference"] = paired_p(values[name][m], values[ref][m], test)
        out["regions"][reg] = {
            "cases": ids,
            "methods": table,
            "reference": ref if ref in values else None,
            "values": {n: {m: v.tolist() for m, v in d.items()} for n, d in values.items()},
        }
    return out


def _cell(stats: dict[str, Any] | None) -> str:
    if not stats or not math.isfinite(stats["mean"]):
        return "n/a"
    return f"{stats['mean']:.3f} ± {stats['sd']:.3f}" if math.isfinite(stats["sd"]) else f"{stats['mean']:.3f}"


def formatted_tables(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Per region, the formatted cells the Markdown and HTML pages show: ``rows`` (per method: mean ± sd over
    cases, over folds where known, and p against the reference per metric) and ``per_fold`` Dice."""
    out = []
    for reg, block in result["regions"].items():
        rows, per_fold = [], []
        for name in block["methods"]:
            metrics = block["methods"][name]
            cells = []
            for m in METRICS:
                cells.append(_cell(metrics[m].get("cases")))
                if result["folds"]:
                    cells.append(_cell(metrics[m].get("folds")))
                p = metrics[m].get("p_vs_reference")
                if p is None:
                    cells.append("ref." if name == block.get("reference", result["reference"]) else "n/a")
                else:
                    cells.append("n/a" if not math.isfinite(p) else f"{p:.3g}")
            rows.append({"name": name, "cells": cells})
            dice = metrics["dice"].get("per_fold", [])
            per_fold.append({"name": name, "dice": ["n/a" if not math.isfinite(x) else f"{x:.3f}" for x in dice]})
        out.append({"name": reg, "n": len(block["cases"]), "rows": rows, "per_fold": per_fold})
    return out


def comparison_markdown(result: dict[str, Any]) -> str:
    """One table per region (mean ± sd over cases; over folds; p against the reference), then per-fold Dice."""
    notes = [f"**{name}: {note}.**" for name, note in (result.get("notes") or {}).items()]  # first: what the numbers are not
    lines = [*notes, *([""] if notes else []), f"Reference: {result['reference']}; paired test: {result['test']} (two-sided, over cases)."]
    cols = [f"{m} (cases)" + (f" | {m} (folds)" if result["folds"] else "") + f" | p {m}" for m in METRICS]
    for table in formatted_tables(result):
        lines += ["", f"## {table['name']} ({table['n']} cases)", "", "| method | " + " | ".join(cols) + " |"]
        lines.append("|---|" + "---|" * (len(METRICS) * (3 if result["folds"] else 2)))
        lines += [f"| {r['name']} | " + " | ".join(r["cells"]) + " |" for r in table["rows"]]
        if result["folds"]:
            lines += ["", "Dice per fold:", "", "| method | " + " | ".join(f"fold {i}" for i in range(len(result["folds"]))) + " |"]
            lines.append("|---|" + "---|" * len(result["folds"]))
            lines += [f"| {r['name']} | " + " | ".join(r["dice"]) + " |" for r in table["per_fold"]]
    return "\n".join(lines) + "\n"


def comparison_plot(result: dict[str, Any], path: Path) -> Path:
    """Dice per case of every method, one panel per region (box plots with the cases as dots)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    regions = list(result["regions"])
    width = sum(1.2 * len(result["regions"][reg]["values"]) + 1.5 for reg in regions)
    fig, axes = plt.subplots(1, len(regions), figsize=(max(5.0, width), 3.8), squeeze=False)
    for ax, reg in zip(axes[0], regions):
        vals = result["regions"][reg]["values"]
        names = list(vals)
        data = [np.asarray(vals[n]["dice"], float) for n in names]
        ax.boxplot([d[np.isfinite(d)] for d in data], tick_labels=names, showfliers=False)
        for i, d in enumerate(data, start=1):
            ax.plot(np.full(d.size, i) + np.linspace(-0.12, 0.12, d.size), d, "o", ms=3, alpha=0.6)
        ax.set_title(reg)
        ax.set_ylabel("Dice")
        ax.set_ylim(-0.02, 1.02)
        ax.tick_params(axis="x", labelrotation=30)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
