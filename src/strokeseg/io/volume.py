"""In-memory volumes: a 3D array with its geometry, and a 4D perfusion series."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from strokeseg.io.geometry import Geometry


@dataclass
class Volume:
    """A 3D image: ``array`` is ``(Z, Y, X)`` float32 (or an integer label map)."""

    array: np.ndarray
    geometry: Geometry
    path: Path | None = None
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.array.shape != self.geometry.shape:
            raise ValueError(f"array shape {self.array.shape} does not match geometry {self.geometry.shape}")


@dataclass
class Series:
    """A 4D perfusion series.

    Attributes:
        data: ``(Z, Y, X, T)`` float32 signal (HU for CT, raw signal for DSC-MRI).
        geometry: the spatial grid (3D).
        frame_times: ``(T,)`` acquisition times in seconds, starting at 0.
    """

    data: np.ndarray
    geometry: Geometry
    frame_times: np.ndarray
    path: Path | None = None
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.data.ndim != 4 or self.data.shape[:3] != self.geometry.shape:
            raise ValueError(f"series shape {self.data.shape} does not match grid {self.geometry.shape} + time")
        self.frame_times = np.asarray(self.frame_times, dtype=np.float64)
        if self.frame_times.shape != (self.data.shape[3],):
            raise ValueError("frame_times must have one entry per frame")

    @property
    def n_frames(self) -> int:
        return int(self.data.shape[3])

    @property
    def frame_interval(self) -> float:
        """Median interval between frames in seconds."""
        return float(np.median(np.diff(self.frame_times))) if self.n_frames > 1 else 0.0
