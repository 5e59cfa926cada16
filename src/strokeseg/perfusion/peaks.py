"""Sub-sample peak location by parabolic interpolation (vectorised)."""

from __future__ import annotations

import numpy as np


def parabolic_offset(y_prev: np.ndarray, y_peak: np.ndarray, y_next: np.ndarray) -> np.ndarray:
    """Offset in samples (−0.5…0.5) of the vertex of the parabola through three samples."""
    denom = y_prev - 2.0 * y_peak + y_next
    with np.errstate(divide="ignore", invalid="ignore"):
        off = np.where(denom < 0, 0.5 * (y_prev - y_next) / denom, 0.0)
    result: np.ndarray = np.clip(np.nan_to_num(off), -0.5, 0.5)
    return result


def _vertex(curves: np.ndarray, circular: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-row argmax ``idx``, the parabolic vertex's offset from it (0 at the ends of a linear row) and the
    sample maximum, for rows ``curves`` ``(V, N)``."""
    v, n = curves.shape
    idx = np.argmax(curves, axis=1)
    rows = np.arange(v)
    peak = curves[rows, idx]
    if circular:
        prev = curves[rows, (idx - 1) % n]
        nxt = curves[rows, (idx + 1) % n]
    else:
        prev = curves[rows, np.maximum(idx - 1, 0)]
        nxt = curves[rows, np.minimum(idx + 1, n - 1)]
    off = parabolic_offset(prev, peak, nxt)
    if not circular:
        off = np.where((idx == 0) | (idx == n - 1), 0.0, off)
    return idx, off, peak


def refined_argmax(curves: np.ndarray, circular: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Per-row argmax with parabolic refinement.

    Args:
        curves: ``(V, N)``.
        circular: treat the last sample as the neighbour of the first (block-circulant residues).

    Returns:
        ``(position, value)``: fractional index of the peak (may be negative or beyond
        ``N − 1`` only in the circular case) and the sample maximum.
    """
    idx, off, peak = _vertex(curves, circular)
    return idx + off, peak


def peak_position(k: np.ndarray, circular: bool) -> np.ndarray:
    """:func:`refined_argmax`'s position of residues ``k`` ``(V, N)`` float32, summed in float32."""
    idx, off, _ = _vertex(k, circular)
    out: np.ndarray = idx.astype(np.float32) + off.astype(np.float32)
    return out


def position_to_time(pos: np.ndarray, n: int, dt: float, circular: bool) -> np.ndarray:
    """Residue sample positions ``(V,)`` to times (s) ≥ 0; a circular residue that peaks in the second half of its
    ``n`` samples peaked before the AIF (it wrapped to the end)."""
    if circular:
        pos = np.where(pos > n / 2, pos - np.float32(n), pos)
    out: np.ndarray = (np.maximum(pos, np.float32(0.0)) * np.float32(dt)).astype(np.float32)
    return out


def residue_peak_time(k: np.ndarray, dt: float, circular: bool) -> np.ndarray:
    """Peak time (s) of residues ``k`` ``(V, N)`` float32: the ``peak`` Tmax."""
    return position_to_time(peak_position(k, circular), k.shape[1], dt, circular)
