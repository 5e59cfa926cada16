"""The cohort page (every case of a run) and the cross-validation page (a ``train`` output)."""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from strokeseg.clinical.eligibility import Patient
from strokeseg.io.records import PerfusionRecord, ReadoutRecord
from strokeseg.report import figures
from strokeseg.report.case_page import case_verdicts
from strokeseg.report.collect import CaseView, RunView, read_log


def _float(v: Any) -> float | None:
    if v is None or v == "":
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def main_region(run: RunView) -> str | None:
    """The region the cohort plots show: core when evaluated, else the first one."""
    if not run.regions:
        return None
    return "core" if "core" in run.regions else run.regions[0]


def case_row(case: CaseView, region: str | None, patient: Patient | None, has_page: bool) -> dict[str, Any]:
    """One row of the cohort table (raw values; the template formats them)."""
    r = case.readout or ReadoutRecord(case_id=case.case_id)
    perf = case.perfusion or PerfusionRecord()
    verdict = {v.trial: v.text for v in case_verdicts(case, patient)} if case.readout else {}
    flags = sorted({w.get("code", "") for w in case.warnings if w.get("code")} | {f"qc-{f.replace('_', '-')}" for f in case.qc_flags})
    return {
        "case_id": case.case_id,
        "link": f"{case.case_id}/index.html" if has_page else None,
        "core_ml": _float(r.core_ml),
        "hypoperfused_ml": _float(r.hypoperfused_ml),
        "penumbra_ml": _float(r.penumbra_ml),
        "mismatch_ratio": r.mismatch_ratio,
        "perfusion": r.perfusion is not False if case.readout else None,
        "defuse3": verdict.get("DEFUSE-3"),
        "extend": verdict.get("EXTEND"),
        "dawn": verdict.get("DAWN"),
        "group": next((m.get("group") for m in case.metrics if m.get("group")), None) or (r.clinical or {}).get("group"),
        "dice": _float(case.metric(region, "dice")) if region else None,
        "hd95": _float(case.metric(region, "hd95")) if region else None,
        "vol_true_ml": _float(case.metric(region, "vol_true_ml")) if region else None,
        "vol_pred_ml": _float(case.metric(region, "vol_pred_ml")) if region else None,
        "brain_voxels": perf.brain_voxels,
        "aif_voxels": (perf.aif or {}).get("voxels"),
        "flags": flags,
        "warnings": len(case.warnings),
    }


def _r2(run: RunView, region: str) -> float | None:
    for s in (run.evaluation.summary if run.evaluation is not None else None) or []:
        if s.get("region") == region and s.get("group") == "all":
            return _float(s.get("r2_volume"))
    return None


def cohort_plots(run: RunView, rows: list[dict[str, Any]], folder: Path) -> dict[str, Any]:
    """Volume scatter with R², Bland–Altman and Dice per group (only with an evaluation)."""
    region = main_region(run)
    pairs = [(r["vol_true_ml"], r["vol_pred_ml"]) for r in rows if r["vol_true_ml"] is not None and r["vol_pred_ml"] is not None]
    if region is None or not pairs:
        return {}
    true, pred = [p[0] for p in pairs], [p[1] for p in pairs]
    r2 = _r2(run, region)
    scatter = figures.scatter(true, pred, folder / "volume_scatter.png", region, r2)
    ba, agreement = figures.bland_altman(true, pred, folder / "bland_altman.png", region)
    groups: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        if r["dice"] is not None:
            groups[r["group"] or "unknown"].append(r["dice"])
    order = [g for g in ("LVO", "non-LVO", "no-stroke") if g in groups] + sorted(
        g for g in groups if g not in ("LVO", "non-LVO", "no-stroke")
    )
    dice = figures.by_group({g: groups[g] for g in order}, folder / "dice_by_group.png", f"{region} Dice per group")
    return {
        "region": region,
        "r2": r2,
        "scatter": scatter.name,
        "bland_altman": ba.name,
        "agreement": agreement,
        "dice": dice.name,
        "n": len(pairs),
    }


def summary_rows(run: RunView) -> list[dict[str, Any]]:
    """The evaluation's cohort summary (region, group, n, failures, mean ± sd Dice/HD95/ASSD, R²)."""
    out = []
    for s in (run.evaluation.summary if run.evaluation is not None else None) or []:
        m = s.get("metrics", {})

        def ms(k: str, m: dict[str, Any] = m) -> str:
            d = m.get(k) or {}
            mean, sd = _float(d.get("mean")), _float(d.get("sd"))
            return "—" if mean is None else f"{mean:.3f}" if sd is None else f"{mean:.3f} ± {sd:.3f}"  # one case: no sd

        out.append(
            {
                "region": s.get("region"),
                "group": s.get("group"),
                "n": s.get("n_cases"),
                "failures": s.get("n_failures"),
                "dice": ms("dice"),
                "hd95": ms("hd95"),
                "assd": ms("assd"),
                "r2": _float(s.get("r2_volume")),
            }
        )
    return out


def cv_context(run: RunView, folder: Path) -> dict[str, Any]:
    """The CV page of a model bundle: fold table, loss curves, T × S_min heat map, out-of-fold rows."""
    from strokeseg.tables import read_csv

    root = run.root
    bundle = run.bundle or {}
    folds = []
    for f in bundle.get("folds", []):
        folds.append(
            {
                "fold": f"fold_{int(f.get('fold', 0))}",
                "train": len(f.get("train", [])),
                "validation": len(f.get("validation", [])),
                "test": ", ".join(f.get("test", [])),
                "weights": f.get("weights"),
                "sha256": str(f.get("sha256", ""))[:12],
            }
        )
    logs: dict[str, tuple[list[float], list[float], list[float]]] = {}
    for d in sorted(root.glob("fold_*")):
        rows = read_log(d / "log.csv")
        if rows:
            ep = [float(r.get("epoch", i + 1)) for i, r in enumerate(rows)]
            tr = [_float(r.get("train_loss")) or float("nan") for r in rows]
            va = [v if (v := _float(r.get("val_metric"))) is not None else float("nan") for r in rows]
            logs[d.name] = (ep, tr, va)
    loss = figures.loss_curves(logs, folder / "loss_curves.png").name if logs else None
    heat = None
    grid_path = root / "cv" / "gridsearch.npz"
    if grid_path.exists():
        with np.load(grid_path) as g:
            mean = np.nanmean(g["dice"], axis=0)
            best = (float(bundle["threshold"]), int(bundle["min_size"])) if "threshold" in bundle and "min_size" in bundle else None
            if best is not None and (best[0] not in g["thresholds"] or best[1] not in g["min_sizes"]):
                best = None  # an argmax bundle: no pair of the grid was chosen
            heat = figures.heatmap(
                mean, [float(t) for t in g["thresholds"]], [int(s) for s in g["min_sizes"]], folder / "gridsearch.png", best
            ).name
    per_case = []
    pc = root / "cv" / "per_case.csv"
    if pc.exists():
        per_case = read_csv(pc.read_text(encoding="utf-8"))
    return {
        "recipe": bundle.get("recipe"),
        "target": bundle.get("target"),
        "threshold": bundle.get("threshold"),
        "min_size": bundle.get("min_size"),
        "channels": bundle.get("channels", []),
        "version": bundle.get("strokeseg"),
        "folds": folds,
        "loss": loss,
        "heatmap": heat,
        "per_case": per_case,
        "summary": summary_rows(run),
    }


__all__ = ["case_row", "cohort_plots", "cv_context", "main_region", "summary_rows"]
