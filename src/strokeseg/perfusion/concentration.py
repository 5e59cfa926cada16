"""Signal → contrast concentration, bolus-arrival detection and temporal smoothing.

Curves are ``(V, T)`` arrays (voxels × frames); times in seconds.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from strokeseg.errors import InputError


def detect_bolus_arrival(mean_curve: np.ndarray, skip: int = 0, fraction: float = 0.1, min_baseline: int = 2) -> int:
    """Index of the first frame of the bolus in a (brain-average) signal curve.

    The initial level is the median of the first three frames (after ``skip``); the bolus
    direction is the sign of the largest deviation (CT rises, DSC-MR drops). Walking back
    from the peak, arrival is the first frame of the run that stays above ``fraction`` of
    the peak deviation. The brain average is smooth enough for this to be robust.
    """
    c = np.asarray(mean_curve, dtype=float)
    b0 = float(np.median(c[skip : skip + 3]))
    dev = c - b0
    sign = 1.0 if dev.max() >= -dev.min() else -1.0
    dev = sign * dev
    peak = int(np.argmax(dev))
    below = np.flatnonzero(dev[: peak + 1] <= fraction * dev[peak])
    first = int(below[-1]) + 1 if below.size else peak
    return max(first, skip + min_baseline)


def baseline_slice(n_frames: int, arrival: int, skip: int = 0, baseline_frames: int | None = None) -> slice:
    """The frames used for the pre-contrast baseline: those before the arrival, one frame margin."""
    if baseline_frames is not None:
        stop = skip + baseline_frames
    else:
        stop = max(arrival - 1, skip + 2)
    if stop - skip < 2:
        raise InputError(f"only {stop - skip} baseline frame(s) before the bolus; at least 2 are needed")
    return slice(skip, min(stop, n_frames))


def ct_concentration(signal: np.ndarray, base: slice, s0: np.ndarray | None = None) -> np.ndarray:
    """CT: enhancement in HU above the pre-contrast baseline (proportional to iodine concentration); ``s0``
    ``(V,)``: the baseline mean, when the caller has it already."""
    s0 = signal[:, base].mean(axis=1) if s0 is None else s0
    result: np.ndarray = (signal - s0[:, None]).astype(np.float32, copy=False)
    return result


def mr_concentration(signal: np.ndarray, base: slice, echo_time: float) -> np.ndarray:
    """DSC-MRI: ΔR2*(t) = −ln(S(t)/S0)/TE in s⁻¹ (proportional to Gd concentration)."""
    s0 = signal[:, base].mean(axis=1, keepdims=True)
    s0 = np.maximum(s0, 1e-6)
    ratio = signal / s0
    np.clip(ratio, 1e-3, None, out=ratio)  # in place: one (V, T) array, not four
    np.log(ratio, out=ratio)
    np.negative(ratio, out=ratio)
    result: np.ndarray = np.divide(ratio, echo_time, out=ratio).astype(np.float32, copy=False)
    return result


def temporal_smooth(curves: np.ndarray, times: np.ndarray, sigma_s: float) -> np.ndarray:
    """Gaussian smoothing along time (sigma in seconds); a no-op for sigma 0."""
    if sigma_s <= 0:
        return curves
    dt = float(np.median(np.diff(times)))
    result: np.ndarray = ndimage.gaussian_filter1d(curves, sigma_s / dt, axis=-1, mode="nearest").astype(np.float32, copy=False)
    return result
