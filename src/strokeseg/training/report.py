"""The cross-validation table in the papers' form: T, S_min, DSC, PPV, sensitivity, HD (± sd), R²."""

from __future__ import annotations

import math
from typing import Any

from strokeseg.evaluation.runner import EvaluationResult
from strokeseg.postprocess.config import GridSearch, HdUnits, LabelMode
from strokeseg.tables import markdown_table


def _how(pp: Any) -> str:
    """How the CV labels were made: argmax, or T and S_min (pooled or nested), and the HD unit of the criterion."""
    if pp.mode == LabelMode.ARGMAX:
        return "each voxel's most probable class (`postprocess.mode: argmax`, as the paper)."
    how = (
        "T and S_min chosen once on every fold's cases, as the paper "
        "(`postprocess.search: pooled`: the CV figures are tuned on themselves)."
        if pp.search == GridSearch.POOLED
        else "T and S_min chosen per fold on the other folds' cases (nested)."
    )
    return how + (f" HD in the criterion in voxels (HDmax {pp.hd_max:g})." if pp.hd_units == HdUnits.VOXELS else "")


def cv_report_markdown(bundle: Any, result: EvaluationResult) -> str:
    """``cv/cv_report.md``: the bundle's T and S_min, the nested choice per fold and the metrics per region."""
    pre = bundle.meta.get("pretrained") or {}
    lines = [f"# {bundle.recipe.name}: cross-validation", ""]
    if not pre.get("pretrained") and pre.get("note"):
        lines += [f"**{pre['note'][0].upper()}{pre['note'][1:]}.**", ""]  # the first thing a reader sees
    lines += [
        f"{len(bundle.folds)} folds grouped by patient; " + _how(bundle.recipe.postprocess),
        (
            "Labels by argmax (the grid of T and S_min is searched for reference only)."
            if bundle.recipe.postprocess.mode == LabelMode.ARGMAX
            else f"Bundle T = {bundle.threshold:g}, S_min = {bundle.min_size} voxels (chosen on all out-of-fold predictions)."
        ),
        "",
    ]
    if pre.get("pretrained"):
        lines += [f"Backbone initialised from {pre.get('file')} ({', '.join(pre.get('backbones', []))}).", ""]
    nested = bundle.meta.get("nested", [])
    if nested:
        lines += markdown_table(
            ["fold", "T", "S_min", "best epoch"],
            (
                [
                    f"fold_{n['fold']}",
                    "argmax" if "threshold" not in n else f"{n['threshold']:g}",
                    "—" if "min_size" not in n else n["min_size"],
                    f"{f['best_epoch']} of {f['epochs_run']}",
                ]
                for n, f in zip(nested, bundle.folds)
            ),
        )
        lines.append("")
    body = []
    for s in result.summaries:
        m = s.metrics
        r2 = f"{s.r2_volume:.2f}" if math.isfinite(s.r2_volume) else "n/a"
        body.append(
            [
                s.region,
                s.group,
                s.n_cases,
                m["dice"].fmt(2),
                m["precision"].fmt(2),
                m["sensitivity"].fmt(2),
                m["hd"].fmt(1),
                m["abs_vol_diff_ml"].fmt(1),
                r2,
                s.n_failures,
            ]
        )
    lines += markdown_table(["region", "group", "n", "DSC", "PPV", "Sensitivity", "HD (mm)", "ΔV (ml)", "R²", "failures"], body)
    lines.append("")
    lines.append("Mean ± sd over cases; HD is the maximum (ISLES'15) Hausdorff distance in mm.")
    return "\n".join(lines) + "\n"
