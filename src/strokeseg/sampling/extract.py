"""Vectorised patch extraction: one fancy-indexing gather for many patches (no loop per patch)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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


def window_offsets(window: Sequence[int]) -> np.ndarray:
    """``(P, 3)`` voxel offsets of every position of a ``(Z, Y, X)`` window, in C order."""
    return np.stack(np.meshgrid(*[np.arange(int(w)) for w in window], indexing="ij"), axis=-1).reshape(-1, 3)


def flat_patch_indices(origins: Any, strides: Any, window: Sequence[int], base: Any = None) -> Any:
    """Flat element indices ``(n, P)`` of ``n`` windows: the one patch gather of training and inference.

    ``origins`` ``(n, 3)`` are the windows' first voxels (Z, Y, X); ``strides`` the element strides of the
    axes, ``(3,)`` for one volume or ``(n, 3)`` per window; ``base`` ``(n,)`` the flat offset of each window's
    volume in a concatenation of volumes. All are integer torch tensors; ``values[:, indices]`` then gathers
    every window with one indexing operation.
    """
    import torch

    offs = torch.from_numpy(window_offsets(window))
    start = (origins * strides).sum(1) if strides.ndim == 2 else origins @ strides
    if base is not None:
        start = start + base
    if strides.ndim == 1:
        return start[:, None] + (offs @ strides)[None, :]
    return start[:, None] + (strides[:, None, :] * offs[None]).sum(-1)
