"""Correction of the regularised deconvolution's peak bias (the absolute CBF).

Every regularised deconvolution is a low-pass filter of the residue: the estimate is
``k̂ = V·diag(f)·Uᵀ·c``, with filter factors ``f = s/(s² + λ²)`` (Tikhonov) or ``1/s`` on the kept
singular values (truncated SVD). Applied to ``F·R(t)``, the filter lowers and widens the residue's
peak, so ``max k̂ < F`` and CBF reads low, the more so the sharper the residue, the shorter the MTT
and the stronger the regularisation (Østergaard 1996; Wu 2003; Kudo 2010 found every SVD/Tikhonov
package under-reading high flows). The loss is a property of the filter and the AIF, not of the voxel,
so it can be tabulated once per AIF:

* for each filter the method can choose (40 λ values, or the SVD thresholds) and for reference residues
  ``R`` of mean transit time 0.5–40 s, each at four sub-sample phases, the noise-free tissue curve
  ``c = A·R`` is filtered exactly as a voxel is, and the ratio ``max k̂ / max R`` and the apparent MTT
  ``∫k̂ / max k̂`` are recorded;
* a voxel's peak is divided by the ratio read at its own filter and its own apparent MTT (linear
  interpolation; both are observed, so no MTT has to be assumed).

The reference residue shape matters: a sharp exponential loses more peak than a gamma survival
function or a box. The grid phantom's three shapes decide which reference corrects all three
best (``benchmarks/bench_perfusion_calibration.py``; ``PerfusionConfig.peak_correction``).
The correction never raises a peak more than ``MAX_GAIN`` times (chosen for repeatability under noise,
see there).
"""

from __future__ import annotations

import numpy as np

from strokeseg.kinetics.residues import Residue, residue_function
from strokeseg.perfusion.peaks import residue_peak_time

#: the reference residue shape of the table (see the module docstring)
REFERENCE_RESIDUE = Residue.BOX
#: the largest factor by which a peak is raised. In low-signal voxels the chosen filter and the apparent MTT
#: are noisy, and a large gain turns that noise into CBF noise: over all tiles of the grid phantom (1 s, 3 HU)
#: the largest change of a tile's CBF between two noise realisations stayed at its uncorrected level (37 %)
#: up to a cap of 1.3 and grew beyond it (56 % at 1.5, 154 % at 2.5; benchmarks/bench_peak_gain_cap.py,
#: docs/results/peak_gain_cap.md). On the grid benchmark's own noise floor (its 6 s-delay tiles) the cap
#: of 1.3 still costs some repeatability (docs/results/perfusion_grid.md).
MAX_GAIN = 1.3
#: reference mean transit times of the table, s
TABLE_MTT = np.exp(np.linspace(np.log(0.5), np.log(40.0), 64))
#: sub-sample phases of the reference residue's onset, in frames
PHASES = (0.0, 0.25, 0.5, 0.75)


def reference_residues(n: int, dt: float, kind: Residue | str, shape: float = 3.0) -> np.ndarray:
    """Reference residues ``(M·P, n)``: ``R(t − φΔt)`` for each table MTT and phase, on the ``n`` frames
    of the (padded) deconvolution grid, R = 0 before the onset; the continuous peak is 1."""
    t = np.arange(n) * dt
    rows = []
    for phase in PHASES:
        tt = t - phase * dt
        r = residue_function(np.maximum(tt, 0.0), TABLE_MTT, kind, shape)
        rows.append(np.where(tt[None, :] >= 0, r, 0.0))
    return np.concatenate(rows, axis=0)  # phase-major: row p·M + m


#: the reference residue of the onset table (:func:`onset_table`): the gamma survival function (shape 3) has a
#: sharp onset, like every undispersed residue, and a decay between the exponential's and the box's; on the
#: undispersed grid phantom it left the smallest error over the three shapes (exploratory, 2026-12-07; the
#: exponential reference left +0.2 to +0.6 s, the box −0.7 to −1.1 s; the measured rows are in
#: docs/results/perfusion_calibration.md)
ONSET_REFERENCE = Residue.GAMMA


def _filtered_references(
    mat: np.ndarray, ut: np.ndarray, vt: np.ndarray, filters: np.ndarray, dt: float, kind: Residue | str, t: int
) -> np.ndarray:
    """The reference residues (:func:`reference_residues`) seen through each filter, ``(L, M·P, N)``: the noise-free
    tissue curve ``c = A·R`` (first ``t`` frames) deconvolved exactly as a voxel is."""
    ref = reference_residues(mat.shape[0], dt, kind)
    c = ref @ mat.T  # (M·P, N) noise-free curves, of which the scanner sees the first t frames
    b = c[:, :t] @ ut  # (M·P, N)
    k: np.ndarray = (b[None, :, :] * filters[:, None, :]) @ vt  # (L, M·P, N)
    return k


def _per_filter(x: np.ndarray, filters: int) -> np.ndarray:
    """``(L, M·P)`` phase-major values averaged over the onset phases: ``(L, M)``."""
    out: np.ndarray = x.reshape(filters, len(PHASES), TABLE_MTT.size).mean(axis=1)
    return out


def _apparent_mtt(k: np.ndarray, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """Peak and apparent MTT ``∫k / max k`` of residues ``k`` ``(..., N)``."""
    peak = k.max(axis=-1)
    area = dt * (k.sum(axis=-1) - 0.5 * k[..., 0])
    return peak, area / np.maximum(peak, 1e-12)


def peak_table(
    mat: np.ndarray, ut: np.ndarray, vt: np.ndarray, filters: np.ndarray, dt: float, kind: Residue | str, t: int
) -> tuple[np.ndarray, np.ndarray]:
    """Apparent MTT and peak ratio ``(L, M)`` per filter ``filters`` ``(L, N)`` and table MTT.

    ``mat`` is the ``(N, N)`` convolution matrix, ``ut`` its first ``t`` rows of U ``(t, N)`` and ``vt``
    ``(N, N)``, exactly as the deconvolver uses them; the tissue curve has ``t`` frames. Both outputs
    are averaged over the onset phases. The apparent MTT rises with the true one, and each row is
    made non-decreasing so that it can be interpolated.
    """
    peak, mtt = _apparent_mtt(_filtered_references(mat, ut, vt, filters, dt, kind, t), dt)
    n = len(filters)
    return np.maximum.accumulate(_per_filter(mtt, n), axis=1), _per_filter(peak, n)


def onset_table(
    mat: np.ndarray, ut: np.ndarray, vt: np.ndarray, filters: np.ndarray, dt: float, t: int, circular: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Apparent MTT and peak delay ``(L, M)`` (s) per filter and table MTT, for the ``onset`` Tmax.

    The delay is the sub-sample peak time of the filtered :data:`ONSET_REFERENCE` residue less its true onset
    (averaged over the onset phases): how late the filter alone makes the peak of a sharp-onset residue read.
    Arguments as :func:`peak_table`; ``circular`` as the deconvolver's peak-time reading."""
    k = _filtered_references(mat, ut, vt, filters, dt, ONSET_REFERENCE, t)
    n_f, n_r, n = k.shape
    when = residue_peak_time(k.reshape(-1, n).astype(np.float32), dt, circular).reshape(n_f, n_r)
    onset = (np.repeat(np.asarray(PHASES), TABLE_MTT.size) * dt)[None, :]
    _, mtt = _apparent_mtt(k, dt)
    return np.maximum.accumulate(_per_filter(mtt, n_f), axis=1), _per_filter(when - onset, n_f)


def _read_table(peak: np.ndarray, area: np.ndarray, which: np.ndarray, mtt_obs: np.ndarray, values: np.ndarray) -> np.ndarray:
    """A table's ``values`` ``(L, M)`` read at each voxel's filter index ``which`` ``(V,)`` and apparent MTT
    ``area/peak`` (linear interpolation in ``mtt_obs`` ``(L, M)``, clamped to its ends): ``(V,)``."""
    out = np.zeros(peak.shape, np.float64)
    apparent = area / np.maximum(peak, np.float32(1e-12))
    for f in np.unique(which):  # one interpolation per filter (≤ 40), vectorised over its voxels
        sel = which == f
        out[sel] = np.interp(apparent[sel], mtt_obs[f], values[f])
    return out


def onset_tmax(
    tmax: np.ndarray, peak: np.ndarray, area: np.ndarray, which: np.ndarray, mtt_obs: np.ndarray, delay: np.ndarray
) -> np.ndarray:
    """Peak times ``tmax`` ``(V,)`` (s) less the table's delay (:func:`onset_table`) at each voxel's filter and
    apparent MTT (uncorrected peak; :func:`_read_table`), never below 0."""
    out: np.ndarray = np.maximum(tmax - _read_table(peak, area, which, mtt_obs, delay), 0.0).astype(np.float32)
    return out


def corrected_peak(peak: np.ndarray, area: np.ndarray, which: np.ndarray, mtt_obs: np.ndarray, ratio: np.ndarray) -> np.ndarray:
    """``peak`` ``(V,)`` divided by the table ratio at each voxel's filter index ``which`` ``(V,)`` and apparent
    MTT ``area/peak`` (:func:`_read_table`); the gain is at most :data:`MAX_GAIN`."""
    gain = np.clip(1.0 / np.maximum(_read_table(peak, area, which, mtt_obs, ratio), 1e-6), 1.0, MAX_GAIN)
    out: np.ndarray = (peak * gain).astype(np.float32)
    return out
