"""The post-processing stage's configuration: the T × S_min grid searched on out-of-fold predictions."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PostprocessConfig:
    """Probability thresholds T (0–1) and minimum component sizes S_min (voxels) to search."""

    thresholds: list[float] = field(default_factory=lambda: [round(0.1 * i, 1) for i in range(1, 10)])
    min_sizes: list[int] = field(default_factory=lambda: [10, 50, 100, 200, 300, 500, 1000])
