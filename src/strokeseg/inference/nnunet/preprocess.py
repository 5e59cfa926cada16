"""nnU-Net v2's ``DefaultPreprocessor`` for inference, operation for operation: transpose, crop to
the non-zero bounding box, per-channel normalisation, and the default resampling (scikit-image
``resize``; a separate order-0 pass along a low-resolution axis when the spacing is anisotropic)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.ndimage import binary_fill_holes, map_coordinates

ANISO_THRESHOLD = 3  # nnunetv2.configuration.ANISO_THRESHOLD


@dataclass(frozen=True)
class Preprocessed:
    """A case ready for the network, and what the export needs to undo it.

    Attributes:
        data: ``(C, *shape)`` float32, transposed, cropped, normalised and resampled.
        spacing: the input's spacing in mm, in array order (before the transpose).
        shape_before_cropping: the transposed input shape.
        bbox: ``[[start, stop), …]`` of the crop, in the transposed input.
        shape_after_cropping: the cropped shape before resampling.
    """

    data: np.ndarray
    spacing: tuple[float, ...]
    shape_before_cropping: tuple[int, ...]
    bbox: list[list[int]]
    shape_after_cropping: tuple[int, ...]


def bbox_of(mask: np.ndarray) -> list[list[int]]:
    """Half-open bounding box of a mask; the whole array when the mask is empty (acvl_utils)."""
    box = []
    for axis in range(mask.ndim):
        hit = np.flatnonzero(mask.any(axis=tuple(a for a in range(mask.ndim) if a != axis)))
        box.append([int(hit[0]), int(hit[-1]) + 1] if hit.size else [0, mask.shape[axis]])
    return box


def crop_to_nonzero(data: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[list[int]]]:
    """Crop ``(C, …)`` to the bounding box of the hole-filled union of non-zero voxels; returns the
    crop, the nnU-Net "seg" (0 inside that mask, −1 outside) and the box."""
    nonzero = binary_fill_holes(np.any(data != 0, axis=0))
    box = bbox_of(nonzero)
    sl = tuple(slice(a, b) for a, b in box)
    seg = np.where(nonzero[sl], np.int8(0), np.int8(-1))
    return data[(slice(None), *sl)], seg, box


def normalise_channel(image: np.ndarray, scheme: str, use_mask: bool, seg: np.ndarray, props: dict[str, Any]) -> np.ndarray:
    """One channel normalised as nnU-Net's normalisation classes do (float32, in place)."""
    eps = 1e-8
    image = image.astype(np.float32, copy=False)
    if scheme == "ZScoreNormalization":
        if use_mask:
            mask = seg >= 0
            mean, std = image[mask].mean(), image[mask].std()
            image[mask] = (image[mask] - mean) / max(std, eps)
        else:
            mean, std = image.mean(), image.std()
            image -= mean
            image /= max(std, eps)
    elif scheme == "CTNormalization":
        np.clip(image, props["percentile_00_5"], props["percentile_99_5"], out=image)
        image -= props["mean"]
        image /= max(props["std"], eps)
    elif scheme == "RescaleTo01Normalization":
        image -= image.min()
        image /= np.clip(image.max(), a_min=eps, a_max=None)
    return image


def compute_new_shape(old_shape, old_spacing, new_spacing) -> np.ndarray:
    """nnU-Net's ``compute_new_shape``: ``round(old_spacing / new_spacing × old_shape)`` per axis."""
    return np.array([int(round(i / j * k)) for i, j, k in zip(old_spacing, new_spacing, old_shape)])  # noqa: RUF046 (nnU-Net's expression)


def _lowres_axis(spacing) -> np.ndarray:
    return np.where(max(spacing) / np.array(spacing) == 1)[0]


def separate_z(current_spacing, new_spacing, force: bool | None) -> tuple[bool, int | None]:
    """nnU-Net's ``determine_do_sep_z_and_axis``."""
    if force is not None:
        axis = _lowres_axis(current_spacing) if force else None
        do = bool(force)
    elif np.max(current_spacing) / np.min(current_spacing) > ANISO_THRESHOLD:
        do, axis = True, _lowres_axis(current_spacing)
    elif np.max(new_spacing) / np.min(new_spacing) > ANISO_THRESHOLD:
        do, axis = True, _lowres_axis(new_spacing)
    else:
        do, axis = False, None
    if axis is None or len(axis) != 1:
        return False, None
    return do, int(axis[0])


def _resize(image: np.ndarray, shape, order: int) -> np.ndarray:
    from skimage.transform import resize

    out: np.ndarray = resize(image, shape, order, mode="edge", anti_aliasing=False)
    return out


def _along_axis(stack: np.ndarray, new_shape: np.ndarray, order_z: int) -> np.ndarray:
    """The low-resolution axis resampled with ``map_coordinates`` (nnU-Net's copy of skimage's
    coordinate map, align_corners False)."""
    rows, cols, dim = (int(s) for s in new_shape)
    scale = [float(o) / n for o, n in zip(stack.shape, (rows, cols, dim))]
    grid = np.mgrid[:rows, :cols, :dim].astype(np.float64)
    coords = np.array([s * (g + 0.5) - 0.5 for s, g in zip(scale, grid)])
    out: np.ndarray = map_coordinates(stack, coords, order=order_z, mode="nearest")
    return out


def resample(data: np.ndarray, new_shape, current_spacing, new_spacing, kwargs: dict[str, Any]) -> np.ndarray:
    """nnU-Net's ``resample_data_or_seg_to_shape`` for images and logits (``is_seg`` False).

    ``data`` ``(C, X, Y, Z)``; the output keeps ``data``'s dtype (float16 logits stay float16,
    as in nnU-Net's export); an unchanged shape returns ``data`` itself."""
    order, order_z = int(kwargs.get("order", 3)), int(kwargs.get("order_z", 0))
    do_sep, axis = separate_z(current_spacing, new_spacing, kwargs.get("force_separate_z"))
    shape, new_shape = np.array(data[0].shape), np.array(new_shape)
    if not np.any(shape != new_shape):
        return data
    out = np.zeros((data.shape[0], *new_shape), dtype=data.dtype)
    data = data.astype(float, copy=False)
    for c in range(data.shape[0]):
        if not do_sep:
            out[c] = _resize(data[c], new_shape, order)
            continue
        assert axis is not None
        plane = np.delete(new_shape, axis)
        moved = np.moveaxis(data[c], axis, 0)
        slices = np.stack([_resize(s, plane, order) for s in moved])
        here = np.moveaxis(slices, 0, axis)
        out[c] = _along_axis(here, new_shape, order_z) if shape[axis] != new_shape[axis] else here
    return out


def preprocess(images: np.ndarray, spacing, plans: dict[str, Any], config: dict[str, Any]) -> Preprocessed:
    """``DefaultPreprocessor.run_case_npy`` without a segmentation.

    ``images`` ``(C, Z, Y, X)`` as SimpleITK gives them (any dtype; cast to float32); ``spacing``
    in mm in the same axis order. The order is nnU-Net's: transpose → crop → normalise → resample.
    """
    fwd = [int(i) for i in plans.get("transpose_forward", [0, 1, 2])]
    data = images.astype(np.float32).transpose([0, *[i + 1 for i in fwd]])
    spacing_t = [float(spacing[i]) for i in fwd]
    before = tuple(int(s) for s in data.shape[1:])
    data, seg, box = crop_to_nonzero(data)
    after = tuple(int(s) for s in data.shape[1:])
    target = [float(s) for s in config["spacing"]]
    if len(target) < len(after):  # 2d configurations keep the slice spacing
        target = [spacing_t[0], *target]
    new_shape = compute_new_shape(after, spacing_t, target)
    props = plans.get("foreground_intensity_properties_per_channel", {})
    schemes, masks = config["normalization_schemes"], config["use_mask_for_norm"]
    for c in range(data.shape[0]):
        data[c] = normalise_channel(data[c], schemes[c], bool(masks[c]), seg, props.get(str(c), {}))
    data = resample(data, new_shape, spacing_t, target, config.get("resampling_fn_data_kwargs", {}))
    return Preprocessed(np.ascontiguousarray(data, dtype=np.float32), tuple(float(s) for s in spacing), before, box, after)
