"""Smooth random blobs with irregular borders (benchmarks and tests)."""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def irregular_blob(
    shape: tuple[int, int, int],
    center: tuple[float, float, float],
    radius: float,
    rng: np.random.Generator,
    roughness: float = 0.35,
    spacing=(1.0, 1.0, 1.0),
) -> np.ndarray:
    """A smooth random blob: a sphere (radius in mm) whose surface is perturbed by low-pass noise."""
    zz, yy, xx = np.meshgrid(*[np.arange(s) * sp for s, sp in zip(shape, spacing)], indexing="ij")
    c = [ci * sp for ci, sp in zip(center, spacing)]
    r = np.sqrt((zz - c[0]) ** 2 + (yy - c[1]) ** 2 + (xx - c[2]) ** 2)
    noise = ndimage.gaussian_filter(rng.standard_normal(shape), sigma=[max(1.0, radius / (3 * sp)) for sp in spacing])
    noise /= noise.std() + 1e-9
    result: np.ndarray = r < radius * (1.0 + roughness * noise)
    return result
