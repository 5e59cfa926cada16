"""Perfusion maps from a raw 4D series: the whole chain, vectorised over voxels.

series → motion correction → brain mask → bolus arrival / baseline → concentration → (smoothing) → AIF (→ VOF)
→ deconvolution → CBF, CBV, MTT, Tmax, TTP.

Units: CBF ml/100 g/min, CBV ml/100 g, MTT s, Tmax s, TTP s (from the first frame).
CBF = (kH/ρ)·max k·6000; CBV = (kH/ρ)·∫C/∫C_a·100 (or the residue area, see
:class:`~strokeseg.perfusion.config.CbvEstimator`); MTT = 60·CBV/CBF.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from strokeseg.errors import InputError
from strokeseg.io.geometry import Geometry
from strokeseg.io.volume import Series
from strokeseg.masks.brain import ct_brain_mask, mr_brain_mask
from strokeseg.perfusion.aif import ROWS, AifResult, aif_from_mask, apply_vof_scaling, select_aif
from strokeseg.perfusion.concentration import baseline_slice, ct_concentration, detect_bolus_arrival, mr_concentration, temporal_smooth
from strokeseg.perfusion.config import CbvEstimator, Modality, PerfusionConfig
from strokeseg.perfusion.deconvolution import Deconvolver
from strokeseg.perfusion.motion import MotionConfig, MotionResult, NoStructure, correct_motion
from strokeseg.perfusion.peaks import refined_argmax
from strokeseg.perfusion.qc import qc_warnings, series_qc
from strokeseg.util.threads import thread_count

T = TypeVar("T")

MAP_NAMES = ("CBF", "CBV", "MTT", "Tmax", "TTP")
MIN_FRAMES = 10


@dataclass
class PerfusionResult:
    """Maps ``(Z, Y, X)`` float32 (0 outside the brain), the brain mask, the AIF and a log."""

    maps: dict[str, np.ndarray]
    brain_mask: np.ndarray
    geometry: Geometry
    aif: AifResult
    aif_mask: np.ndarray
    frame_times: np.ndarray
    info: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _uniform_times(series: Series, notes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Frames on a uniform grid (linear interpolation when the acquisition was not uniform)."""
    t = series.frame_times
    d = np.diff(t)
    if np.any(d <= 0):
        raise InputError("frame times are not increasing", series.path)
    dt = float(np.median(d))
    if np.allclose(d, dt, rtol=0.02, atol=0.01):
        return series.data, t
    tu = np.arange(t[0], t[-1] + 1e-6, float(d.min()))
    z, y, x, n = series.data.shape
    flat = series.data.reshape(-1, n)
    idx = np.clip(np.searchsorted(t, tu, side="right") - 1, 0, n - 2)
    w = ((tu - t[idx]) / (t[idx + 1] - t[idx])).astype(np.float32)
    out = flat[:, idx] * (1 - w) + flat[:, idx + 1] * w
    notes.append(f"frames resampled from a non-uniform schedule onto {tu.size} frames every {d.min():.3g} s")
    return out.reshape(z, y, x, tu.size).astype(np.float32), tu


def _validate(series: Series) -> None:
    if series.n_frames < MIN_FRAMES:
        raise InputError(f"4D series has {series.n_frames} frames; at least {MIN_FRAMES} are needed", series.path)
    from strokeseg.io.read import count_nonfinite

    if count_nonfinite(series.data):
        frames = np.flatnonzero((~np.isfinite(series.data)).reshape(-1, series.n_frames).any(0))
        raise InputError(f"NaN/Inf values in frame(s) {', '.join(map(str, frames[:10]))}", series.path)
    lo, hi = float(series.data.min()), float(series.data.max())
    if hi - lo <= 1e-6 * max(abs(hi), 1.0):
        raise InputError(f"the series is constant (every voxel of every frame is {lo:g}): no anatomy and no bolus to measure", series.path)


def smooth_in_plane(
    curves: np.ndarray, mask: np.ndarray, geometry: Geometry, fwhm_mm: float, threads: int | None = None, left_out: np.ndarray | None = None
) -> np.ndarray:
    """Normalised in-plane Gaussian smoothing of the brain curves ``(V, T)`` (``V`` = ``mask.sum()``).

    ``curves`` holds the masked voxels of a ``(Z, Y, X, T)`` volume in C order (``vol[mask]``).
    Each voxel becomes the Gaussian-weighted mean of the *masked* voxels around it in its slice,
    so bone and air never bleed into the brain. ``left_out`` ``(V,)`` marks voxels (CSF) that take no part:
    they give nothing to the tissue beside them and keep their own, unsmoothed curve (smoothing them among
    themselves as well would double the step's time, for maps the read-out does not use). Only the mask's
    in-plane bounding box is filtered, one slice at a time (the working set is one ``(Y, X, T)`` slab, not a second copy
    of the series), slices in parallel threads (:func:`strokeseg.util.threads.parallel_map`).
    Returns float32 ``(V, T)``.
    """
    from scipy import ndimage

    from strokeseg.util.threads import parallel_map

    out = np.zeros(curves.shape, np.float32)
    if not mask.any():
        return out
    sig = fwhm_mm / 2.3548
    sigmas = ((0, sig / geometry.spacing[1]), (1, sig / geometry.spacing[0]))
    ys = np.flatnonzero(mask.any(axis=(0, 2)))
    xs = np.flatnonzero(mask.any(axis=(0, 1)))
    box = (slice(ys[0], ys[-1] + 1), slice(xs[0], xs[-1] + 1))
    counts = mask.reshape(mask.shape[0], -1).sum(axis=1)
    ends = np.cumsum(counts)

    def one_slice(z: int) -> None:
        inside = mask[z][box]
        rows = slice(int(ends[z] - counts[z]), int(ends[z]))
        own = curves[rows]
        apart = left_out[rows] if left_out is not None else None
        support = inside
        if apart is not None:
            support = inside.copy()
            support[inside] = ~apart
        data = np.zeros((*inside.shape, curves.shape[1]), np.float32)
        data[support] = own if apart is None else own[~apart]
        m = support.astype(np.float32)
        for axis, s in sigmas:
            data = ndimage.gaussian_filter1d(data, s, axis=axis, mode="constant", truncate=3.0, output=np.float32)
            m = ndimage.gaussian_filter1d(m, s, axis=axis, mode="constant", truncate=3.0, output=np.float32)
        smoothed = data[inside] / np.maximum(m[inside], np.float32(1e-6))[:, None]
        if apart is not None:
            smoothed[apart] = own[apart]
        out[rows] = smoothed

    parallel_map(one_slice, [int(z) for z in np.flatnonzero(counts)])
    return out


class _Steps:
    """Runs the analysis steps and records each one's wall time (s)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.t0 = time.perf_counter()

    def run(self, name: str, fn: Callable[..., T], *args: Any) -> T:
        t = time.perf_counter()
        out = fn(*args)
        self.seconds[name] = time.perf_counter() - t
        return out


def _motion_step(data: np.ndarray, geom: Geometry, cfg: PerfusionConfig, notes: list[str]) -> tuple[np.ndarray, dict[str, Any]]:
    """The series after motion correction (when on) and what ``perfusion.json`` records of it; notes for a
    series with nothing to register to and for frames left as they were."""
    info: dict[str, Any] = {"frames_corrected": 0, "reason": "motion correction off"}
    if not cfg.motion_correction or data.shape[3] < 2:
        return data, info
    try:
        motion = _motion_corrected(data, geom, cfg)
    except NoStructure as e:
        notes.append(f"frames not registered: {e}")
        return data, {**info, "reason": str(e)}
    if motion.corrected.any():  # the head-centre check of the series as it came, for the QC panel
        from strokeseg.perfusion.qc import motion as qc_motion

        motion.extra["qc_before"] = qc_motion(data, geom, cfg.modality.value)[1]
    if motion.unregistered:
        notes.append(
            f"motion correction left frames {', '.join(map(str, motion.unregistered))} as they were: "
            "no rigid motion fitted them better than none"
        )
    return motion.data, motion.info()


def _motion_corrected(data: np.ndarray, geom: Geometry, cfg: PerfusionConfig) -> MotionResult:
    """Every frame registered rigidly to the first used frame (:mod:`strokeseg.perfusion.motion`). Where
    structure is sought: CT, everything but air (the bone window does the rest); DSC-MR, the head
    outside the brain (dilated by two voxels), whose signal the bolus does not change."""
    from scipy import ndimage

    ref = min(cfg.skip_frames, data.shape[3] - 1)
    frame = data[..., ref]
    ct = cfg.modality is Modality.CT
    if ct:
        head = frame > -200.0
    else:
        brain = ndimage.binary_dilation(mr_brain_mask(frame), structure=np.ones((1, 5, 5), bool))
        head = (frame > 0.1 * float(np.percentile(frame, 99))) & ~brain
    return correct_motion(data, geom, head, ref, ct, MotionConfig(max_displacement_mm=cfg.max_motion_mm))


def _brain(data: np.ndarray, series: Series, cfg: PerfusionConfig, given: np.ndarray | None) -> np.ndarray:
    """The brain mask from the first frames (pre-contrast in any sane protocol), or the given one, checked."""
    early = data[..., cfg.skip_frames : cfg.skip_frames + 3].mean(axis=3)
    if given is None:
        mask = ct_brain_mask(early) if cfg.modality is Modality.CT else mr_brain_mask(early)
    else:
        mask = np.asarray(given, bool)
        if mask.shape != series.geometry.shape:
            raise InputError(f"brain mask shape {mask.shape} does not match the series grid {series.geometry.shape}")
    if mask.sum() < 50:
        raise InputError("brain mask is (almost) empty: check the modality (ct/mr) and the series", series.path)
    return mask


def _concentration(
    signal: np.ndarray, cfg: PerfusionConfig, series: Series
) -> tuple[np.ndarray, int, slice, np.ndarray, np.ndarray | None]:
    """Concentration curves ``(V, T)`` of the brain voxels, the bolus-arrival frame, the baseline frames,
    the brain-average curve ``(T,)`` and the voxels the smoothing leaves out ``(V,)`` (CT below
    ``smoothing_csf_hu`` at baseline; None: none)."""
    n_frames = signal.shape[1]
    arrival = detect_bolus_arrival(signal.mean(axis=0), skip=cfg.skip_frames)
    base = baseline_slice(n_frames, arrival, cfg.skip_frames, cfg.baseline_frames)
    s0 = signal[:, base].mean(axis=1) if cfg.modality is Modality.CT else None  # (V,) the pre-contrast HU
    if s0 is not None:
        conc = ct_concentration(signal, base, s0)
    else:
        conc = mr_concentration(signal, base, cfg.echo_time)
    mean_conc = conc.mean(axis=0)
    noise = float(mean_conc[base].std()) + 1e-9
    if mean_conc.max() < 5 * noise or (cfg.modality is Modality.CT and mean_conc.max() < 0.5):
        raise InputError(
            f"no bolus found: the brain-average curve never rises above its baseline noise "
            f"(peak {mean_conc.max():.3g} vs baseline sd {noise:.3g})",
            series.path,
        )
    csf = s0 < cfg.smoothing_csf_hu if s0 is not None and cfg.smoothing_csf_hu is not None else None
    return conc, int(arrival), base, mean_conc, csf


def _aif(
    conc: np.ndarray, times: np.ndarray, base: slice, cfg: PerfusionConfig, mask: np.ndarray, aif_mask: np.ndarray | None
) -> AifResult:
    """The AIF on the unsmoothed curves (partial volume would lower it), lightly smoothed in time."""
    dt = float(np.median(np.diff(times)))
    sel_curves = temporal_smooth(conc, times, max(cfg.temporal_sigma, 0.5 * dt))
    if aif_mask is not None:
        am = np.asarray(aif_mask, bool)
        if am.shape != mask.shape:
            raise InputError(f"AIF mask shape {am.shape} does not match the series grid {mask.shape}")
        aif = aif_from_mask(sel_curves, am[mask])
    else:
        aif = select_aif(sel_curves, times, base, cfg.aif_voxels)
    if cfg.vof_enabled:
        aif = apply_vof_scaling(aif, sel_curves, times, cfg.aif_voxels)
    return aif


def _smoothed(
    conc: np.ndarray, mask: np.ndarray, geom: Geometry, times: np.ndarray, cfg: PerfusionConfig, csf: np.ndarray | None
) -> np.ndarray:
    """In-plane Gaussian smoothing inside the brain (``spatial_fwhm_mm``; ``csf`` left out), then temporal smoothing."""
    if cfg.spatial_fwhm_mm <= 0:
        return temporal_smooth(conc, times, cfg.temporal_sigma)
    out = smooth_in_plane(conc, mask, geom, cfg.spatial_fwhm_mm, left_out=csf)
    for i in range(0, out.shape[0], ROWS):  # in place, a block of rows at a time: no third (V, T) array
        out[i : i + ROWS] = temporal_smooth(out[i : i + ROWS], times, cfg.temporal_sigma)
    return out


def _deconvolved(conc: np.ndarray, aif: AifResult, dt: float, cfg: PerfusionConfig, show_progress: bool) -> Any:
    deconv = Deconvolver(aif.curve, dt, cfg)
    if not show_progress:
        return deconv(conc)
    from strokeseg.util.progress import progress_bar

    with progress_bar(total=conc.shape[0], desc=f"deconvolution ({cfg.method})", unit="vox") as bar:
        return deconv(conc, progress=bar.update)


def _map_values(conc: np.ndarray, stats: Any, aif: AifResult, times: np.ndarray, cfg: PerfusionConfig) -> dict[str, np.ndarray]:
    """CBF (ml/100 g/min), CBV (ml/100 g), MTT (s), Tmax (s) and TTP (s) of the brain voxels ``(V,)``."""
    dt = float(np.median(np.diff(times)))
    scale = cfg.scale
    cbf = scale * stats.peak * 6000.0
    if cfg.cbv_estimator is CbvEstimator.AUC:
        area_a = float(np.clip(aif.curve, 0, None).sum() * dt)
        cbv = scale * (conc.sum(axis=1) * dt) / area_a * 100.0
    else:
        cbv = scale * stats.area * 100.0
    cbf = np.clip(cbf, 0, None)
    cbv = np.clip(cbv, 0, None)
    with np.errstate(divide="ignore", invalid="ignore"):
        mtt = np.where(cbf > 1e-3, 60.0 * cbv / cbf, 0.0)
    sigma = max(cfg.temporal_sigma, 0.5 * dt)
    ttp_idx = np.concatenate([refined_argmax(temporal_smooth(conc[i : i + ROWS], times, sigma))[0] for i in range(0, conc.shape[0], ROWS)])
    return {"CBF": cbf, "CBV": cbv, "MTT": mtt, "Tmax": stats.tmax, "TTP": times[0] + ttp_idx * dt}


def compute_maps(
    series: Series,
    config: PerfusionConfig | None = None,
    brain_mask: np.ndarray | None = None,
    aif_mask: np.ndarray | None = None,
    show_progress: bool = True,
) -> PerfusionResult:
    """Compute CBF, CBV, MTT, Tmax and TTP from a raw 4D series.

    Args:
        series: ``(Z, Y, X, T)`` signal (HU for CT, DSC signal for MR) with frame times.
        config: settings (modality, method, ...); CT defaults when None.
        brain_mask: ``(Z, Y, X)`` boolean; use this mask instead of computing one.
        aif_mask: ``(Z, Y, X)`` boolean; voxels whose mean curve is the AIF (overrides automatic selection).

    Returns:
        the maps as ``(Z, Y, X)`` float32 volumes (0 outside the brain), the brain and AIF masks, the
        AIF, and ``info`` (settings, AIF curve, regularisation, per-step seconds).
    """
    cfg = config or PerfusionConfig()
    steps = _Steps()
    _validate(series)
    notes: list[str] = []
    data, times = _uniform_times(series, notes)
    dt = float(np.median(np.diff(times)))
    geom = series.geometry
    data, motion_info = steps.run("motion", _motion_step, data, geom, cfg, notes)
    mask = steps.run("mask", _brain, data, series, cfg, brain_mask)
    conc, arrival, base, brain_curve, csf = steps.run("concentration", _concentration, data[mask], cfg, series)
    aif = steps.run("aif", _aif, conc, times, base, cfg, mask, aif_mask)
    aif_vol = np.zeros(geom.shape, bool)
    aif_vol[tuple(np.argwhere(mask)[aif.voxels].T)] = True
    conc = steps.run("smoothing", _smoothed, conc, mask, geom, times, cfg, csf)
    stats = steps.run("deconvolution", _deconvolved, conc, aif, dt, cfg, show_progress)
    values = steps.run("maps", _map_values, conc, stats, aif, times, cfg)
    qc = steps.run("qc", series_qc, data, brain_curve, int(mask.sum()), int(aif.voxels.size), geom, cfg.modality.value, cfg.echo_time)
    maps: dict[str, np.ndarray] = {}
    for name, v in values.items():
        vol = np.zeros(geom.shape, np.float32)
        vol[mask] = v
        maps[name] = vol
    steps.seconds["total"] = time.perf_counter() - steps.t0
    regs = stats.regularisation
    info = {
        "modality": cfg.modality.value,
        "method": cfg.method.value,
        "frames": int(data.shape[3]),
        "frame_interval_s": dt,
        "bolus_arrival_frame": arrival,
        "baseline_frames": [int(base.start), int(base.stop)],
        "brain_voxels": int(mask.sum()),
        "aif": _aif_info(aif, times, np.argwhere(mask)),
        "qc": qc,
        "regularisation": {"median": float(np.median(regs)), "p10": float(np.percentile(regs, 10)), "p90": float(np.percentile(regs, 90))},
        "config": cfg.to_dict(),
        "motion": motion_info,
        "timings_s": {k: round(v, 4) for k, v in steps.seconds.items()},  # seconds per step, and the total
        "threads": thread_count(),
    }
    return PerfusionResult(maps, mask, geom, aif, aif_vol, times, info, notes + aif.notes + qc_warnings(qc))


def _aif_info(aif: AifResult, times: np.ndarray, brain_index: np.ndarray) -> dict[str, Any]:
    """The AIF (and VOF) curves with their voxel counts and centroids (``[z, y, x]`` voxel indices)."""
    out: dict[str, Any] = {
        "method": aif.method,
        "voxels": int(aif.voxels.size),
        "peak": float(aif.curve.max()),
        "time_to_peak_s": float(times[int(np.argmax(aif.curve))]),
        "vof_scale": aif.scale,
        "curve": [float(v) for v in aif.curve],
        "location": [round(float(v), 2) for v in brain_index[aif.voxels].mean(axis=0)] if aif.voxels.size else None,
    }
    if aif.vof_curve is not None and aif.vof_voxels is not None and aif.vof_voxels.size:
        out["vof"] = {
            "voxels": int(aif.vof_voxels.size),
            "curve": [float(v) for v in aif.vof_curve],
            "location": [round(float(v), 2) for v in brain_index[aif.vof_voxels].mean(axis=0)],
        }
    return out
