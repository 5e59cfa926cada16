"""Cohort summaries: mean ± sd, median, R² of volumes, per group, failures counted."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from strokeseg.evaluation.metrics import HD_MAX_MM, METRIC_NAMES, isles15_score


def r_squared(truth: Sequence[float], pred: Sequence[float]) -> float:
    """Coefficient of determination of ``pred`` as an estimate of ``truth``: 1 − SS_res / SS_tot.

    NaN when fewer than two cases or when the truth does not vary.
    """
    t = np.asarray(truth, dtype=float)
    p = np.asarray(pred, dtype=float)
    if t.size < 2:
        return float("nan")
    ss_tot = float(np.sum((t - t.mean()) ** 2))
    if ss_tot == 0:
        return float("nan")
    return 1.0 - float(np.sum((t - p) ** 2)) / ss_tot


@dataclass
class MetricSummary:
    """Mean, sample sd and median of a metric over the cases that have it, and how many miss it."""

    n: int
    mean: float
    sd: float
    median: float
    missing: int = 0

    def fmt(self, digits: int = 3) -> str:
        """``mean ± sd`` with ``digits`` decimals (the value alone for one case: no sd), or ``n/a`` when no case has the metric."""
        if self.n == 0:
            return f"n/a ({self.missing} missing)" if self.missing else "n/a"
        s = f"{self.mean:.{digits}f}" + (f" ± {self.sd:.{digits}f}" if self.n > 1 else "")
        return s + (f" ({self.missing} missing)" if self.missing else "")


def summarise_values(values: Iterable[float]) -> MetricSummary:
    """Mean, sample sd (ddof=1; NaN for one case, where it is undefined), median over the finite values; NaNs counted as missing."""
    v = np.asarray(list(values), dtype=float)
    ok = v[np.isfinite(v)]
    missing = int(v.size - ok.size)
    if ok.size == 0:
        return MetricSummary(0, float("nan"), float("nan"), float("nan"), missing)
    sd = float(ok.std(ddof=1)) if ok.size > 1 else float("nan")
    return MetricSummary(int(ok.size), float(ok.mean()), sd, float(np.median(ok)), missing)


@dataclass
class RegionSummary:
    """The cohort summary of one region and group: every metric's summary, volume R², failures and the ISLES'15 score."""

    region: str
    group: str
    n_cases: int
    n_failures: int
    metrics: dict[str, MetricSummary]
    r2_volume: float
    isles15_cohort_score: float
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "group": self.group,
            "n_cases": self.n_cases,
            "n_failures": self.n_failures,
            "r2_volume": self.r2_volume,
            "isles15_cohort_score": self.isles15_cohort_score,
            "metrics": {k: vars(v) for k, v in self.metrics.items()},
        }


def summarise_rows(rows: Sequence[Mapping[str, Any]], region: str, group: str = "all") -> RegionSummary:
    """Summary of per-case rows (dicts holding :data:`METRIC_NAMES` and ``failure``).

    The cohort ISLES'15 score is computed from the mean Dice and the mean HD, where a failed
    case (missing HD) enters the mean HD as HDmax = 200 mm so it is never silently dropped.
    """
    metrics = {name: summarise_values(r[name] for r in rows) for name in METRIC_NAMES}
    n_fail = sum(bool(r["failure"]) for r in rows)
    hd_for_score = [r["hd"] if np.isfinite(r["hd"]) else HD_MAX_MM for r in rows]
    mean_dice = metrics["dice"].mean if rows else float("nan")
    cohort_score = isles15_score(mean_dice, float(np.mean(hd_for_score))) if rows else float("nan")
    return RegionSummary(
        region=region,
        group=group,
        n_cases=len(rows),
        n_failures=n_fail,
        metrics=metrics,
        r2_volume=r_squared([r["vol_true_ml"] for r in rows], [r["vol_pred_ml"] for r in rows]),
        isles15_cohort_score=cohort_score,
    )


def summarise(rows: Sequence[Mapping[str, Any]]) -> list[RegionSummary]:
    """Summaries per region, for all cases and per clinical group when rows carry ``group``."""
    out: list[RegionSummary] = []
    regions = list(dict.fromkeys(r["region"] for r in rows))
    for region in regions:
        rr = [r for r in rows if r["region"] == region]
        out.append(summarise_rows(rr, region))
        groups = sorted({str(r["group"]) for r in rr if r.get("group") not in (None, "")})
        if len(groups) > 1 or (groups and any(r.get("group") in (None, "") for r in rr)):
            for g in groups:
                out.append(summarise_rows([r for r in rr if str(r.get("group")) == g], region, g))
    return out
