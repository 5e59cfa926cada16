"""Grid search of the threshold T and minimum lesion size S_min (Clèrigues 2019/2020).

For every case and every (T, S_min) the metrics are computed once; a search over any subset of
cases (the nested, per-fold search, or all cases pooled as the papers do) is then an average over
rows. The criterion is the ISLES'15 combined score of the cohort: DSC·(1−HD/HDmax)/(DSC + 1−HD/HDmax)
from the mean Dice and the mean Hausdorff distance (a failed case — one side empty — enters with
HD = HDmax); HD in mm, or in voxels as Clèrigues 2020 states ("HDmax, set to 200 voxels").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from strokeseg.evaluation.metrics import HD_MAX_MM, binary_metrics, isles15_score
from strokeseg.postprocess.components import component_sizes
from strokeseg.postprocess.config import HdUnits, PostprocessConfig


@dataclass
class GridTable:
    """Dice and HD per case at every threshold T × minimum size S_min, on out-of-fold probabilities."""

    thresholds: list[float]
    min_sizes: list[int]
    case_ids: list[str]
    dice: np.ndarray  # (cases, T, S)
    hd: np.ndarray  # (cases, T, S), HDmax for failures; in mm or in voxels (``hd_units``)
    hd_max: float = HD_MAX_MM
    hd_units: str = "mm"

    def score(self, cases: Sequence[str] | None = None) -> np.ndarray:
        """Cohort ISLES'15 score per (T, S) over ``cases`` (all by default)."""
        sel = slice(None) if cases is None else [self.case_ids.index(c) for c in cases]
        d = self.dice[sel].mean(0)
        h = self.hd[sel].mean(0)
        result: np.ndarray = np.vectorize(isles15_score)(d, h, self.hd_max)
        return result

    def best(self, cases: Sequence[str] | None = None) -> tuple[float, int, float]:
        """The (T, S_min) with the best cohort ISLES'15 score over ``cases``, and the score."""
        sc = self.score(cases)
        i, j = np.unravel_index(int(np.argmax(sc)), sc.shape)
        return self.thresholds[i], self.min_sizes[j], float(sc[i, j])


def grid_table(
    probs: Sequence[np.ndarray],
    truths: Sequence[np.ndarray],
    brains: Sequence[np.ndarray | None],
    spacings: Sequence[Sequence[float]],
    case_ids: Sequence[str],
    grid: PostprocessConfig,
) -> GridTable:
    """Metrics of every case at every (T, S_min) of ``grid``; components are labelled once per (case, T).
    With ``grid.hd_units == "voxels"`` the Hausdorff distance is measured on the voxel grid (unit spacing)."""
    thresholds, min_sizes, hd_units, hd_max = grid.thresholds, grid.min_sizes, grid.hd_units, grid.hd_max
    if hd_units not in tuple(HdUnits):
        raise ValueError(f"hd_units must be 'mm' or 'voxels', got {hd_units!r}")
    nt, ns = len(thresholds), len(min_sizes)
    dice = np.zeros((len(probs), nt, ns))
    hd = np.zeros((len(probs), nt, ns))
    for c, (p, t, b, sp) in enumerate(zip(probs, truths, brains, spacings)):
        if hd_units == HdUnits.VOXELS:
            sp = (1.0,) * len(sp)
        for i, thr in enumerate(thresholds):
            mask = p >= thr
            if b is not None:
                mask &= b
            lab, sizes = component_sizes(mask)
            for j, smin in enumerate(min_sizes):
                keep = sizes >= smin
                keep[0] = False
                m = binary_metrics(keep[lab], t, sp)
                dice[c, i, j] = m.dice
                hd[c, i, j] = m.hd if np.isfinite(m.hd) else hd_max
    return GridTable(list(thresholds), list(min_sizes), list(case_ids), dice, hd, hd_max, hd_units)
