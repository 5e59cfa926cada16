"""Brain masks from the pre-contrast baseline of a perfusion series.

CT: bone (> 150 HU) encloses the intracranial space slice by slice (a one-voxel frame closes
skull rings cut by the field of view); the brain is the soft tissue (−15…100 HU) inside it,
eroded by one voxel to drop the inner table's partial volume.
Where no closed skull is found (skull-stripped input), soft tissue alone is used. MR: a
robust threshold (Otsu on the log-intensity of non-background voxels) with holes filled.
The largest 3D connected component is kept in both cases.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def _largest_component(mask: np.ndarray) -> np.ndarray:
    lab, n = ndimage.label(mask)
    if n <= 1:
        return mask
    sizes = np.bincount(lab.ravel())
    sizes[0] = 0
    return lab == int(np.argmax(sizes))


def _fill_slices(mask: np.ndarray, frame: bool = False) -> np.ndarray:
    """Fill holes slice by slice; with ``frame``, a 1-voxel border closes rings cut by the field of view."""
    if not frame:
        return np.stack([ndimage.binary_fill_holes(s) for s in mask])
    out = []
    for s in mask:
        p = np.pad(s, 1, constant_values=True)
        out.append(ndimage.binary_fill_holes(p)[1:-1, 1:-1])
    return np.stack(out)


def ct_brain_mask(baseline_hu: np.ndarray) -> np.ndarray:
    """``(Z, Y, X)`` brain mask of a CT baseline image in HU."""
    soft = (baseline_hu > -15) & (baseline_hu < 100)
    bone = baseline_hu > 150
    ring = bone | ndimage.binary_closing(bone, structure=np.ones((1, 3, 3)), iterations=2)
    inside = _fill_slices(ring, frame=True) & ~bone
    if inside.sum() > 0.2 * soft.sum():
        brain = soft & ndimage.binary_erosion(inside, structure=np.ones((1, 3, 3)))
    else:  # skull-stripped or no closed skull: soft tissue only
        brain = soft
    brain = ndimage.binary_opening(brain, structure=np.ones((1, 3, 3)))
    brain = _largest_component(brain)
    return _fill_slices(brain)


def _otsu(values: np.ndarray, bins: int = 256) -> float:
    hist, edges = np.histogram(values, bins=bins)
    p = hist.astype(float) / max(hist.sum(), 1)
    centers = 0.5 * (edges[1:] + edges[:-1])
    w0 = np.cumsum(p)
    mu = np.cumsum(p * centers)
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mu[-1] * w0 - mu) ** 2 / (w0 * (1 - w0))
    return float(centers[int(np.nanargmax(between))])


def mr_brain_mask(baseline: np.ndarray) -> np.ndarray:
    """``(Z, Y, X)`` brain mask of an MR baseline (S0) image."""
    pos = baseline[baseline > 0]
    if pos.size == 0:
        return np.zeros(baseline.shape, bool)
    floor = np.percentile(pos, 2)
    logv = np.log(np.clip(baseline, floor, None))
    thr = _otsu(logv[baseline > floor])
    mask = logv > thr
    mask = ndimage.binary_opening(mask, structure=np.ones((3, 3, 3)))
    mask = _largest_component(mask)
    return ndimage.binary_fill_holes(mask)
