"""Turning volumes into the pictures a reader expects: radiological slices, colour scales, montages, contours.

Every picture uses one convention: axial slices from inferior to superior, anterior at the top,
the patient's right on the viewer's left (radiological), whatever the voxel order of the file
(the grid's direction cosines decide, through nibabel's orientation codes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from strokeseg.io.geometry import Geometry

MAX_TILE_PX = 160  # a slice is shown at most this wide/high (integer subsampling)
CORE_RGB = (255, 64, 200)  # pink
HYPO_RGB = (0, 230, 64)  # green
OVERLAP_RGB = {"TP": (255, 214, 0), "FP": (255, 40, 40), "FN": (40, 140, 255)}


@dataclass(frozen=True)
class Scale:
    """A colour scale: matplotlib colour map, value range and the unit shown on the colour bar."""

    cmap: str
    vmin: float
    vmax: float
    unit: str
    from_data: bool = False  # the range came from the data's percentiles (no conventional one fitted)


#: conventional perfusion display ranges (rainbow scales as on scanner consoles and RAPID)
CONVENTIONAL = {
    "CBF": Scale("jet", 0.0, 80.0, "ml/100 g/min"),
    "CBV": Scale("jet", 0.0, 6.0, "ml/100 g"),
    "MTT": Scale("jet", 0.0, 15.0, "s"),
    "Tmax": Scale("jet", 0.0, 12.0, "s"),
    "TTP": Scale("jet", 0.0, 40.0, "s"),
    "CT": Scale("gray", 0.0, 80.0, "HU (brain window W80/L40)"),
    "probability": Scale("magma", 0.0, 1.0, "lesion probability"),
    "variance": Scale("viridis", 0.0, 0.25, "variance of p"),
    "entropy": Scale("viridis", 0.0, 1.0, "normalised entropy"),
}


#: where a healthy brain's median lies on each conventional rainbow scale, as a fraction of its top
#: (grey and white matter mixed: CBF ≈ 40 of 80 ml/100 g/min, CBV ≈ 3 of 6 ml/100 g, MTT ≈ 5 of 15 s;
#: Wintermark et al. 2005); a vendor-scaled map is drawn with its brain median at the same place
MEDIAN_AT = {"CBF": 0.5, "CBV": 0.5, "MTT": 1 / 3}


def radiological(array: np.ndarray, geometry: Geometry) -> np.ndarray:
    """``(Z, Y, X)`` array → ``(S, rows, cols)``: axial slices inferior→superior, anterior up, patient right on the left."""
    import nibabel as nib

    xyz = np.asarray(array).transpose(2, 1, 0)
    ornt = nib.orientations.io_orientation(geometry.affine_ras())
    ras = nib.orientations.apply_orientation(xyz, nib.orientations.ornt_transform(ornt, nib.orientations.axcodes2ornt("RAS")))
    # ras[x(L→R), y(P→A), z(I→S)] → slices z, rows A→P, cols R→L
    return np.ascontiguousarray(ras.transpose(2, 1, 0)[:, ::-1, ::-1])


def display_spacing(geometry: Geometry) -> tuple[float, float]:
    """In-plane (row, column) spacing in mm of the radiological slices (for the aspect ratio)."""
    import nibabel as nib

    ornt = nib.orientations.io_orientation(geometry.affine_ras())
    sp = np.asarray(geometry.spacing, float)  # x, y, z spacing of the file's axes
    by_ras = {int(ax): float(sp[i]) for i, (ax, _) in enumerate(ornt)}
    return by_ras.get(1, 1.0), by_ras.get(0, 1.0)


def display_shape(geometry: Geometry) -> tuple[int, int]:
    """In-plane (rows, columns) of the radiological slices of a grid, without reorienting any voxels."""
    import nibabel as nib

    ornt = nib.orientations.io_orientation(geometry.affine_ras())
    z, y, x = geometry.shape
    by_ras = {int(ax): n for (ax, _), n in zip(ornt, (x, y, z))}
    return by_ras[1], by_ras[0]


def stride_for(shape_yx: tuple[int, int]) -> int:
    """The integer subsampling that keeps a slice within :data:`MAX_TILE_PX`."""
    return max(1, math.ceil(max(shape_yx) / MAX_TILE_PX))


def fit_scale(name: str, values: np.ndarray, valid: np.ndarray | None = None, own: bool = False) -> Scale:
    """The conventional scale of ``name`` when the data lie on it, else a grey or rainbow 1st–99th percentile range.

    ``own``: the map was computed by strokeseg, so it is in the conventional unit by construction: it keeps that
    scale and unit whatever its values (a low CBF there is an accuracy problem, which the read-out warns about,
    never a vendor scale).

    A perfusion map whose brain median is off the physiological range of its unit
    (:data:`~strokeseg.clinical.units.PLAUSIBLE_BRAIN_MEDIAN`), or whose 99th percentile is under 0.2×
    or over 5× the conventional top, is on another scale (vendor units): its range then comes from
    the data (CBF, CBV, MTT: 0 to the brain median / :data:`MEDIAN_AT`, so that healthy tissue has its
    usual colour; other maps: 1st–99th percentile) and its colour bar says "vendor units", never the
    conventional unit.
    """
    from strokeseg.clinical.units import PLAUSIBLE_BRAIN_MEDIAN, adc_unit

    sel = values[valid] if valid is not None and valid.any() else values[np.isfinite(values)]
    sel = sel[np.isfinite(sel)]
    lo, med, hi = np.percentile(sel, [1, 50, 99]) if sel.size else (0.0, 0.5, 1.0)
    conv = CONVENTIONAL.get(name)
    plo, phi = PLAUSIBLE_BRAIN_MEDIAN.get(name, (-np.inf, np.inf))
    if conv is not None and (own or conv.cmap != "jet" or (0.2 * conv.vmax <= hi <= 5 * conv.vmax and plo <= med <= phi)):
        return conv
    cmap = conv.cmap if conv is not None else "gray"
    if conv is not None and conv.cmap == "jet" and name in MEDIAN_AT and med > 0:
        # a vendor scale: the brain median drawn where a healthy brain's median lies on the conventional scale
        lo, hi = min(float(lo), 0.0), float(med) / MEDIAN_AT[name]
    unit = (
        "signal (a.u.)" if conv is None else conv.unit if conv.cmap != "jet" else f"vendor units, brain median {med:.3g}; not {conv.unit}"
    )
    if name == "ADC":  # its unit from the median of tissue (ADC > 0: background and air are 0)
        found = adc_unit(float(np.median(sel[sel > 0]))) if (sel > 0).any() else None
        unit = found[0].replace("1e-6 ", "10⁻⁶ ").replace("1e-3 ", "10⁻³ ").replace("mm2", "mm²") if found else "file units"
    return Scale(cmap, float(lo), float(hi if hi > lo else lo + 1.0), unit, from_data=True)


def colourise(slices: np.ndarray, scale: Scale, valid: np.ndarray | None = None) -> np.ndarray:
    """``(S, H, W)`` values → ``(S, H, W, 3)`` uint8 RGB on ``scale``; voxels outside ``valid`` are black."""
    import matplotlib

    lut = (matplotlib.colormaps[scale.cmap](np.linspace(0, 1, 256))[:, :3] * 255).astype(np.uint8)
    span = scale.vmax - scale.vmin or 1.0
    idx = np.clip((np.nan_to_num(slices, nan=scale.vmin) - scale.vmin) / span * 255, 0, 255).astype(np.uint8)
    rgb: np.ndarray = lut[idx]
    if valid is not None:
        rgb[~valid] = 0
    return rgb


def contour(mask: np.ndarray) -> np.ndarray:
    """The in-plane outline of a ``(S, H, W)`` mask (pixels of the mask with a 4-neighbour outside it)."""
    m = np.asarray(mask, bool)
    st = np.zeros((3, 3, 3), bool)
    st[1] = ndimage.generate_binary_structure(2, 1)
    edge: np.ndarray = m & ~ndimage.binary_erosion(m, structure=st, border_value=0)
    return edge


def draw(rgb: np.ndarray, mask: np.ndarray, colour: tuple[int, int, int]) -> np.ndarray:
    """Paint ``mask`` in ``colour`` onto ``rgb`` in place (and return it)."""
    rgb[np.asarray(mask, bool)] = colour
    return rgb


GAP = 2  # black pixels between the slices of a montage


def columns_for(s: int, h: int, w: int) -> int:
    """How many slices of ``h`` × ``w`` a montage of ``s`` slices puts in a row (a landscape grid)."""
    return max(1, min(s, math.ceil(math.sqrt(s * h / max(w, 1) * 1.6))))


def tile(rgb: np.ndarray, columns: int | None = None, gap: int = GAP) -> np.ndarray:
    """``(S, H, W, 3)`` slices → one ``(rows·H, cols·W, 3)`` montage (black gaps), slices left to right, top to bottom."""
    s, h, w, _ = rgb.shape
    cols = columns or columns_for(s, h, w)
    rows = math.ceil(s / cols)
    out = np.zeros((rows * (h + gap) - gap, cols * (w + gap) - gap, 3), np.uint8)
    for i in range(s):  # a few dozen slices: one copy each
        r, c = divmod(i, cols)
        out[r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w] = rgb[i]
    return out


def overlap_rgb(base: np.ndarray, pred: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """``(S, H, W, 3)``: a grey ``base`` with true positives yellow, false positives red and false negatives blue."""
    out = base.copy()
    draw(out, pred & truth, OVERLAP_RGB["TP"])
    draw(out, pred & ~truth, OVERLAP_RGB["FP"])
    draw(out, ~pred & truth, OVERLAP_RGB["FN"])
    return out


__all__ = [
    "CONVENTIONAL",
    "CORE_RGB",
    "GAP",
    "HYPO_RGB",
    "OVERLAP_RGB",
    "Scale",
    "colourise",
    "columns_for",
    "contour",
    "display_shape",
    "display_spacing",
    "draw",
    "fit_scale",
    "overlap_rgb",
    "radiological",
    "stride_for",
    "tile",
]
