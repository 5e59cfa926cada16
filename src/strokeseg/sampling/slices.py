"""Whole-slice samples (not patches): every axial slice (or slab of ``pz`` slices) that holds brain.

A sample is centred in-plane on the volume's centre and spans the recipe's fixed in-plane
size, so extraction pads or crops every slice to e.g. 256×256. With ``pz > 1`` a sample is a
slab of ``pz`` consecutive slices (3D U-Net / V-Net on 2-slice ISLES'18 slabs). Slices
without brain are skipped. The same :class:`PatchCenters` record as patch sampling is
returned, so the engine's gather, augmentation and batching serve both modes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from strokeseg.sampling.balanced import PatchCenters


def slice_centers(lesion: np.ndarray, brain: np.ndarray, patch_size: Sequence[int]) -> PatchCenters:
    """One sample per brain slice, centred in-plane on the volume (whole-slice training)."""
    pz = int(patch_size[0])
    nz, ny, nx = brain.shape
    has_brain = np.asarray(brain.reshape(nz, -1).any(1), bool)
    has_lesion = np.asarray(lesion.reshape(nz, -1).any(1), bool)
    if pz > 1:  # a slab centred at z covers [z - pz//2, z + pz - pz//2): keep slabs that lie in the volume if possible
        lo, hi = pz // 2, nz - (pz - pz // 2)
        zs = np.arange(lo, hi + 1) if hi >= lo else np.array([nz // 2])
        win = zs[:, None] - lo + np.arange(pz)[None]  # (n, pz) slice indices of each slab
        win = np.clip(win, 0, nz - 1)
        keep = np.asarray(np.asarray(has_brain)[win].any(axis=1), bool)
        les_all = np.asarray(np.asarray(has_lesion)[win].any(axis=1), bool)
        zs, les = zs[keep], les_all[keep]
    else:
        zs = np.flatnonzero(has_brain)
        les = has_lesion[zs].astype(bool)
    centers = np.stack([zs, np.full(zs.size, ny // 2), np.full(zs.size, nx // 2)], 1).astype(np.int64)
    return PatchCenters(centers, les, np.zeros(zs.size, bool))


def outside_slice_window(mask: np.ndarray, patch_size: Sequence[int]) -> int:
    """Voxels of ``mask`` ``(Z, Y, X)`` that no whole-slice sample covers in-plane.

    A sample spans ``patch_size[1:]`` centred on the slice's centre (the same window as
    :func:`slice_centers` with :func:`~strokeseg.sampling.extract.pad_for_patches`), so a slice
    larger than the recipe's in-plane size is cropped: these voxels would never be trained on.
    """
    _, ny, nx = mask.shape
    py, px = int(patch_size[1]), int(patch_size[2])
    inside = np.zeros((ny, nx), bool)
    y0, x0 = ny // 2 - py // 2, nx // 2 - px // 2
    inside[max(y0, 0) : max(y0 + py, 0), max(x0, 0) : max(x0 + px, 0)] = True
    return int(np.count_nonzero(np.asarray(mask, bool) & ~inside[None]))
