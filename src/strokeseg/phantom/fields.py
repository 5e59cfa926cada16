"""Smooth random fields in head coordinates (mm), optionally left–right symmetric.

A field is Gaussian noise on a coarse lattice, smoothed, then evaluated anywhere by trilinear
interpolation. Evaluating at ``(|x|, y, z)`` makes it mirror-symmetric about the mid-sagittal
plane; a weaker independent field added on top gives natural asymmetry.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

_EXTENT = 140.0  # mm half-width of the lattice in each axis


class SmoothField:
    """Zero-mean, unit-variance random field with correlation length ``scale_mm``."""

    def __init__(self, rng: np.random.Generator, scale_mm: float, cell_mm: float | None = None) -> None:
        self.cell = cell_mm or max(scale_mm / 2.5, 1.0)
        n = int(2 * _EXTENT / self.cell) + 3
        lattice = ndimage.gaussian_filter(rng.standard_normal((n, n, n)), sigma=scale_mm / self.cell / 2.0, mode="wrap")
        self.lattice = (lattice / (lattice.std() + 1e-12)).astype(np.float32)

    def __call__(self, pts: np.ndarray, symmetric: bool = False) -> np.ndarray:
        """Field values at points ``(..., 3)`` = (x, y, z) in mm."""
        p = np.asarray(pts, dtype=np.float32)
        if symmetric:
            p = np.concatenate([np.abs(p[..., :1]), p[..., 1:]], axis=-1)
        idx = (p + _EXTENT) / self.cell
        flat = idx.reshape(-1, 3).T
        vals = ndimage.map_coordinates(self.lattice, flat, order=1, mode="nearest")
        result: np.ndarray = vals.reshape(p.shape[:-1])
        return result
