"""Balanced patch sampling (Kamnitsas 2017, extended by Clèrigues for acute stroke).

Per case, a target number of patch centres: a ``lesion_fraction`` of them on lesion voxels,
the rest on healthy brain voxels, each picked at regular steps through the voxels in raster
order so every part of the brain is represented. Lesion centres get a uniform random offset
of less than half a patch along the chosen axes (the sampled voxel stays inside the patch,
and tissue around the lesion is represented). When a case has fewer lesion voxels than
needed they are repeated, and the repeats are flagged for augmentation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from strokeseg.sampling.config import SamplingConfig


@dataclass
class PatchCenters:
    """Patch centres ``(N, 3)`` of one case, whether each is on the lesion, and whether it repeats one."""

    centers: np.ndarray  # (n, 3) int, array indices (z, y, x)
    lesion: np.ndarray  # (n,) bool: centred on a lesion voxel
    repeat: np.ndarray  # (n,) bool: a repeated lesion voxel (to be augmented)


def _regular(n_avail: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """``k`` indices into ``n_avail`` items at regular steps; repeats cycle through all items."""
    if k <= 0 or n_avail == 0:
        return np.zeros(0, np.int64), np.zeros(0, bool)
    if k <= n_avail:
        return np.linspace(0, n_avail - 1, k).round().astype(np.int64), np.zeros(k, bool)
    idx = np.resize(np.arange(n_avail), k)
    rep = np.arange(k) >= n_avail
    return idx, rep


def sample_centers(lesion: np.ndarray, brain: np.ndarray, cfg: SamplingConfig, rng: np.random.Generator) -> PatchCenters:
    """``cfg.patches_per_case`` patch centres for one case (see the module docstring): ``lesion_fraction`` of
    them on lesion voxels (offset by up to half a patch along ``offset_axes``), the rest on healthy brain.
    Masks are ``(Z, Y, X)`` bool; centres are ``(N, 3)`` voxel indices."""
    n, patch_size, lesion_fraction = int(cfg.patches_per_case), cfg.patch_size, float(cfg.lesion_fraction)
    offset, offset_axes = cfg.offset, cfg.offset_axes
    les = np.argwhere(lesion & brain) if lesion is not None else np.zeros((0, 3), np.int64)
    hea = np.argwhere(brain & ~(lesion if lesion is not None else np.zeros_like(brain)))
    n_les = round(n * lesion_fraction) if les.shape[0] else 0
    n_hea = n - n_les
    li, rep = _regular(les.shape[0], n_les)
    hi, _ = _regular(hea.shape[0], n_hea)
    c_les = les[li].copy()
    if offset and c_les.shape[0]:
        for ax in offset_axes:
            half = int(patch_size[ax]) // 2
            if half > 1:  # |offset| ≤ half − 1 keeps the sampled voxel inside the patch
                c_les[:, ax] += rng.integers(-(half - 1), half, size=c_les.shape[0])
    if c_les.shape[0]:
        c_les = np.clip(c_les, 0, np.asarray(brain.shape) - 1)  # an offset centre stays inside the volume
    centers = np.concatenate([c_les, hea[hi]]).astype(np.int64)
    is_les = np.concatenate([np.ones(len(li), bool), np.zeros(len(hi), bool)])
    repeat = np.concatenate([rep, np.zeros(len(hi), bool)])
    return PatchCenters(centers, is_les, repeat)
