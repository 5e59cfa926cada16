"""Indicator-dilution signal model of the phantom, computed on a fine time grid.

Tissue concentration: ``C_t(t) = (ρ/kH) · CBF · (C_a ⊗ h_β ⊗ R)(t − d)`` with

* ``C_a`` — gamma-variate AIF ``A·(t−t0)^α·exp(−(t−t0)/β)`` plus an optional recirculation pass
  (a delayed, dispersed, attenuated copy);
* ``h_β`` — exponential dispersion kernel ``exp(−t/β)/β`` (β = 0: none);
* ``R`` — residue function with mean transit time MTT: exponential, box (plug flow) or the
  survival function of a gamma transit-time distribution (shape λ);
* ``d`` — arrival delay.

All convolutions are done at ``FINE_DT`` = 0.1 s by FFT and the curves are then sampled at the
acquisition times, so the sampled curves are point samples of the continuous model (not the
left-Riemann sums some simulators use). Lookup tables of unit-CBF curves over an MTT ×
dispersion grid make per-voxel synthesis a single gather.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from strokeseg.kinetics.residues import FINE_DT, Residue, dispersion_kernel, fft_convolve, residue_function

__all__ = [
    "FINE_DT",
    "AifParams",
    "CurveTable",
    "Residue",
    "aif_curve",
    "build_table",
    "dispersion_kernel",
    "fft_convolve",
    "gamma_variate",
    "residue_function",
]


@dataclass(frozen=True)
class AifParams:
    """Gamma-variate AIF ``amplitude·((t−t0)/(αβ))^α·exp(α − (t−t0)/β)`` (peak = amplitude at t0 + αβ)."""

    t0: float = 20.0
    alpha: float = 3.0
    beta: float = 1.5
    amplitude: float = 1.0
    recirculation: float = 0.0  # fraction of the first-pass area
    recirc_delay: float = 8.0  # s after the first-pass peak
    recirc_dispersion: float = 6.0  # s


def gamma_variate(t: np.ndarray, t0: float, alpha: float, beta: float) -> np.ndarray:
    """Unit-peak gamma variate."""
    x = np.clip((np.asarray(t, float) - t0) / (alpha * beta), 0.0, None)
    with np.errstate(divide="ignore"):
        out = np.where(x > 0, np.exp(alpha * np.log(np.where(x > 0, x, 1.0)) + alpha * (1 - x)), 0.0)
    return out


def aif_curve(t: np.ndarray, p: AifParams) -> np.ndarray:
    """The AIF (with recirculation) at times ``t`` (computed on the fine grid, then sampled)."""
    tf = np.arange(0.0, float(np.max(t)) + 60.0, FINE_DT)
    first = p.amplitude * gamma_variate(tf, p.t0, p.alpha, p.beta)
    total = first
    if p.recirculation > 0:
        shift = p.t0 + p.alpha * p.beta + p.recirc_delay - p.t0
        delayed = np.interp(tf - shift, tf, first, left=0.0)
        kern = dispersion_kernel(tf, p.recirc_dispersion)
        second = fft_convolve(delayed, kern) * FINE_DT
        total = first + p.recirculation * second * (first.sum() / max(second.sum(), 1e-12))
    result: np.ndarray = np.interp(t, tf, total)
    return result


@dataclass
class CurveTable:
    """Unit-CBF tissue curves ``(C_a ⊗ h_β ⊗ R)(t)`` on the fine grid, over MTT × dispersion.

    Attributes:
        mtt: ``(M,)`` MTT grid (s), log-spaced.
        dispersion: ``(B,)`` dispersion β grid (s).
        curves: ``(M, B, F)`` curves at ``FINE_DT`` spacing from t = 0 (units of the AIF × s).
        residue_peak: ``(M, B)`` time of the peak of ``h_β ⊗ R`` (s): Tmax of a delay-free voxel.
        curve_peak_time: ``(M, B)`` time of the curve's peak (s) for zero delay.
    """

    mtt: np.ndarray
    dispersion: np.ndarray
    curves: np.ndarray
    residue_peak: np.ndarray
    curve_peak_time: np.ndarray

    def mtt_index(self, mtt: np.ndarray) -> np.ndarray:
        """The table row nearest each MTT (s)."""
        lm = np.log(self.mtt)
        pos = (np.log(np.clip(mtt, self.mtt[0], self.mtt[-1])) - lm[0]) / (lm[1] - lm[0])
        result: np.ndarray = np.rint(pos).astype(np.int64)
        return result

    def dispersion_index(self, beta: np.ndarray) -> np.ndarray:
        """The table column nearest each dispersion β (s)."""
        step = self.dispersion[1] - self.dispersion[0] if len(self.dispersion) > 1 else 1.0
        result: np.ndarray = np.clip(np.rint((np.asarray(beta) - self.dispersion[0]) / step), 0, len(self.dispersion) - 1).astype(np.int64)
        return result

    def sample(self, mi: np.ndarray, bi: np.ndarray, delay: np.ndarray, times: np.ndarray) -> np.ndarray:
        """Curves ``(V, T)`` for table indices ``mi``, ``bi`` and delays (s) at ``times`` (s).

        The delay is rounded to the fine grid (0.1 s).
        """
        f = self.curves.shape[-1]
        idx = np.rint((np.asarray(times)[None, :] - np.asarray(delay)[:, None]) / FINE_DT).astype(np.int64)
        valid = idx >= 0
        idx = np.clip(idx, 0, f - 1)
        flat = self.curves.reshape(-1, f)
        rows = (mi * len(self.dispersion) + bi)[:, None]
        return np.where(valid, flat[rows, idx], 0.0).astype(np.float32)


def build_table(
    aif: AifParams,
    duration: float,
    kind: Residue | str,
    shape: float = 3.0,
    mtt_range: tuple[float, float] = (0.8, 40.0),
    n_mtt: int = 160,
    dispersion: np.ndarray | None = None,
) -> CurveTable:
    """Tabulate unit-CBF tissue curves for one AIF, residue kind and the MTT/dispersion grids."""
    disp = np.arange(0.0, 4.01, 0.25) if dispersion is None else np.asarray(dispersion, float)
    mtt = np.exp(np.linspace(np.log(mtt_range[0]), np.log(mtt_range[1]), n_mtt))
    tf = np.arange(0.0, duration + 15.0, FINE_DT)
    ca = aif_curve(tf, aif)
    # Residues at interval midpoints, scaled so that their full area is exactly MTT (the
    # normalising sum runs over a grid long enough for the slowest tail).
    t_long = np.arange(0.0, max(10.0 * mtt_range[1], tf[-1]) + FINE_DT, FINE_DT)
    full = residue_function(t_long + 0.5 * FINE_DT, mtt, kind, shape)
    res = full[:, : tf.size] * (mtt / (full.sum(axis=1) * FINE_DT))[:, None]  # (M, F)
    kern = np.stack([dispersion_kernel(tf, b) for b in disp])  # (B, F)
    hres = fft_convolve(res[:, None, :], kern[None, :, :]) * FINE_DT  # (M, B, F): h ⊗ R
    curves = fft_convolve(np.broadcast_to(ca, hres.shape), hres) * FINE_DT
    residue_peak = np.argmax(hres, axis=-1) * FINE_DT
    curve_peak_time = np.argmax(curves, axis=-1) * FINE_DT
    return CurveTable(mtt, disp, curves.astype(np.float32), residue_peak, curve_peak_time)
