"""Left/right split of the brain without an atlas: the mid-sagittal line of each axial slab.

The brain's in-plane principal axes give the anterior–posterior direction (the longest
axis); the left–right axis is perpendicular to it and the midline passes through the
centroid. Robust to the ±10° head rotations and off-centre positions of clinical scans.
"""

from __future__ import annotations

import numpy as np

from strokeseg.io.geometry import Geometry


def lateral_coordinate(brain: np.ndarray, geometry: Geometry) -> np.ndarray:
    """Signed in-plane distance (mm) of every voxel from the mid-sagittal line (0 outside ``brain``)."""
    zz, yy, xx = np.nonzero(brain)
    if zz.size < 10:
        return np.zeros(brain.shape, np.float32)
    sy, sx = geometry.spacing[1], geometry.spacing[0]
    pts = np.stack([yy * sy, xx * sx], axis=1)
    c = pts.mean(axis=0)
    cov = np.cov((pts - c).T)
    _, evecs = np.linalg.eigh(cov)
    lr = evecs[:, 0]  # smallest variance: left–right (heads are longer front to back)
    if lr[1] < 0:  # orient along +x of the image
        lr = -lr
    yy_all, xx_all = np.mgrid[0 : brain.shape[1], 0 : brain.shape[2]]
    coord = (yy_all * sy - c[0]) * lr[0] + (xx_all * sx - c[1]) * lr[1]
    out = np.broadcast_to(coord, brain.shape).astype(np.float32)
    return np.where(brain, out, 0.0).astype(np.float32)


def contralateral_mask(brain: np.ndarray, lesion: np.ndarray, geometry: Geometry) -> np.ndarray:
    """Brain voxels in the hemisphere opposite the lesion's centre of mass (whole brain if no lesion)."""
    lat = lateral_coordinate(brain, geometry)
    if not lesion.any():
        return brain.copy()
    side = np.sign(lat[lesion].mean()) or 1.0
    result: np.ndarray = brain & (np.sign(lat) == -side)
    return result
