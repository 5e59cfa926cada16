"""Brain masks from the pre-contrast baseline of a perfusion series.

CT: bone (> 150 HU, closed by two 3×3 in-plane closings) divides every slice into regions; the
intracranial ones are those with (almost) no air (< −200 HU) in them, whereas the scalp always
shares its region with the air around the head. This also holds for a skull ring cut by the
field of view, and for the vertex slices, where a slab grazes the skull cap. The brain is the
soft tissue (−15…100 HU) of the intracranial regions, eroded by one voxel to drop the inner
table's partial volume.
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
    result: np.ndarray = lab == int(np.argmax(sizes))
    return result


def _fill_slices(mask: np.ndarray) -> np.ndarray:
    """Fill holes slice by slice."""
    return np.stack([ndimage.binary_fill_holes(s) for s in mask])


def _airless_regions(ring: np.ndarray, air: np.ndarray, max_air_fraction: float = 0.05) -> np.ndarray:
    """Per slice, the connected regions of ``~ring`` of which at most ``max_air_fraction`` is air."""
    in_plane = np.zeros((3, 3, 3), bool)
    in_plane[1] = ndimage.generate_binary_structure(2, 1)  # regions never connect across slices
    lab, n = ndimage.label(~ring, structure=in_plane)
    size = np.bincount(lab.ravel(), minlength=n + 1)
    n_air = np.bincount(lab[air], minlength=n + 1)
    keep = n_air <= max_air_fraction * size
    keep[0] = False
    result: np.ndarray = keep[lab]
    return result


def ct_brain_mask(baseline_hu: np.ndarray) -> np.ndarray:
    """``(Z, Y, X)`` brain mask of a CT baseline image in HU."""
    soft = (baseline_hu > -15) & (baseline_hu < 100)
    bone = baseline_hu > 150
    ring = bone | ndimage.binary_closing(bone, structure=np.ones((1, 3, 3)), iterations=2)
    inside = _airless_regions(ring, baseline_hu < -200)
    if inside.sum() > 0.2 * soft.sum():
        brain = soft & ndimage.binary_erosion(inside, structure=np.ones((1, 3, 3)))
    else:  # skull-stripped or no closed skull: soft tissue only
        brain = soft
    brain = ndimage.binary_opening(brain, structure=np.ones((1, 3, 3)))
    brain = _largest_component(brain)
    return _fill_slices(brain)


def _otsu(values: np.ndarray, bins: int = 256) -> float:
    """Otsu's threshold of ``values``; their value itself when they are all equal."""
    if values.size == 0 or float(values.max()) <= float(values.min()):
        return float(values.min()) if values.size else 0.0
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
    result: np.ndarray = ndimage.binary_fill_holes(mask)
    return result


#: maps whose values must be > 0 where tissue is valid, and maps that must be ≥ 0
_POSITIVE_MAPS = ("CBF",)
_NONNEGATIVE_MAPS = ("CBV", "MTT", "Tmax", "TTP")


def background_value(arr: np.ndarray, min_fraction: float = 0.02) -> float | None:
    """A vendor's background sentinel: the map's most frequent value when it fills at least
    ``min_fraction`` of the field of view and is its minimum (CBF 1e-6, Tmax −30, CBV 0 ...)."""
    finite = arr[np.isfinite(arr)]
    if finite.size == 0:
        return None
    lo = float(finite.min())
    n_lo = int(np.count_nonzero(finite == lo))
    return lo if n_lo >= min_fraction * finite.size else None


def valid_map_mask(maps: dict[str, np.ndarray]) -> tuple[np.ndarray, dict[str, int]]:
    """``(Z, Y, X)`` mask of the voxels where every map holds a physiological value.

    A voxel is invalid where any map is non-finite or holds its background sentinel
    (:func:`background_value`; a background of 0 counts only for CBF, since a CBV, MTT or Tmax
    of 0 is a real value where no bolus arrived), where CBF is ≤ 0, or where CBV, MTT, Tmax or
    TTP is < 0.
    Returns the mask and, per map, how many voxels it made invalid. Works for any vendor's
    maps: the field of view outside the head is never counted as brain.
    """
    shape = next(iter(maps.values())).shape
    valid = np.ones(shape, bool)
    dropped: dict[str, int] = {}
    for name, arr in maps.items():
        ok = np.isfinite(arr)
        sentinel = background_value(arr)
        if sentinel is not None and not (sentinel == 0.0 and name in _NONNEGATIVE_MAPS):  # a Tmax, CBV or MTT of 0 is real
            ok &= arr != sentinel
        with np.errstate(invalid="ignore"):
            if name in _POSITIVE_MAPS:
                ok &= arr > 0
            elif name in _NONNEGATIVE_MAPS:
                ok &= arr >= 0
        dropped[name] = int(np.count_nonzero(valid & ~ok))
        valid &= ok
    return valid, dropped


def ellipsoid(radius_mm: float, spacing_xyz: tuple[float, float, float]) -> np.ndarray:
    """A ``(Z, Y, X)`` ellipsoidal structuring element of radius ``radius_mm`` on a grid of ``spacing_xyz``."""
    r = [max(0, int(radius_mm / s + 1e-3)) for s in spacing_xyz[::-1]]
    z, y, x = np.mgrid[-r[0] : r[0] + 1, -r[1] : r[1] + 1, -r[2] : r[2] + 1]
    sz, sy, sx = spacing_xyz[::-1]
    result: np.ndarray = (z * sz) ** 2 + (y * sy) ** 2 + (x * sx) ** 2 <= radius_mm**2 + 1e-6
    return result


def diffusion_brain_mask(
    dwi: np.ndarray, adc: np.ndarray, spacing_xyz: tuple[float, float, float], neck_mm: float = 5.0, stripped_fraction: float = 0.25
) -> np.ndarray:
    """``(Z, Y, X)`` brain mask of a DWI (b ≈ 1000) with its ADC map, skull-stripped or not.

    A DWI that is exactly 0 on at least ``stripped_fraction`` of its field of view is skull-stripped
    (the ISLES convention; a scanner leaves noise in the air): its brain is the largest component of
    the voxels with a positive DWI and ADC, holes filled.
    Otherwise, on a b = 1000 image brain tissue is the bright class, air and bone are noise, CSF is
    dark and the scalp is dim (fat suppressed): the candidates are the voxels above Otsu's threshold of
    the positive log-intensities. Their holes are filled (ventricles, enclosed sulci) and the result is
    eroded by ``neck_mm``, which cuts the thin bridges from scalp to brain; the largest component is the
    brain's seed. The brain is then the candidates within ``2 × neck_mm`` (Euclidean) of the seed that are
    connected to it, holes filled (the ventricles). Filling before the erosion keeps the seed at
    ``neck_mm`` under the brain's surface rather than under each sulcus, so the growth reaches every gyral
    crown; growing through the candidates themselves, not an opened copy, keeps the thin cortical ribbon
    (the earlier opening and 6-connected growth lost a quarter to two fifths of the phantom's grey matter). Only the ADC's
    sign is used, so its unit does not matter.
    """
    finite = np.isfinite(dwi) & np.isfinite(adc)
    pos = finite & (dwi > 0) & (adc > 0)
    if not pos.any():
        return np.zeros(dwi.shape, bool)
    if np.count_nonzero(dwi == 0) >= stripped_fraction * dwi.size:
        result: np.ndarray = _fill_slices(ndimage.binary_fill_holes(_largest_component(pos)))
        return result
    logv = np.log(dwi[pos].astype(np.float64))
    cand = pos & (np.log(np.where(pos, dwi, 1.0)) > _otsu(logv))
    seed = _largest_component(ndimage.binary_erosion(ndimage.binary_fill_holes(cand), structure=ellipsoid(neck_mm, spacing_xyz)))
    if not seed.any():  # a tiny image or slab: keep the largest candidate region as it is
        seed = _largest_component(cand)
    near = ndimage.distance_transform_edt(~seed, sampling=spacing_xyz[::-1]) <= 2 * neck_mm
    grown, _ = ndimage.label(cand & near)
    keep = np.unique(grown[seed & cand])
    brain = np.isin(grown, keep[keep > 0])
    return _fill_slices(ndimage.binary_fill_holes(brain))
