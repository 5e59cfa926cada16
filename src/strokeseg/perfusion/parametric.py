"""Parametric (model-based) deconvolution: the residue is fitted, not regularised.

Truncated SVD and Tikhonov are low-pass filters of the residue: a residue that starts with a
step (R(0) = 1) and falls within a few seconds keeps only part of its height, so CBF reads low
for short transit times and Tmax late (see :mod:`strokeseg.perfusion.deconvolution`). Here the
tissue curve is instead fitted with the indicator-dilution model itself,

    C_t(t) = F · (C_a ⊗ R_m)(t − d),   R_m(t) = exp(−t/m),

over a dictionary of MTTs ``m`` (40 log-spaced values, 0.8–30 s) × delays ``d`` (−3…+16 s in 0.5 s
steps). For white noise the best fit of each dictionary curve ``u`` has ``F = c·u/|u|²`` and
residual ``|c|² − (c·u)²/|u|²``, so the least-squares fit over the whole dictionary is the largest
normalised correlation ``c·u/|u|`` — one matrix product per chunk of voxels (after compressing
the dictionary onto its principal components), no loop per voxel and no local minima. The delay
is then refined between grid points by a parabola through the correlations.

Only the exponential residue without dispersion: the flow (the residue's height at its onset) of
a short-MTT curve is not identifiable at a clinical AIF's bandwidth — a gamma or box residue, or
a dispersed one, with another MTT gives a tissue curve equal to within the noise but a flow up to
twice as high — so a richer dictionary trades the SVD's blur for an arbitrary choice between
equally good fits (tried: with gamma and box residues the noise-free grid phantom's r(CBF) fell to
0.77). One family is the prior that makes the fit well posed; it is the forward model of
reference objects such as OSIPI's.

Outputs per voxel: ``peak`` = F (the flow, 1/s), ``tmax`` = d, ``area`` = F·m and, as
``regularisation``, the fraction of the curve's energy the fit explains.

``convolution`` says how the data were formed: ``continuous`` (real scanners, the strokeseg
phantom: point samples of a continuous convolution, the AIF linearly interpolated between
frames) or ``discrete`` (the sum C[n] = Δt·F·Σ C_a[j]·R[n − j] with R[0] = 1 that simulation
reference objects such as OSIPI's DSC DRO use).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from strokeseg.errors import ConfigError
from strokeseg.kinetics.residues import FINE_DT, Residue, fft_convolve, residue_function
from strokeseg.perfusion.config import Convolution

MTT_GRID = np.exp(np.linspace(np.log(0.8), np.log(30.0), 40))
DELAY_STEP = 0.5
DELAY_RANGE = (-3.0, 16.0)


class ParametricFit:
    """Least-squares fit of the exponential-residue model over an MTT × delay dictionary, for one AIF.

    Args:
        aif: arterial concentration ``(T,)`` at frames ``0, Δt, 2Δt, …``.
        dt: frame interval (s).
        convolution: ``continuous`` or ``discrete`` (see the module docstring).
        chunk_voxels: upper bound on voxels per matrix product.
    """

    def __init__(self, aif: np.ndarray, dt: float, convolution: str = Convolution.CONTINUOUS, chunk_voxels: int = 65536) -> None:
        aif = np.asarray(aif, dtype=float)
        t = aif.size
        self.dt = float(dt)
        times = np.arange(t) * self.dt
        # With sampled lags (discrete sum) a negative delay only rescales an exponential residue
        # (R(t + |d|) = e^(−|d|/m)·R(t)), which would trade delay for flow: delays start at 0 there.
        first = 0.0 if convolution == Convolution.DISCRETE else DELAY_RANGE[0]
        self.delays = np.arange(first, DELAY_RANGE[1] + 1e-9, DELAY_STEP)
        nd = self.delays.size
        tf = np.arange(0.0, times[-1] - DELAY_RANGE[0] + 1.0 + FINE_DT, FINE_DT)
        # R sampled at the grid points for the discrete sum (R(0) = 1 exactly), at the interval
        # midpoints for the continuous integral
        offset = 0.0 if convolution == Convolution.DISCRETE else 0.5 * FINE_DT
        kern = residue_function(tf + offset, MTT_GRID, Residue.EXPONENTIAL)  # (M, F)
        if convolution == Convolution.CONTINUOUS:
            ca = np.interp(tf, times, aif)
            unit = fft_convolve(np.broadcast_to(ca, kern.shape), kern) * FINE_DT  # (M, F): curves with no delay
            idx = np.rint((times[None, :] - self.delays[:, None]) / FINE_DT).astype(np.int64)  # (D, T)
            valid = idx >= 0
            curves = np.where(valid[None], unit[:, np.clip(idx, 0, tf.size - 1)], 0.0)  # (M, D, T)
        elif convolution == Convolution.DISCRETE:
            lag = times[:, None] - times[None, :]  # (n, j): t_n − t_j
            curves = np.empty((kern.shape[0], nd, t))
            for i, d in enumerate(self.delays):  # one Toeplitz product per delay (38), not per voxel
                li = np.rint((lag - d) / FINE_DT).astype(np.int64)
                ok = (li >= 0) & (li < tf.size)
                a = np.where(ok, aif[None, :], 0.0) * self.dt  # (n, j)
                k = kern[:, np.clip(li, 0, tf.size - 1)] * ok[None]  # (M, n, j)
                curves[:, i, :] = np.einsum("mnj,nj->mn", k, a)
        else:
            raise ConfigError(f"convolution must be 'continuous' or 'discrete', got {convolution!r}")
        basis = curves.reshape(-1, t)  # (B, T), delay innermost
        norms = np.linalg.norm(basis, axis=1)
        norms[norms == 0] = np.inf
        unitb = basis / norms[:, None]
        # principal components of the dictionary: the products run in a rank-r space
        _, s, vt = np.linalg.svd(unitb, full_matrices=False)
        r = int(np.sum(s > 1e-4 * s[0]))
        self.proj = np.ascontiguousarray(vt[:r].T, dtype=np.float32)  # (T, r)
        self.coef = np.ascontiguousarray((unitb @ vt[:r].T).T, dtype=np.float32)  # (r, B)
        self.norms = norms.astype(np.float32)
        self.n_delays = nd
        self.mtt = MTT_GRID.astype(np.float32)
        self.chunk = max(1, min(int(chunk_voxels), (1 << 24) // basis.shape[0]))

    def __call__(self, curves: np.ndarray, progress: Callable[[int], None] | None = None) -> tuple[np.ndarray, ...]:
        """Per voxel of ``curves`` ``(V, T)``: flow F (1/s), Tmax (s), area F·m and explained energy."""
        v = curves.shape[0]
        out = [np.zeros(v, np.float32) for _ in range(4)]
        for start in range(0, v, self.chunk):
            stop = min(start + self.chunk, v)
            for o, r in zip(out, self._chunk(np.ascontiguousarray(curves[start:stop], dtype=np.float32))):
                o[start:stop] = r
            if progress is not None:
                progress(stop - start)
        return tuple(out)

    def _chunk(self, c: np.ndarray) -> tuple[np.ndarray, ...]:
        score = (c @ self.proj) @ self.coef  # (V, B): c·u/|u|
        best = score.argmax(axis=1)
        rows = np.arange(c.shape[0])
        best_score = score[rows, best]
        nd = self.n_delays
        di = best % nd
        mi = best // nd
        # parabola through the correlations at the neighbouring delays of the same MTT
        lo = score[rows, mi * nd + np.maximum(di - 1, 0)]
        hi = score[rows, mi * nd + np.minimum(di + 1, nd - 1)]
        denom = lo - 2 * best_score + hi
        with np.errstate(divide="ignore", invalid="ignore"):
            off = np.clip(np.where(denom < 0, np.float32(0.5) * (lo - hi) / denom, np.float32(0.0)), -0.5, 0.5)
        off = np.where((di == 0) | (di == nd - 1), np.float32(0.0), off)
        delay = self.delays.astype(np.float32)[di] + off * np.float32(DELAY_STEP)
        positive = best_score > 0
        flow = np.where(positive, best_score / self.norms[best], np.float32(0.0))
        tmax = np.where(positive, np.maximum(delay, np.float32(0.0)), np.float32(0.0))
        energy = np.maximum((c * c).sum(axis=1), np.float32(1e-30))
        explained = np.where(positive, best_score * best_score / energy, np.float32(0.0))
        return flow, tmax, flow * self.mtt[mi], explained
