"""Vectorised patch extraction: one fancy-indexing gather for many patches (no loop per patch)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def pad_for_patches(volume: np.ndarray, patch_size: Sequence[int]) -> np.ndarray:
    """Zero-pad the last three axes by half a patch so that any centre inside the volume is valid."""
    pads = [(0, 0)] * (volume.ndim - 3) + [(p // 2, p - p // 2) for p in patch_size]
    return np.pad(volume, pads)


def extract_patches(padded: np.ndarray, centers: np.ndarray, patch_size: Sequence[int]) -> np.ndarray:
    """Patches ``(n, C, pz, py, px)`` of a ``(C, Z, Y, X)`` volume padded by :func:`pad_for_patches`.

    In padded coordinates a patch centred at voxel ``c`` starts at ``c`` (the padding is half a patch).
    """
    pz, py, px = (int(p) for p in patch_size)
    c = np.asarray(centers, dtype=np.int64)
    iz = c[:, 0, None, None, None] + np.arange(pz)[None, :, None, None]
    iy = c[:, 1, None, None, None] + np.arange(py)[None, None, :, None]
    ix = c[:, 2, None, None, None] + np.arange(px)[None, None, None, :]
    out = padded[:, iz, iy, ix]  # (C, n, pz, py, px)
    return np.ascontiguousarray(np.moveaxis(out, 0, 1))
