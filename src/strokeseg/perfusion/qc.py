"""Quality checks of a perfusion series: what a reader wants to know before trusting its maps.

Each check returns a :class:`QcFlag` (``flagged`` True/False, the measured ``value``, the rule):

* **truncated bolus** — the brain-average concentration curve has not come back below half its
  peak by the end of the acquisition (mean of the last 3 frames > 0.5 × peak), or it peaks in the
  last 10 % of the frames. Truncation underestimates CBV and CBF (Konstas 2009); a complete
  series ends near its baseline (the phantom's, with recirculation, below 0.05 of the peak).
* **low peak enhancement** — CT: the brain-average curve peaks below 5 HU (grey matter enhances by
  15–25 HU and white matter by about half that, so the whole-brain average of a sane scan exceeds
  7 HU); MR: the brain-average signal drops by less than 10 % at its peak (grey matter drops by
  30–40 % with a standard dose).
* **too few valid voxels** — under 10 ml of brain (a single 5 mm slab holds about 50 ml) or fewer
  than 5 AIF voxels.
* **motion** — the head's centre (the centroid of the voxels above an air threshold: −300 HU on
  CT, 20 % of the frame's 99th percentile on MR) moves by more than 1 mm between consecutive frames
  or more than 2 mm from the first frame.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from strokeseg.io.geometry import Geometry

TRUNCATION_FRACTION = 0.5
LOW_ENHANCEMENT_HU = 5.0
LOW_SIGNAL_DROP = 0.10
MIN_BRAIN_ML = 10.0
MIN_AIF_VOXELS = 5
MOTION_STEP_MM = 1.0
MOTION_TOTAL_MM = 2.0


@dataclass(frozen=True)
class QcFlag:
    """One check: whether it flagged, the measured value (with its unit) and the rule."""

    flagged: bool
    value: float
    unit: str
    rule: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def truncated_bolus(brain_curve: np.ndarray) -> QcFlag:
    """``brain_curve``: ``(T,)`` brain-average concentration. Value: the end level as a fraction of the peak."""
    c = np.asarray(brain_curve, float)
    peak = float(c.max()) if c.size else 0.0
    end = float(c[-3:].mean()) / peak if peak > 0 else 1.0
    late_peak = int(np.argmax(c)) >= int(0.9 * c.size)
    rule = f"end level (mean of last 3 frames) > {TRUNCATION_FRACTION:g} × peak, or peak in the last 10 % of frames"
    return QcFlag(bool(end > TRUNCATION_FRACTION or late_peak), round(end, 4), "fraction of peak", rule)


def low_enhancement(brain_curve: np.ndarray, modality: str, echo_time: float) -> QcFlag:
    """CT: peak of the brain-average enhancement in HU; MR: peak signal drop ``1 − exp(−ΔR2*·TE)``."""
    peak = float(np.max(brain_curve)) if np.size(brain_curve) else 0.0
    if modality == "ct":
        return QcFlag(peak < LOW_ENHANCEMENT_HU, round(peak, 3), "HU", f"brain-average peak enhancement < {LOW_ENHANCEMENT_HU:g} HU")
    drop = float(1.0 - np.exp(-peak * echo_time))
    return QcFlag(
        drop < LOW_SIGNAL_DROP, round(drop, 4), "fraction of baseline signal", f"brain-average peak signal drop < {LOW_SIGNAL_DROP:.0%}"
    )


def few_valid_voxels(brain_voxels: int, aif_voxels: int, geometry: Geometry) -> QcFlag:
    """Value: the brain volume in ml (the AIF voxel count is in the rule's outcome)."""
    ml = brain_voxels * geometry.voxel_volume_ml
    rule = f"brain < {MIN_BRAIN_ML:g} ml or AIF < {MIN_AIF_VOXELS} voxels (AIF: {aif_voxels} voxels)"
    return QcFlag(bool(ml < MIN_BRAIN_ML or aif_voxels < MIN_AIF_VOXELS), round(ml, 2), "ml", rule)


def head_centres(data: np.ndarray, geometry: Geometry, modality: str, chunk: int = 10) -> np.ndarray:
    """``(T, 3)`` centroid of the head in mm (z, y, x) per frame of ``(Z, Y, X, T)`` data (NaN: no head voxel).

    In-plane every second voxel is used (the centroid of thousands of voxels does not need all). The head is
    above −300 HU (CT) or above a fifth of the frame's 99th percentile (MR). ``chunk`` frames are reduced at
    a time: contiguous runs along time, and a mask of ``chunk`` subsampled frames, not a 4D one.
    """
    sz, sy, sx = geometry.spacing_zyx
    sub = data[:, ::2, ::2, :]
    zi = np.arange(sub.shape[0]) * sz
    yi = np.arange(sub.shape[1]) * 2 * sy
    xi = np.arange(sub.shape[2]) * 2 * sx
    out = np.full((data.shape[3], 3), np.nan)
    for t0 in range(0, data.shape[3], chunk):
        block = sub[..., t0 : t0 + chunk]
        if modality == "ct":
            thr: float | np.ndarray = -300.0
        else:
            thr = 0.2 * np.percentile(block.reshape(-1, block.shape[-1]), 99, axis=0)
        m = block > thr
        yx = m.sum(axis=0)  # (Y, X, chunk)
        n = yx.sum(axis=(0, 1))
        with np.errstate(invalid="ignore", divide="ignore"):
            centre = np.stack([zi @ m.sum(axis=(1, 2)), yi @ yx.sum(axis=1), xi @ yx.sum(axis=0)], axis=1) / n[:, None]
        out[t0 : t0 + block.shape[-1]] = np.where(n[:, None] > 0, centre, np.nan)
    return out


def motion(data: np.ndarray, geometry: Geometry, modality: str) -> tuple[QcFlag, dict[str, float]]:
    """The motion flag and its numbers: largest frame-to-frame step and largest shift from the first frame (mm)."""
    c = head_centres(data, geometry, modality)
    c = c[np.isfinite(c).all(axis=1)]
    step = float(np.linalg.norm(np.diff(c, axis=0), axis=1).max()) if len(c) > 1 else 0.0
    total = float(np.linalg.norm(c - c[0], axis=1).max()) if len(c) else 0.0
    rule = f"head centre moves > {MOTION_STEP_MM:g} mm between frames or > {MOTION_TOTAL_MM:g} mm from the first frame"
    flag = QcFlag(bool(step > MOTION_STEP_MM or total > MOTION_TOTAL_MM), round(step, 3), "mm (largest frame-to-frame step)", rule)
    return flag, {"max_step_mm": round(step, 3), "max_shift_mm": round(total, 3)}


def series_qc(
    data: np.ndarray, brain_curve: np.ndarray, brain_voxels: int, aif_voxels: int, geometry: Geometry, modality: str, echo_time: float
) -> dict[str, Any]:
    """Every check as a dict (``{name: flag dict}``, plus ``motion_mm`` and ``flagged``, the names that flagged)."""
    move, numbers = motion(data, geometry, modality)
    flags = {
        "truncated_bolus": truncated_bolus(brain_curve),
        "low_enhancement": low_enhancement(brain_curve, modality, echo_time),
        "few_valid_voxels": few_valid_voxels(brain_voxels, aif_voxels, geometry),
        "motion": move,
    }
    out: dict[str, Any] = {k: v.to_dict() for k, v in flags.items()}
    out["motion_mm"] = numbers
    out["flagged"] = [k for k, v in flags.items() if v.flagged]
    out["brain_curve"] = [round(float(v), 4) for v in brain_curve]
    return out


_MESSAGES = {
    "truncated_bolus": "truncated bolus: the brain-average curve ends at {value:.0%} of its peak ({rule}); CBV and CBF are underestimated",
    "low_enhancement": "low peak enhancement: {value:g} {unit} ({rule}); check the contrast injection and the modality",
    "few_valid_voxels": "too few valid voxels: {value:g} ml of brain ({rule})",
    "motion": "head motion: the head centre moves {value:g} mm between frames ({rule}); the maps may be corrupted",
}


def qc_warnings(qc: dict[str, Any]) -> list[Any]:
    """One data warning (code ``qc-<name>``) per flagged check of :func:`series_qc`."""
    from strokeseg.diagnostics import warn

    return [warn("qc-" + name.replace("_", "-"), _MESSAGES[name].format(**qc[name])) for name in qc["flagged"]]


__all__ = ["QcFlag", "few_valid_voxels", "head_centres", "low_enhancement", "motion", "qc_warnings", "series_qc", "truncated_bolus"]
