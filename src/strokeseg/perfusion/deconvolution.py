"""Deconvolution of tissue curves by the AIF, vectorised over voxels.

Every method solves ``C_t = Δt·A·k`` for the flow-scaled residue ``k(t) = F·R(t)`` (1/s) of each
voxel. The matrix depends only on the AIF, so its SVD is computed once; voxels are then
processed in chunks with dense float32 matrix products (NumPy/BLAS) — no loop per voxel, and no
torch import, so the perfusion commands start quickly.

Methods (see :class:`strokeseg.perfusion.config.Method`):

* ``ssvd`` — truncated SVD of the causal Toeplitz matrix, singular values below 20 % of the
  largest dropped (Østergaard 1996).
* ``csvd`` — truncated SVD of the block-circulant matrix, threshold 10 % (Wu 2003).
* ``osvd`` — block-circulant; per voxel, thresholds 5 %, 10 %, … 95 % are tried in turn and the
  first whose residue has an oscillation index O = (1/N)(1/k_max)Σ|k[n] − 2k[n−1] + k[n−2]| below
  0.035 is kept (Wu 2003); voxels never reaching it keep the largest threshold.
* ``tikhonov-gcv`` / ``tikhonov-lcurve`` — block-circulant Tikhonov, k = V diag(s/(s²+λ²)) Uᵀc with
  λ chosen per voxel on a 40-point log grid by generalised cross-validation or at the L-curve's
  point of maximum curvature.
* ``parametric`` — no regularised residue: the model itself is fitted
  (:mod:`strokeseg.perfusion.parametric`).

Each returns :class:`ResidueStats`: the residue peak (→ CBF), its sub-sample position (→ Tmax),
its area (→ CBV with the ``residue`` estimator) and the regularisation chosen per voxel. The peak
of every regularised method is then corrected for what its voxel's own filter removed
(:mod:`strokeseg.perfusion.bias`; ``PerfusionConfig.peak_correction``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from strokeseg.errors import InputError
from strokeseg.perfusion.bias import REFERENCE_RESIDUE, corrected_peak, onset_table, onset_tmax, peak_table
from strokeseg.perfusion.config import Method, PerfusionConfig, TmaxEstimator
from strokeseg.perfusion.matrices import circulant_matrix, toeplitz_matrix
from strokeseg.perfusion.parametric import ParametricFit
from strokeseg.perfusion.peaks import peak_position, position_to_time
from strokeseg.util.threads import blas_threads, parallel_map


@dataclass
class ResidueStats:
    """Per-voxel summary of the deconvolved residue ``k`` (arrays of shape ``(V,)``).

    Attributes:
        peak: max k (1/s): CBF = (kH/ρ)·peak·6000 in ml/100 g/min.
        tmax: time of the peak (s), sub-sample (leading-edge, parabolic or onset-corrected, see
            :class:`~strokeseg.perfusion.config.TmaxEstimator`), ≥ 0.
        area: trapezoid area of k on [0, ∞) (dimensionless blood-volume fraction).
        regularisation: truncation threshold (SVD) or λ/s_max (Tikhonov) used per voxel; for the
            parametric fit, the fraction of the curve's energy the fitted model explains.
    """

    peak: np.ndarray
    tmax: np.ndarray
    area: np.ndarray
    regularisation: np.ndarray


def _stats(k: np.ndarray, dt: float, circular: bool, edge: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Peak, peak time and [0, ∞) trapezoid area of residues ``k`` (V, N) float32.

    The peak time is the parabolic vertex (``edge`` = 0) or the sub-sample time at which the
    leading edge reaches ``edge`` × the maximum (linear interpolation between the samples).
    """
    n = k.shape[1]
    idx = k.argmax(axis=1)
    rows = np.arange(k.shape[0])
    peak = k[rows, idx]
    if edge > 0:
        w = min(n // 2, 64)
        back = idx[:, None] - np.arange(w)[None, :]
        back = back % n if circular else np.maximum(back, 0)
        vals = k[rows[:, None], back]  # column j = k[idx − j]
        below = vals <= np.float32(edge) * peak[:, None]
        has = below.any(axis=1)
        j = np.where(has, below.argmax(axis=1), 0)  # first sample back that is ≤ q·peak
        lo = vals[rows, j]
        hi = vals[rows, np.maximum(j - 1, 0)]
        frac = np.clip((np.float32(edge) * peak - lo) / np.maximum(hi - lo, np.float32(1e-12)), 0.0, 1.0)
        pos = np.where(has, idx.astype(np.float32) - j.astype(np.float32) + frac, idx.astype(np.float32))
    else:
        pos = peak_position(k, circular)
    tmax = position_to_time(pos, n, dt, circular)
    area = np.float32(dt) * (k.sum(axis=1, dtype=np.float32) - np.float32(0.5) * k[:, 0])
    return peak, tmax.astype(np.float32), area.astype(np.float32)


def second_difference_matrix(n: int) -> np.ndarray:
    """Circular second difference: ``(k @ D.T)[i] = k[i] − 2k[i−1] + k[i−2]`` (indices mod n)."""
    d = np.zeros((n, n))
    i = np.arange(n)
    d[i, i] += 1.0
    d[i, (i - 1) % n] -= 2.0
    d[i, (i - 2) % n] += 1.0
    return d


class Deconvolver:
    """Deconvolution by one AIF, applied to many voxels.

    Args:
        aif: arterial concentration curve ``(T,)``.
        dt: frame interval in s (frames must be equally spaced).
        config: method and thresholds.
    """

    def __init__(self, aif: np.ndarray, dt: float, config: PerfusionConfig) -> None:
        self.config = config
        self.dt = float(dt)
        self.t = len(aif)
        self.method = Method(config.method)
        if not np.any(np.asarray(aif) != 0):
            raise InputError("the AIF is zero: nothing to deconvolve")
        self.parametric = None
        if self.method is Method.PARAMETRIC:
            self.parametric = ParametricFit(aif, dt, config.parametric_convolution, config.chunk_voxels)
            return
        self.circular = self.method is not Method.SSVD
        mat = toeplitz_matrix(aif, dt) if not self.circular else circulant_matrix(aif, dt)
        u, s, vt = np.linalg.svd(mat)
        self.mat = mat
        self.n = mat.shape[0]
        self.s = s
        # Only the first T rows of Uᵀ·c matter: the padded part of c is zero.
        self.ut = np.ascontiguousarray(u[: self.t, :], dtype=np.float32)  # (T, N)
        self.vt = np.ascontiguousarray(vt, dtype=np.float32)  # (N, N)
        # second differences of k = W·Vt are W·(Vt·D2ᵀ): one more product instead of rolled copies
        self.vt_d2 = np.ascontiguousarray(vt @ second_difference_matrix(self.n).T, dtype=np.float32)
        self.s_t = s.astype(np.float32)
        self.edge = config.tmax_edge_fraction if config.tmax_estimator == TmaxEstimator.EDGE else 0.0
        self.levels, self.filters = self._filters()
        self.onset = config.tmax_estimator == TmaxEstimator.ONSET
        self._tables: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._table_lock = threading.Lock()

    # ------------------------------------------------------------------ public
    def __call__(self, curves: np.ndarray, progress: Callable[[int], None] | None = None) -> ResidueStats:
        """Deconvolve ``curves`` ``(V, T)``; returns per-voxel residue statistics."""
        if self.parametric is not None:
            return ResidueStats(*self.parametric(curves, progress))
        v = curves.shape[0]
        out = [np.zeros(v, np.float32) for _ in range(4)]
        step = max(1, int(self.config.chunk_voxels))

        def one_chunk(start: int) -> None:
            stop = min(start + step, v)
            res = self._chunk(np.ascontiguousarray(curves[start:stop], dtype=np.float32))
            for o, r in zip(out, res):
                o[start:stop] = r
            if progress is not None:
                with lock:  # progress bars are not thread-safe
                    progress(stop - start)

        lock = threading.Lock()
        # Chunks are independent (same result as a loop). Their element-wise work is single-threaded
        # NumPy, so chunks run on parallel threads with BLAS kept to one thread each, which measured
        # faster than BLAS threads inside one chunk at a time (benchmarks/bench_perfusion_speed.py).
        with blas_threads(1):
            parallel_map(one_chunk, range(0, v, step))
        return ResidueStats(*out)

    # ------------------------------------------------------------------ methods
    def _project(self, b: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Residues ``k = (b ∘ w) Vt`` for coefficients ``b = cᵀU`` and filter ``w`` (N,) or (V, N)."""
        k: np.ndarray = (b * w) @ self.vt
        return k

    def _chunk(self, c: np.ndarray) -> tuple[np.ndarray, ...]:
        b = c @ self.ut  # (V, N) = cᵀ U
        if self.method in (Method.SSVD, Method.CSVD):
            k = self._project(b, self.filters[0])
            peak, tmax, area = _stats(k, self.dt, self.circular, self.edge)
            which = np.zeros(peak.shape, np.int64)
            reg = np.full_like(peak, self.levels[0])
        elif self.method is Method.OSVD:
            peak, tmax, area, which = self._osvd(b)
            reg = self.levels[which]
        else:
            peak, tmax, area, which = self._tikhonov(b, gcv=self.method is Method.TIKHONOV_GCV)
            reg = self.levels[which]
        if self.onset:  # read at the uncorrected peak's apparent MTT, as the table is
            tmax = onset_tmax(tmax, peak, area, which, *self._table("onset"))
        if self.config.peak_correction:
            peak = corrected_peak(peak, area, which, *self._table("peak"))
        return peak, tmax, area, reg

    def _table(self, kind: str) -> tuple[np.ndarray, np.ndarray]:
        """This AIF's ``peak``-bias or ``onset`` table (:mod:`strokeseg.perfusion.bias`), computed once."""
        with self._table_lock:
            if kind not in self._tables:
                args = (self.mat, self.ut, self.vt, self.filters, self.dt)
                if kind == "peak":
                    self._tables[kind] = peak_table(*args, REFERENCE_RESIDUE, self.t)
                else:
                    self._tables[kind] = onset_table(*args, self.t, self.circular)
            return self._tables[kind]

    def _filters(self) -> tuple[np.ndarray, np.ndarray]:
        """The regularisation levels ``(L,)`` this method chooses among (SVD thresholds, or λ/s_max on Tikhonov's
        40-point log grid) and their filter factors ``(L, N)``: a residue is ``k = (cᵀU ∘ f) Vt``."""
        if self.method in (Method.SSVD, Method.CSVD):
            levels = np.array([self.config.ssvd_threshold if self.method is Method.SSVD else self.config.csvd_threshold], np.float32)
        elif self.method is Method.OSVD:
            levels = np.asarray(self.config.osvd_thresholds, np.float32)
        else:
            levels = np.logspace(-3.5, 0.0, 40, dtype=np.float32)
            lam = (levels * self.s_t[0])[:, None]
            return levels, (self.s_t[None, :] / (self.s_t[None, :] ** 2 + lam * lam)).astype(np.float32)
        return levels, np.stack([self._tsvd_filter(float(t)) for t in levels])

    def _tsvd_filter(self, thr: float) -> np.ndarray:
        keep = self.s_t >= np.float32(thr) * self.s_t[0]
        with np.errstate(divide="ignore"):
            return np.where(keep, np.float32(1.0) / self.s_t, np.float32(0.0)).astype(np.float32)

    def _osvd(self, b: np.ndarray) -> tuple[np.ndarray, ...]:
        v = b.shape[0]
        peak = np.zeros(v, np.float32)
        tmax = np.zeros(v, np.float32)
        area = np.zeros(v, np.float32)
        chosen = np.full((v,), len(self.config.osvd_thresholds) - 1, np.int64)
        todo = np.arange(v)
        last_keep = -1
        last = len(self.filters) - 1
        for i, w in enumerate(self.filters):
            n_keep = int((w != 0).sum())
            final = i == last
            if n_keep == last_keep and not final:
                continue  # same singular values kept as the previous threshold: same residues
            last_keep = n_keep
            bw = b[todo] * w
            k = bw @ self.vt
            kmax = k.max(axis=1)
            oi = np.abs(bw @ self.vt_d2).sum(axis=1) / (np.float32(self.n) * np.maximum(kmax, np.float32(1e-12)))
            take = (oi < self.config.osvd_oi) | final
            if take.any():
                idx = todo[take]
                peak[idx], tmax[idx], area[idx] = _stats(k[take], self.dt, True, self.edge)
                chosen[idx] = i
                todo = todo[~take]
            if todo.size == 0:
                break
        return peak, tmax, area, chosen

    def _tikhonov(self, b: np.ndarray, gcv: bool) -> tuple[np.ndarray, ...]:
        s = self.s_t
        lams = self.levels * s[0]
        s2 = (s * s)[:, None]
        l2 = (lams * lams)[None, :]
        resid_f = (l2 / (s2 + l2)) ** 2  # (N, L): weight of b² in the residual norm²
        b2 = b * b
        resid = b2 @ resid_f  # (V, L)
        if gcv:
            dof = np.float32(self.n) - (s2 / (s2 + l2)).sum(axis=0)  # (L,)
            best = (resid / (dof * dof)[None, :]).argmin(axis=1)
        else:
            sol = b2 @ ((s[:, None] / (s2 + l2)) ** 2)  # ‖k‖² (V, L)
            x = np.float32(0.5) * np.log(np.maximum(resid, np.float32(1e-30)))
            y = np.float32(0.5) * np.log(np.maximum(sol, np.float32(1e-30)))
            dx, dy = np.gradient(x, axis=1), np.gradient(y, axis=1)
            ddx, ddy = np.gradient(dx, axis=1), np.gradient(dy, axis=1)
            curvature = (dx * ddy - ddx * dy) / np.maximum(dx * dx + dy * dy, np.float32(1e-30)) ** 1.5
            curvature[:, :2] = -np.inf
            curvature[:, -2:] = -np.inf
            best = curvature.argmax(axis=1)
        k = self._project(b, self.filters[best])  # each voxel's own filter (V, N)
        peak, tmax, area = _stats(k, self.dt, True, self.edge)
        return peak, tmax, area, best


def deconvolve(curves: np.ndarray, aif: np.ndarray, dt: float, config: PerfusionConfig) -> ResidueStats:
    """Convenience wrapper: :class:`Deconvolver` for one AIF applied to ``curves`` ``(V, T)``."""
    return Deconvolver(aif, dt, config)(curves)
