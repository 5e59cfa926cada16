"""One synthetic acute-stroke case with exact ground truth (CT perfusion or DSC-MRI).

The generator draws a head (:mod:`anatomy`), a lesion (:mod:`lesion`) and per-voxel physiology,
synthesises the raw 4D series from the indicator-dilution model (:mod:`signal`) with
clinical noise, and returns the series, the true parameter maps, the label map (0/1/2) and
the structural images (non-contrast CT; or DWI, ADC, T1c, T2 for MR).

Physiology (defaults, literature values): GM CBF 53 ml/100 g/min, CBV 3.3 ml/100 g; WM 25 and
1.9; ±7 % smooth and ±4 % voxel-wise variation. Oligaemia: CBF 78–95 %, Tmax 3–5.5 s. Penumbra:
CBF 30–70 % of normal (never below 0.42 × the healthy reference, so it is not core by the
clinical rCBF < 30 % rule), CBV 100–125 %, Tmax 6.8–11.5 s. Core: CBF 5–25 % of the healthy
reference, CBV 30–70 %, Tmax 7.5–12.5 s. The label is exactly these regions in grey/white matter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import ndimage

from strokeseg.errors import ConfigError
from strokeseg.io.geometry import Geometry
from strokeseg.io.volume import Series
from strokeseg.kinetics.constants import HEMATOCRIT_FACTOR, TISSUE_DENSITY
from strokeseg.phantom.anatomy import HeadModel, Tissue, tissue_map, vessel_fractions
from strokeseg.phantom.fields import SmoothField
from strokeseg.phantom.lesion import LesionSpec, lesion_masks
from strokeseg.phantom.modes import MIXED, RESIDUE_CHOICES
from strokeseg.phantom.signal import FINE_DT, AifParams, aif_curve, build_table, fft_convolve

RHO, KH = TISSUE_DENSITY, HEMATOCRIT_FACTOR  # the tissue model the perfusion analysis inverts
CT_SLAB_CHOICES = (2, 4, 8, 12, 16, 22)
CT_SLAB_WEIGHTS = (0.22, 0.08, 0.25, 0.12, 0.23, 0.10)


@dataclass(frozen=True)
class PhantomConfig:
    """What to generate; ``None`` fields are drawn at random per case (clinically plausible ranges)."""

    modality: str = "ct"
    slices: int | None = None  # CT: 2–22 slabs of 5 mm; MR: 72 slices of 2 mm
    matrix: tuple[int, int] | None = None  # (Y, X): CT 256×256, MR 110×96
    spacing_xy: float | None = None  # CT 0.86–0.94 mm, MR 2 mm
    frames: int | None = None  # 40–63
    frame_interval: float | None = None  # CT 1–2 s, MR 1.5 s
    noise_hu: float | None = None  # CT: σ 3–5 HU per voxel and frame
    snr: float | None = None  # MR: 20–50 (grey-matter S0 / Rician σ)
    gm_peak_hu: float | None = None  # CT grey-matter peak enhancement 15–25 HU
    gm_signal_drop: float | None = None  # MR grey-matter peak signal drop 28–42 %
    residue: str = "mixed"  # exponential | gamma | box | mixed (exponential or gamma)
    recirculation: bool = True
    p_no_stroke: float = 0.15
    rotation_deg: float | None = None  # ±10°
    lesion: LesionSpec | None = None
    slab_offset_mm: float = 0.0  # shift of the slab centre (a second slab of the same patient)
    echo_time: float = 0.03

    def __post_init__(self) -> None:
        if self.modality not in ("ct", "mr"):
            raise ConfigError(f"modality must be 'ct' or 'mr', got {self.modality!r}")
        if self.residue not in RESIDUE_CHOICES:
            raise ConfigError(f"unknown residue {self.residue!r}")


@dataclass
class PhantomCase:
    """A generated case: series, truth, label, images, and the parameters used."""

    case_id: str
    geometry: Geometry
    series: Series
    truth: dict[str, np.ndarray]  # CBF, CBV, MTT, Tmax, TTP (0 outside grey/white matter)
    label: np.ndarray  # uint8 0/1/2
    tissue: np.ndarray  # uint8 Tissue classes
    images: dict[str, np.ndarray]  # CT: {"CT"}; MR: {"DWI", "ADC", "T1c", "T2"}
    aif_mask: np.ndarray  # voxels with ≥ 50 % arterial blood
    vessel_fraction: np.ndarray  # arterial + venous blood fraction per voxel (partial volume)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def brain(self) -> np.ndarray:
        return np.isin(self.tissue, (Tissue.GM, Tissue.WM))

    @property
    def parenchyma(self) -> np.ndarray:
        """Grey/white matter voxels free of large vessels: where the truth maps describe the signal."""
        result: np.ndarray = self.brain & (self.vessel_fraction == 0)
        return result


def _grid(cfg: PhantomConfig, rng: np.random.Generator, z_center: float) -> Geometry:
    if cfg.modality == "ct":
        nz = cfg.slices or int(rng.choice(CT_SLAB_CHOICES, p=CT_SLAB_WEIGHTS))
        ny, nx = cfg.matrix or (256, 256)
        sxy = cfg.spacing_xy or float(rng.uniform(0.86, 0.94))
        sz = 5.0
    else:
        nz = cfg.slices or 72
        ny, nx = cfg.matrix or (110, 96)
        sxy = cfg.spacing_xy or 2.0
        sz = 2.0
        z_center = 18.0
    origin = (-(nx - 1) / 2 * sxy, -(ny - 1) / 2 * sxy, z_center - (nz - 1) / 2 * sz)
    return Geometry((nz, ny, nx), (sxy, sxy, sz), origin)


def _head_points(geom: Geometry, rot_deg: float, shift: np.ndarray, z_offsets: np.ndarray) -> np.ndarray:
    """Head coordinates of voxel (sub-)samples: ``(S, Z, Y, X, 3)``."""
    nz, ny, nx = geom.shape
    sx, sy, sz = geom.spacing
    xs = geom.origin[0] + np.arange(nx) * sx
    ys = geom.origin[1] + np.arange(ny) * sy
    zs = geom.origin[2] + np.arange(nz) * sz
    a = np.deg2rad(rot_deg)
    c, s = np.cos(a), np.sin(a)
    out = []
    for dz in z_offsets:
        zz, yy, xx = np.meshgrid(zs + dz, ys, xs, indexing="ij")
        wx, wy = xx - shift[0], yy - shift[1]
        out.append(np.stack([c * wx + s * wy, -s * wx + c * wy, zz], axis=-1).astype(np.float32))
    return np.stack(out)


def _below_cortex(head: HeadModel, p0: np.ndarray, depth_mm: float) -> tuple[float, float, float]:
    """Move ``p0`` along the ray from the brain centre to ``depth_mm`` below the brain surface.

    Deterministic in head coordinates, so every slab of a patient shares the same lesion.
    """
    c = np.asarray(head.center)
    ray = p0 - c
    lo, hi = 0.05, 1.5
    for _ in range(40):  # bisection on the ray parameter: depth decreases outwards
        mid = 0.5 * (lo + hi)
        if float(head.depth((c + mid * ray)[None])[0]) > depth_mm:
            lo = mid
        else:
            hi = mid
    return tuple(float(v) for v in c + lo * ray)  # type: ignore[return-value]


def _unit(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Unit-variance field values mapped smoothly onto [lo, hi] (normal CDF)."""
    from scipy.special import ndtr

    result: np.ndarray = lo + (hi - lo) * ndtr(values)
    return result


@dataclass
class _Head:
    """One head on its grid: tissue classes, vessel fractions, and the brain voxels' positions."""

    geom: Geometry
    tissue: np.ndarray
    art_f: np.ndarray
    ven_f: np.ndarray
    bidx: np.ndarray  # flat indices of the brain voxels
    pb: np.ndarray  # (N, 3) brain voxel positions (mm, head frame)
    db: np.ndarray  # (N,) depth below the cortex surface (mm)
    head: HeadModel
    rot: float
    shift: np.ndarray


@dataclass
class _Lesion:
    """The lesion on the brain voxels ``(N,)`` and as ``(Z, Y, X)`` masks."""

    spec: LesionSpec
    hyp_b: np.ndarray
    core_b: np.ndarray
    oli_b: np.ndarray
    hyp: np.ndarray
    core: np.ndarray


@dataclass
class _Synth:
    """What the signal synthesis needs: the head, the core, tissue curves for unit AIF amplitude, vascular curves."""

    head: _Head
    core: np.ndarray
    conc_unit_amp: np.ndarray  # (N, T) brain tissue curves for an AIF of amplitude 1
    ca_t: np.ndarray  # (T,) arterial curve
    cv_t: np.ndarray  # (T,) venous curve
    table: Any
    times: np.ndarray


def _make_head(cfg: PhantomConfig, rng: np.random.Generator, spec: LesionSpec, slab: int) -> _Head:
    z_center = float(np.clip(spec.z_center + rng.uniform(-6, 6), -5.0, 45.0)) + (cfg.slab_offset_mm if slab else 0.0)
    geom = _grid(cfg, rng, z_center)
    rot = cfg.rotation_deg if cfg.rotation_deg is not None else float(rng.uniform(-10, 10))
    shift = np.array([rng.uniform(-8, 8), rng.uniform(-8, 8), 0.0])
    head = HeadModel.random(rng)
    n_sub = 5 if cfg.modality == "ct" else 2
    sz = geom.spacing[2]
    sub = (np.arange(n_sub) + 0.5) / n_sub * sz - sz / 2
    pts_sub = _head_points(geom, rot, shift, sub)
    p = _head_points(geom, rot, shift, np.zeros(1))[0]
    tissue, depth = tissue_map(head, p)
    art_f, ven_f = vessel_fractions(head, pts_sub)
    bidx = np.flatnonzero(np.isin(tissue, (Tissue.GM, Tissue.WM)).ravel())
    return _Head(geom, tissue, art_f, ven_f, bidx, p.reshape(-1, 3)[bidx], depth.ravel()[bidx], head, rot, shift)


def _make_lesion(h: _Head, spec: LesionSpec, rng: np.random.Generator) -> _Lesion:
    if spec.kind == "small":
        spec.center = _below_cortex(h.head, np.asarray(spec.center, float), depth_mm=float(rng.uniform(8.0, 15.0)))
    masks = lesion_masks(spec, h.pb, h.db, rng)
    hyp_b, core_b = masks.hypoperfused, masks.core
    hyp = np.zeros(h.geom.shape, bool)
    core = np.zeros(h.geom.shape, bool)
    hyp.ravel()[h.bidx] = hyp_b
    core.ravel()[h.bidx] = core_b
    if hyp.any():
        dist = ndimage.distance_transform_edt(~hyp, sampling=h.geom.spacing_zyx).ravel()[h.bidx]
        oli_b = ~hyp_b & (dist < spec.oligaemia_mm) & (spec.side * h.pb[:, 0] > 0)
    else:
        oli_b = np.zeros_like(hyp_b)
    return _Lesion(spec, hyp_b, core_b, oli_b, hyp, core)


def _physiology(h: _Head, les: _Lesion, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
    """CBF (ml/100 g/min), CBV (ml/100 g), Tmax target (s), dispersion β per brain voxel, and the reference CBF."""
    pb, spec = h.pb, les.spec
    gm_b = h.tissue.ravel()[h.bidx] == Tissue.GM
    nb = h.bidx.size
    fa, fb, fc, fd = (SmoothField(rng, s)(pb) for s in (25.0, 18.0, 12.0, 30.0))
    g = rng.uniform(0.9, 1.1)
    cbf = np.where(gm_b, 53.0, 25.0) * g * (1.0 + 0.07 * fa + 0.04 * rng.standard_normal(nb))
    cbv = np.where(gm_b, 3.3, 1.9) * (1.0 + 0.06 * fb + 0.03 * rng.standard_normal(nb))
    healthy = ~les.hyp_b & ~les.oli_b
    contra = healthy & (spec.side * pb[:, 0] < 0) if spec.kind != "none" else healthy
    ref = float(np.median(cbf[contra])) if contra.sum() > 50 else 38.0
    tmax_t = _unit(fd, 0.3, 2.0)
    beta = _unit(fc, 0.25, 1.0)
    oli, pen, cor = les.oli_b, les.hyp_b & ~les.core_b, les.core_b
    cbf[oli] *= _unit(fc, 0.78, 0.95)[oli]
    cbv[oli] *= _unit(fb, 1.0, 1.15)[oli]
    tmax_t[oli] = _unit(fa, 3.0, 5.5)[oli]
    beta[oli] = _unit(fd, 0.5, 1.5)[oli]
    cbf[pen] = np.maximum(cbf[pen] * _unit(fc, 0.3, 0.7)[pen], 0.42 * ref)
    cbv[pen] *= _unit(fb, 1.0, 1.25)[pen]
    tmax_t[pen] = _unit(fa, 6.8, 11.5)[pen]
    cbf[cor] = ref * _unit(fc, 0.05, 0.25)[cor]
    cbv[cor] *= _unit(fb, 0.3, 0.7)[cor]
    tmax_t[cor] = _unit(fa, 7.5, 12.5)[cor]
    beta[les.hyp_b] = _unit(fd, 1.0, 3.0)[les.hyp_b]
    return cbf, cbv, tmax_t, beta, ref


def _acquisition(cfg: PhantomConfig, rng: np.random.Generator) -> tuple[np.ndarray, float, AifParams, str]:
    """Frame times (s), the frame interval (s), the AIF's gamma-variate parameters and the residue kind."""
    frames = cfg.frames or int(rng.integers(40, 64))
    dt = cfg.frame_interval or (float(rng.choice([1.0, 1.25, 1.5, 2.0])) if cfg.modality == "ct" else 1.5)
    times = np.arange(frames) * dt
    duration = float(times[-1])
    t0 = float(rng.uniform(6.0, min(14.0, max(6.5, duration - 30.0))))
    aif_p = AifParams(
        t0=t0,
        alpha=float(rng.uniform(2.5, 3.5)),
        beta=float(rng.uniform(1.2, 1.8)),
        amplitude=1.0,
        recirculation=float(rng.uniform(0.08, 0.15)) if cfg.recirculation else 0.0,
    )
    kind = cfg.residue if cfg.residue != MIXED else str(rng.choice(["exponential", "gamma"]))
    return times, dt, aif_p, kind


def _vascular(times: np.ndarray, aif_p: AifParams, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """AIF (arriving 0–1 s after the reference) and VOF (same area, transit ~6 s) sampled at ``times``."""
    duration = float(times[-1])
    tf = np.arange(0.0, duration + 15.0, FINE_DT)
    ca_f = aif_curve(tf, aif_p)
    venous = fft_convolve(ca_f, _gamma_pdf(tf, 6.5, 3.0)) * FINE_DT
    d_art = float(rng.uniform(0.0, 0.8))
    return np.interp(times - d_art, tf, ca_f, left=0.0), np.interp(times, tf, venous, left=0.0)


def generate_case(cfg: PhantomConfig, seed: int, case_id: str = "case", slab: int = 0) -> PhantomCase:
    """Generate one case, deterministically for ``seed``.

    ``slab`` > 0 gives another slab of the same patient (same head, lesion and physiology,
    shifted by ``cfg.slab_offset_mm``, with its own noise and acquisition).
    """
    rng = np.random.default_rng(seed)
    spec = cfg.lesion or LesionSpec.random(rng, cfg.p_no_stroke)
    h = _make_head(cfg, rng, spec, slab)
    les = _make_lesion(h, spec, rng)
    cbf, cbv, tmax_t, beta, ref = _physiology(h, les, rng)
    if slab:
        rng = np.random.default_rng([seed, slab])
    times, dt, aif_p, kind = _acquisition(cfg, rng)
    table = build_table(aif_p, float(times[-1]), kind, shape=3.0, n_mtt=120, dispersion=np.arange(0.0, 3.01, 0.25))
    mi = table.mtt_index(60.0 * cbv / np.maximum(cbf, 1e-3))
    bi = table.dispersion_index(beta)
    mtt_q, res_peak = table.mtt[mi], table.residue_peak[mi, bi]
    delay = np.rint(np.maximum(tmax_t - res_peak, 0.0) / FINE_DT) * FINE_DT
    unit = table.sample(mi, bi, delay, times)  # (V, T): (C_a ⊗ h ⊗ R)(t − d) for unit flow, AIF amplitude 1
    truth = {k: np.zeros(h.geom.shape, np.float32) for k in ("CBF", "CBV", "MTT", "Tmax", "TTP")}
    for name, vals in (
        ("CBF", cbf),
        ("CBV", cbf * mtt_q / 60.0),
        ("MTT", mtt_q),
        ("Tmax", delay + res_peak),
        ("TTP", delay + table.curve_peak_time[mi, bi]),
    ):  # exactly consistent with the quantised parameters
        truth[name].ravel()[h.bidx] = vals
    penumbra = les.hyp & ~les.core
    label = np.zeros(h.geom.shape, np.uint8)
    label[penumbra] = 1
    label[les.core] = 2
    ca_t, cv_t = _vascular(times, aif_p, rng)
    v_ml = h.geom.voxel_volume_ml
    meta: dict[str, Any] = {
        "modality": cfg.modality,
        "seed": int(seed),
        "lesion": vars(spec).copy(),
        "residue": kind,
        "rotation_deg": h.rot,
        "shift_mm": h.shift.tolist(),
        "frames": times.size,
        "frame_interval_s": dt,
        "aif": vars(aif_p).copy(),
        "reference_cbf": ref,
        "volumes_ml": {
            "core": float(les.core.sum() * v_ml),
            "penumbra": float(penumbra.sum() * v_ml),
            "hypoperfused": float(les.hyp.sum() * v_ml),
        },
    }
    flow = (RHO / KH) * (cbf / 6000.0)  # tissue curve = (ρ/kH)·F·(C_a ⊗ h ⊗ R)
    synth = _Synth(h, les.core, unit * flow[:, None], ca_t, cv_t, table, times)
    series, images, extra = (_synth_ct if cfg.modality == "ct" else _synth_mr)(cfg, rng, synth)
    meta.update(extra)
    return PhantomCase(case_id, h.geom, series, truth, label, h.tissue, images, h.art_f >= 0.5, h.art_f + h.ven_f, meta)


def _gamma_pdf(t: np.ndarray, mean: float, shape: float) -> np.ndarray:
    from scipy.special import gammaln

    scale = mean / shape
    tt = np.clip(np.asarray(t, float), 1e-12, None)
    result: np.ndarray = np.exp((shape - 1) * np.log(tt) - tt / scale - gammaln(shape) - shape * np.log(scale))
    return result


def _baseline(tissue: np.ndarray, values: dict[Tissue, float], art_f: np.ndarray, ven_f: np.ndarray, blood: float) -> np.ndarray:
    lut = np.zeros(8, np.float32)
    for k, v in values.items():
        lut[k] = v
    base = lut[tissue]
    f = np.clip(art_f + ven_f, 0, 1)
    result: np.ndarray = (1 - f) * base + f * blood
    return result


def _vessel_mix(curves_vol: np.ndarray, art_f: np.ndarray, ven_f: np.ndarray, ca: np.ndarray, cv: np.ndarray) -> np.ndarray:
    """Blend arterial/venous blood into tissue curves ``(Z, Y, X, T)`` by blood fraction (in place)."""
    vessel = (art_f + ven_f) > 0
    f_a, f_v = art_f[vessel], ven_f[vessel]
    tis = 1.0 - np.clip(f_a + f_v, 0, 1)
    curves_vol[vessel] = tis[:, None] * curves_vol[vessel] + f_a[:, None] * ca[None] + f_v[:, None] * cv[None]
    return curves_vol


def _ct_baseline(sy: _Synth, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """Pre-contrast HU: tissue classes with partial-volume blood, a textured skull, a smooth drift, and the
    core's hypoattenuation (returned, in HU)."""
    geom, tissue, art_f, ven_f = sy.head.geom, sy.head.tissue, sy.head.art_f, sy.head.ven_f
    skull = SmoothField(rng, 12.0)
    nz, ny, nx = geom.shape
    sk = np.zeros(geom.shape, np.float32)
    is_skull = tissue == Tissue.SKULL
    if is_skull.any():
        zz, yy, xx = np.nonzero(is_skull)
        sk[is_skull] = 1100.0 + 250.0 * skull(np.stack([xx * 0.9, yy * 0.9, zz * 5.0], -1))
    hu = {Tissue.AIR: -1000.0, Tissue.SCALP: 40.0, Tissue.CSF: 12.0, Tissue.GM: 35.0, Tissue.WM: 29.0}
    base = np.where(is_skull, sk, _baseline(tissue, hu, art_f, ven_f, 40.0))
    grid = np.meshgrid(np.arange(nz) * 5.0, np.arange(ny) * 0.9, np.arange(nx) * 0.9, indexing="ij")[::-1]
    base = base + 1.5 * SmoothField(rng, 60.0)(np.stack(grid, -1))
    hypo = rng.uniform(1.5, 3.5)
    return np.where(sy.core, base - hypo, base).astype(np.float32), hypo


def _synth_ct(cfg: PhantomConfig, rng: np.random.Generator, sy: _Synth) -> tuple[Series, dict[str, np.ndarray], dict]:
    """The CT perfusion series (HU), the non-contrast CT and what was drawn for them."""
    geom, tissue, art_f, ven_f, bidx = sy.head.geom, sy.head.tissue, sy.head.art_f, sy.head.ven_f, sy.head.bidx
    conc_unit_amp, ca_t, cv_t, table, times = sy.conc_unit_amp, sy.ca_t, sy.cv_t, sy.table, sy.times
    n = len(times)
    # amplitude such that healthy grey matter peaks at the drawn enhancement
    gm_peak = cfg.gm_peak_hu or float(rng.uniform(15.0, 25.0))
    ref_curve = table.sample(table.mtt_index(np.array([3.74])), table.dispersion_index(np.array([0.5])), np.array([1.0]), times)[0]
    amp = gm_peak / ((RHO / KH) * (53.0 / 6000.0) * float(ref_curve.max()))
    noise = cfg.noise_hu or float(rng.uniform(3.0, 5.0))
    base, hypo = _ct_baseline(sy, rng)
    # series = baseline + enhancement + noise, built in place (the series is the big array)
    series = rng.standard_normal((*geom.shape, n), dtype=np.float32)
    series *= noise
    series += base[..., None]
    flat = series.reshape(-1, n)
    flat[bidx] += conc_unit_amp * amp
    vessel = (art_f + ven_f) > 0
    if vessel.any():
        f_a, f_v = art_f[vessel], ven_f[vessel]
        tis = np.clip(f_a + f_v, 0, 1)
        tissue_enh = np.zeros((int(vessel.sum()), n), np.float32)
        vox = np.flatnonzero(vessel.ravel())
        pos = np.searchsorted(bidx, vox)
        is_brain = (pos < bidx.size) & (bidx[np.minimum(pos, bidx.size - 1)] == vox)
        tissue_enh[is_brain] = conc_unit_amp[pos[is_brain]] * amp
        flat[vox] += -tis[:, None] * tissue_enh + amp * (f_a[:, None] * ca_t[None] + f_v[:, None] * cv_t[None])
    scalp = np.flatnonzero((tissue == Tissue.SCALP).ravel())
    flat[scalp] += 0.02 * amp * ca_t[None, :]
    ncct_noise = float(rng.uniform(2.5, 4.0))
    ncct = base + rng.standard_normal(base.shape, dtype=np.float32) * ncct_noise
    s = Series(series, geom, times)
    extra = {
        "aif_peak_hu": float(amp * ca_t.max()),
        "gm_peak_hu": gm_peak,
        "noise_hu": noise,
        "ncct_noise_hu": ncct_noise,
        "core_hypoattenuation_hu": float(hypo),
    }
    return s, {"CT": ncct.astype(np.float32)}, extra


def _rician(rng, signal: np.ndarray, sigma: float) -> np.ndarray:
    re = signal + rng.standard_normal(signal.shape, dtype=np.float32) * sigma
    im = rng.standard_normal(signal.shape, dtype=np.float32) * sigma
    result: np.ndarray = np.sqrt(re * re + im * im).astype(np.float32)
    return result


def _mr_structural(sy: _Synth, rng: np.random.Generator) -> tuple[dict[str, np.ndarray], float]:
    """DWI, ADC (×10⁻⁶ mm²/s), T2 and T1c with the core bright on DWI and dark on ADC; the core's ADC (mm²/s)."""
    geom, tissue, art_f, ven_f, core = sy.head.geom, sy.head.tissue, sy.head.art_f, sy.head.ven_f, sy.core
    adc = np.zeros(geom.shape, np.float32)
    for t_, v in ((Tissue.GM, 0.80e-3), (Tissue.WM, 0.70e-3), (Tissue.CSF, 3.0e-3), (Tissue.ARTERY, 1.5e-3), (Tissue.VEIN, 1.5e-3)):
        adc[tissue == t_] = v
    adc *= 1.0 + 0.04 * rng.standard_normal(adc.shape).astype(np.float32)
    core_adc = rng.uniform(0.38e-3, 0.56e-3)
    adc[core] = core_adc * (1.0 + 0.06 * rng.standard_normal(int(core.sum())))
    t2_values = {Tissue.AIR: 0.0, Tissue.SCALP: 0.7, Tissue.SKULL: 0.05, Tissue.CSF: 2.0, Tissue.GM: 1.0, Tissue.WM: 0.8}
    t1_values = {Tissue.AIR: 0.0, Tissue.SCALP: 0.9, Tissue.SKULL: 0.1, Tissue.CSF: 0.3, Tissue.GM: 0.8, Tissue.WM: 1.0}
    t2 = 1000.0 * _baseline(tissue, t2_values, art_f, ven_f, 0.3)
    t1c = 1000.0 * _baseline(tissue, t1_values, art_f, ven_f, 1.6)
    dwi = t2 * np.exp(-1000.0 * adc)
    img_sigma = 1000.0 / float(rng.uniform(25.0, 40.0))
    images = {
        "DWI": _rician(rng, dwi.astype(np.float32), img_sigma * 0.3),
        "ADC": (adc * 1e6).astype(np.float32),  # ×10⁻⁶ mm²/s
        "T2": _rician(rng, t2.astype(np.float32), img_sigma),
        "T1c": _rician(rng, t1c.astype(np.float32), img_sigma),
    }
    return images, float(core_adc)


def _synth_mr(cfg: PhantomConfig, rng: np.random.Generator, sy: _Synth) -> tuple[Series, dict[str, np.ndarray], dict]:
    """The DSC-MRI series (Rician signal), DWI/ADC/T2/T1c and what was drawn for them."""
    geom, tissue, art_f, ven_f, bidx = sy.head.geom, sy.head.tissue, sy.head.art_f, sy.head.ven_f, sy.head.bidx
    conc_unit_amp, ca_t, cv_t, times = sy.conc_unit_amp, sy.ca_t, sy.cv_t, sy.times
    n = len(times)
    te = cfg.echo_time
    drop = cfg.gm_signal_drop or float(rng.uniform(0.28, 0.42))
    aif_drop = float(rng.uniform(0.6, 0.8))
    # arterial ΔR2* amplitude from the arterial drop; tissue relaxivity ratio from the GM drop
    amp_a = -np.log(1.0 - aif_drop) / te / float(ca_t.max())
    conc = np.zeros((*geom.shape, n), np.float32)
    conc.reshape(-1, n)[bidx] = conc_unit_amp
    gm = tissue == Tissue.GM
    gm_peak_conc = float(np.median(conc[gm].max(axis=1))) if gm.any() else 1.0
    kappa = -np.log(1.0 - drop) / te / (amp_a * max(gm_peak_conc, 1e-9))  # tissue / arterial relaxivity
    dr2 = conc * (amp_a * kappa)
    dr2 = _vessel_mix(dr2, art_f, ven_f, amp_a * ca_t, amp_a * cv_t)
    s0 = 1000.0 * _baseline(
        tissue,
        {Tissue.AIR: 0.0, Tissue.SCALP: 0.6, Tissue.SKULL: 0.05, Tissue.CSF: 1.3, Tissue.GM: 1.0, Tissue.WM: 0.85},
        art_f,
        ven_f,
        0.9,
    )
    snr = cfg.snr or float(rng.uniform(20.0, 50.0))
    sigma = 1000.0 / snr
    signal = s0[..., None] * np.exp(-te * dr2)
    series = _rician(rng, signal, sigma)
    images, core_adc = _mr_structural(sy, rng)
    extra = {
        "snr": snr,
        "gm_signal_drop": drop,
        "aif_signal_drop": aif_drop,
        "echo_time_s": te,
        "relaxivity_ratio": float(kappa),
        "core_adc_1e-6mm2s": float(core_adc * 1e6),
    }
    return Series(series, geom, times), images, extra
