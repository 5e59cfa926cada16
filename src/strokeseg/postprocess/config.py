"""The post-processing stage's configuration: argmax, or the T × S_min grid searched on out-of-fold predictions."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class LabelMode(StrEnum):
    """How probabilities become labels."""

    THRESHOLD = "threshold"  # T and S_min from the grid search
    ARGMAX = "argmax"  # each voxel's most probable class


class GridSearch(StrEnum):
    """Which out-of-fold cases choose (T, S_min)."""

    NESTED = "nested"  # each fold's cases with the pair chosen on the other folds
    POOLED = "pooled"  # one pair chosen on every fold's cases


class HdUnits(StrEnum):
    """The Hausdorff distance's unit in the grid-search criterion."""

    MM = "mm"
    VOXELS = "voxels"


@dataclass(frozen=True)
class PostprocessConfig:
    """How class probabilities become labels: argmax, or a threshold T and a minimum component size S_min
    chosen by a grid search on out-of-fold probabilities.

    Attributes:
        thresholds: probability thresholds T (0–1) to search.
        min_sizes: minimum component sizes S_min (voxels) to search.
        search: ``nested`` (each fold's cases binarised with the (T, S_min) chosen on the other folds, so the
            CV figures are not tuned on themselves) or ``pooled`` (one (T, S_min) chosen on every fold's
            cases and applied to all, as both Clèrigues papers do).
        hd_units: ``mm`` or ``voxels``: the unit of the Hausdorff distance in the criterion (Clèrigues 2020:
            "HDmax, set to 200 voxels").
        hd_max: HDmax, the criterion's normalisation of HD (in ``hd_units``); a failed case enters with it.
        mode: ``threshold`` (T and S_min, as both Clèrigues papers) or ``argmax`` (each voxel's most
            probable class, no component filter: what the SegNet, PSPNet and slow-fusion papers do; the grid
            is still searched and reported, for reference).
    """

    thresholds: list[float] = field(default_factory=lambda: [round(0.1 * i, 1) for i in range(1, 10)])
    min_sizes: list[int] = field(default_factory=lambda: [10, 50, 100, 200, 300, 500, 1000])
    search: GridSearch = GridSearch.NESTED
    hd_units: HdUnits = HdUnits.MM
    hd_max: float = 200.0
    mode: LabelMode = LabelMode.THRESHOLD
