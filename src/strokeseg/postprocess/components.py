"""Binarise a lesion probability map: threshold T, keep the brain, drop small components."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

_FULL = np.ones((3, 3, 3), bool)


def component_sizes(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """26-connected component labels and the voxel count of each label (index 0 = background)."""
    lab, _ = ndimage.label(mask, structure=_FULL)
    return lab, np.bincount(lab.ravel())


def binarize(
    prob: np.ndarray,
    threshold: float,
    min_size: int = 0,
    brain: np.ndarray | None = None,
    min_size_mm3: float = 0.0,
    voxel_mm3: float = 1.0,
) -> np.ndarray:
    """``prob ≥ threshold`` inside ``brain``, without components smaller than ``min_size`` voxels (or mm³)."""
    mask = prob >= threshold
    if brain is not None:
        mask &= brain
    limit = max(int(min_size), int(np.ceil(min_size_mm3 / voxel_mm3)) if min_size_mm3 else 0)
    if limit > 1 and mask.any():
        lab, sizes = component_sizes(mask)
        keep = sizes >= limit
        keep[0] = False
        mask = keep[lab]
    return mask
