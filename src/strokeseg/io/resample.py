"""Resampling onto a reference grid with SimpleITK (linear for images, nearest for labels)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import numpy as np

from strokeseg.errors import InputError
from strokeseg.io.geometry import Geometry
from strokeseg.io.volume import Volume


class Interpolation(StrEnum):
    """How an image is resampled: linear for intensities, nearest for labels and masks."""

    LINEAR = "linear"
    NEAREST = "nearest"


def _overlap_fraction(moving: Geometry, reference: Geometry) -> float:
    """Fraction of the reference's field of view (voxel edges, so a single slice has its thickness)
    that the moving grid's field of view covers."""
    import itertools

    n = np.asarray(moving.shape, dtype=float)
    corners = np.array([[a, b, c] for a, b, c in itertools.product(*[(-0.5, k - 0.5) for k in n])])
    idx = reference.world_to_index(moving.index_to_world(corners))  # continuous (z, y, x) reference indices
    ref_n = np.asarray(reference.shape, dtype=float)
    lo = np.maximum(idx.min(axis=0), -0.5)
    hi = np.minimum(idx.max(axis=0), ref_n - 0.5)
    return float(np.prod(np.clip(hi - lo, 0, None) / ref_n))


#: the least fraction of the reference grid's field of view an image must cover to be resampled onto it:
#: an image covering less would give most of the brain the fill value (0) instead of data
MIN_OVERLAP = 0.5


def resample_to(
    volume: Volume,
    reference: Geometry,
    interpolation: Interpolation | str,
    default: float = 0.0,
    reference_source: str | Path | None = None,
    min_overlap: float = MIN_OVERLAP,
) -> Volume:
    """Resample ``volume`` onto ``reference`` (world coordinates, identity transform).

    Raises :class:`InputError`, naming both files, when the image covers less than ``min_overlap``
    of the reference's field of view (bounding boxes), so nothing is ever "resampled" to zeros.
    """
    import SimpleITK as sitk

    from strokeseg.io.itk import array_to_sitk

    if volume.geometry.same_grid(reference):
        return volume
    frac = _overlap_fraction(volume.geometry, reference)
    if frac < min_overlap:
        against = f" ({reference_source})" if reference_source else ""
        what = "does not overlap" if frac <= 0.0 else f"covers only {frac:.0%} of"
        raise InputError(
            f"grid {volume.geometry.describe()} {what} the reference grid{against} {reference.describe()}; "
            f"it cannot be resampled onto it (at least {min_overlap:.0%} is needed): the images are not of the same "
            "scan or their headers disagree",
            volume.path,
        )
    interp = Interpolation(interpolation)
    moving = array_to_sitk(volume.array.astype(np.float32), volume.geometry)
    ref = sitk.Image(reference.shape[2], reference.shape[1], reference.shape[0], sitk.sitkUInt8)
    reference.apply_to_sitk(ref)
    method = sitk.sitkLinear if interp is Interpolation.LINEAR else sitk.sitkNearestNeighbor
    out = sitk.Resample(moving, ref, sitk.Transform(), method, float(default), sitk.sitkFloat32)
    arr = sitk.GetArrayFromImage(out)
    if interp is Interpolation.NEAREST:
        arr = np.rint(arr)
    note = f"{volume.path}: resampled ({interp}) from {volume.geometry.describe()} onto {reference.describe()}"
    return Volume(
        arr.astype(volume.array.dtype if interp is Interpolation.NEAREST else np.float32), reference, volume.path, [*volume.notes, note]
    )
