"""Left/right split of the brain without an atlas: the mid-sagittal line of each axial slab.

The brain's in-plane principal axes give the anterior–posterior direction (the longest
axis); the left–right axis is perpendicular to it and the midline passes through the
centroid. Robust to the ±10° head rotations and off-centre positions of clinical scans.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from strokeseg.io.geometry import Geometry


def _midline(brain: np.ndarray, geometry: Geometry) -> tuple[np.ndarray, np.ndarray] | None:
    """The brain's in-plane centroid ``(y, x)`` in mm and its unit left–right axis (the in-plane principal axis of
    least variance, oriented along +x of the image); ``None`` for fewer than 10 brain voxels."""
    _, yy, xx = np.nonzero(brain)
    if yy.size < 10:
        return None
    pts = np.stack([yy * geometry.spacing[1], xx * geometry.spacing[0]], axis=1)
    c = pts.mean(axis=0)
    _, evecs = np.linalg.eigh(np.cov((pts - c).T))
    lr = evecs[:, 0]  # smallest variance: left–right (heads are longer front to back)
    return c, (-lr if lr[1] < 0 else lr)


def lateral_coordinate(brain: np.ndarray, geometry: Geometry) -> np.ndarray:
    """Signed in-plane distance (mm) of every voxel from the mid-sagittal line (0 outside ``brain``)."""
    line = _midline(brain, geometry)
    if line is None:
        return np.zeros(brain.shape, np.float32)
    c, lr = line
    yy_all, xx_all = np.mgrid[0 : brain.shape[1], 0 : brain.shape[2]]
    coord = (yy_all * geometry.spacing[1] - c[0]) * lr[0] + (xx_all * geometry.spacing[0] - c[1]) * lr[1]
    out = np.broadcast_to(coord, brain.shape).astype(np.float32)
    return np.where(brain, out, 0.0).astype(np.float32)


def inplane_disk(radius_mm: float, geometry: Geometry) -> np.ndarray:
    """A ``(1, Y, X)`` boolean disk of ``radius_mm`` in-plane on the grid's spacing (a single voxel for 0)."""
    ry = max(0, round(radius_mm / geometry.spacing[1]))
    rx = max(0, round(radius_mm / geometry.spacing[0]))
    y, x = np.mgrid[-ry : ry + 1, -rx : rx + 1]
    disk = ((y * geometry.spacing[1]) ** 2 + (x * geometry.spacing[0]) ** 2) <= radius_mm**2 + 1e-6
    result: np.ndarray = disk[None]
    return result


def mirrored(image: np.ndarray, brain: np.ndarray, geometry: Geometry) -> np.ndarray:
    """``image`` ``(Z, Y, X)`` reflected across the brain's mid-sagittal line (bilinear in-plane, 0 outside the grid):
    each voxel holds the value at its contralateral twin. No registration: the line is the principal axis
    of the brain mask, good to a few mm on the ±10° rotations of clinical scans."""
    line = _midline(brain, geometry)
    if line is None:
        return np.zeros_like(image)
    c, lr = line
    sy, sx = geometry.spacing[1], geometry.spacing[0]
    zz, yy, xx = np.mgrid[0 : image.shape[0], 0 : image.shape[1], 0 : image.shape[2]].astype(np.float32)
    d = (yy * sy - c[0]) * lr[0] + (xx * sx - c[1]) * lr[1]
    coords = [zz, (yy * sy - 2 * d * lr[0]) / sy, (xx * sx - 2 * d * lr[1]) / sx]
    result: np.ndarray = ndimage.map_coordinates(image, coords, order=1, mode="constant", cval=0.0)
    return result.astype(image.dtype, copy=False)


def contralateral_mask(brain: np.ndarray, lesion: np.ndarray, geometry: Geometry) -> np.ndarray:
    """Brain voxels in the hemisphere opposite the lesion's centre of mass (whole brain if no lesion)."""
    lat = lateral_coordinate(brain, geometry)
    if not lesion.any():
        return brain.copy()
    side = np.sign(lat[lesion].mean()) or 1.0
    result: np.ndarray = brain & (np.sign(lat) == -side)
    return result
