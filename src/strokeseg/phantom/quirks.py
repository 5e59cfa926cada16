"""What real files do that a clean phantom does not: exports that reproduce each quirk.

Each quirk was seen on a real file in ``../shared/data/real`` and broke strokeseg once; the
phantom can write it so that the test suite guards the fix:

* ``isles2018-headers`` — ISLES'18 (SMIR) NIfTI headers: an identity sform with
  ``sform_code 2``, ``qform_code 0``, and the voxel size only in ``pixdim``
  (``real/isles2018/case_1``: pixdim 0.977 × 0.977 × 5 mm);
* ``vendor-sentinels`` — commercial perfusion maps with sentinel backgrounds
  (``real/isles2024-vendor-maps``: CBF 1e-6, Tmax −30 s, MTT down to −3·10⁴, CBV 0 and
  negative values outside the head);
* ``subacute-mri`` — a subacute MRI lesion: bright on DWI (T2 shine-through) with an ADC near
  normal (``isles22/sub-strokecase0001``: lesion ADC 926 against a brain median of 1051 ×10⁻⁶ mm²/s,
  DWI 1.3–1.8× healthy tissue; only 20 % of its voxels have ADC < 620);
* ``dwi-bias-field`` — a smooth multiplicative receive-coil bias on DWI (±20 % across the head);
* ``not-skull-stripped`` — a clinical DWI/ADC as the scanner writes it: scalp with a tissue ADC
  (and fat-residual patches with a low one), bone and air with the ADC a scanner computes from
  noise (the issue's clinical head that got a core of 2.8 litres); the ISLES'22 files are stripped;
* ``adc-mm2s`` / ``adc-1e-3mm2s`` — the ADC written in mm²/s (``real/isles2022-bids`` case 0002)
  or in 10⁻³ mm²/s (cases 0001 and 0004) instead of the clinical 10⁻⁶ mm²/s;
* ``emboli-shower`` — the core replaced by a shower of 8–25 small embolic lesions (0.02–0.4 ml
  each) in one hemisphere (case 0001: 31 components, 6.7 ml in all);
* ``head-motion`` — rigid head motion in the 4D series (CTP or DSC): a third of the frames after the
  second rotated by up to 2° about each axis and shifted by up to 3 mm along each;
* ``wm-adc-near-threshold`` — a white-matter ADC spread of 12 % around 700×10⁻⁶ mm²/s, so that
  about 10 % of healthy white matter lies below 620 (ADC < 620 reads 57–111 ml of healthy tissue on the real cases),
  with the DWI following the ADC.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

#: how the ADC quirks write the ADC (×10⁻⁶ mm²/s times this)
ADC_UNIT_SCALE = {"adc-mm2s": 1e-6, "adc-1e-3mm2s": 1e-3}

#: background values of the ISLES'24 vendor maps (sub-stroke0143), per map
VENDOR_SENTINELS = {"CBF": 1e-6, "Tmax": -30.0, "MTT": -30000.0, "CBV": 0.0, "TTP": -30.0}


def smir_headers(path: Path) -> None:
    """Rewrite a NIfTI file in place with an ISLES'18 (SMIR) header: identity sform (code 2),
    no qform (code 0), the voxel size only in ``pixdim``. The voxels are unchanged."""
    import nibabel as nib

    img: Any = nib.load(str(path))
    data = np.asanyarray(img.dataobj).copy()  # the file is memory-mapped and about to be rewritten
    zooms = img.header.get_zooms()
    new = nib.Nifti1Image(data, np.eye(4))
    new.header.set_sform(np.eye(4), code=2)
    new.header.set_qform(None, code=0)
    new.header["pixdim"][1 : 1 + len(zooms)] = zooms
    new.header.set_xyzt_units("mm", "sec")
    nib.save(new, str(path))


def with_vendor_sentinels(maps: dict[str, np.ndarray], head: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Maps as a vendor writes them: outside ``head`` each holds its sentinel, CBV also a few
    negative values (down to −56, as in the real maps), MTT a spread of large negative numbers."""
    out = {}
    outside = ~head
    for name, arr in maps.items():
        a = np.asarray(arr, dtype=np.float32).copy()
        if name in VENDOR_SENTINELS:
            a[outside] = VENDOR_SENTINELS[name]
        if name == "CBV":
            idx = np.flatnonzero(outside)
            pick = rng.choice(idx, size=max(1, idx.size // 50), replace=False) if idx.size else idx
            a.flat[pick] = -rng.uniform(0.0, 56.0, pick.size)
        if name == "MTT":
            a[outside] = -rng.uniform(0.0, 30000.0, int(outside.sum()))
        out[name] = a
    return out


def subacute_mri(images: dict[str, np.ndarray], core: np.ndarray, brain: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """DWI/ADC of a subacute lesion in ``core``: ADC pseudo-normalised to 1.0–1.2× the healthy
    median, DWI kept 1.3–1.8× the healthy median (the raised T2 of vasogenic oedema)."""
    out = dict(images)
    if "ADC" not in images or "DWI" not in images or not core.any():
        return out
    healthy = brain & ~core
    adc, dwi = images["ADC"].copy(), images["DWI"].copy()
    n = int(core.sum())
    adc[core] = float(np.median(adc[healthy])) * rng.uniform(1.0, 1.2) * (1 + 0.08 * rng.standard_normal(n))
    dwi[core] = float(np.median(dwi[healthy])) * rng.uniform(1.3, 1.8) * (1 + 0.08 * rng.standard_normal(n))
    out["ADC"], out["DWI"] = adc.astype(np.float32), dwi.astype(np.float32)
    return out


def dwi_bias_field(images: dict[str, np.ndarray], rng: np.random.Generator, amplitude: float = 0.2) -> dict[str, np.ndarray]:
    """DWI multiplied by a smooth field exp(a·x + b·y + c·z²) that spans about ±``amplitude``."""
    out = dict(images)
    if "DWI" not in images:
        return out
    z, y, x = (np.linspace(-1.0, 1.0, n) for n in images["DWI"].shape)
    a, b, c = rng.uniform(-1.0, 1.0, 3) * amplitude
    field = np.exp(a * x[None, None, :] + b * y[None, :, None] + c * (z[:, None, None] ** 2))
    out["DWI"] = (images["DWI"] * field).astype(np.float32)
    return out


def _dwi_following_adc(dwi: np.ndarray, adc_old: np.ndarray, adc_new: np.ndarray) -> np.ndarray:
    """The DWI (b = 1000 s/mm²) after its ADC (×10⁻⁶ mm²/s) changed: S ∝ exp(−b·ADC)."""
    result: np.ndarray = (dwi * np.exp(-1e-3 * (adc_new - adc_old))).astype(np.float32)
    return result


def not_skull_stripped(images: dict[str, np.ndarray], tissue: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """DWI/ADC outside the brain as a scanner writes them (``tissue``: the phantom's classes).

    Scalp: ADC 1.0–1.3×10⁻³ mm²/s (skin, muscle) and DWI its fat-suppressed T2 signal, 0.25 of the
    grey matter's T2, times exp(−b·ADC); a fifth of it fat residue with ADC 0.2–0.5×10⁻³ (below the
    core threshold). Bone and air: DWI Rician noise and the ADC of noise (0–3.5×10⁻³). ``images``
    is the MR phantom's set (ADC in ×10⁻⁶ mm²/s)."""
    from strokeseg.phantom.anatomy import Tissue

    out = dict(images)
    if "ADC" not in images or "DWI" not in images:
        return out
    adc, dwi = images["ADC"].copy(), images["DWI"].copy()
    brain_level = float(np.median(dwi[np.isin(tissue, (Tissue.GM, Tissue.WM))]))
    scalp = tissue == Tissue.SCALP
    fat = scalp & (rng.random(tissue.shape) < 0.2)
    n = int(scalp.sum())
    adc[scalp] = rng.uniform(1000.0, 1300.0, n)
    adc[fat] = rng.uniform(200.0, 500.0, int(fat.sum()))
    gm_t2 = brain_level / np.exp(-0.8)
    dwi[scalp] = 0.25 * gm_t2 * np.exp(-1e-3 * adc[scalp]) * (1 + 0.1 * rng.standard_normal(n))
    noise = np.isin(tissue, (Tissue.AIR, Tissue.SKULL))
    sigma = 0.03 * brain_level
    m = int(noise.sum())
    dwi[noise] = np.hypot(sigma * rng.standard_normal(m), sigma * rng.standard_normal(m))
    adc[noise] = rng.uniform(0.0, 3500.0, m)
    out["ADC"], out["DWI"] = adc.astype(np.float32), np.abs(dwi).astype(np.float32)
    return out


def emboli_shower(
    images: dict[str, np.ndarray], label: np.ndarray, brain: np.ndarray, spacing_xyz: tuple[float, float, float], rng: np.random.Generator
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The core replaced by 8–25 small lesions (radius 2–4.5 mm, so 0.02–0.4 ml) in the brain of the
    hemisphere that held it (one hemisphere when there was none), with acute DWI/ADC (ADC
    0.38–0.56×10⁻³ mm²/s, DWI following); the penumbra is kept. Returns the images and the new label."""
    out = dict(images)
    new = label.copy()
    new[new == 2] = 1 if (label == 1).any() else 0
    zz, yy, xx = np.nonzero(brain)
    if zz.size == 0:
        return out, new
    mid = float(xx.mean())
    core = label == 2
    side = (np.nonzero(core)[2].mean() > mid) if core.any() else bool(rng.random() < 0.5)
    pick = np.flatnonzero((xx > mid) == side)
    sz, sy, sx = spacing_xyz[::-1]
    grid = np.indices(label.shape, dtype=np.float32)
    shower = np.zeros(label.shape, bool)
    for _ in range(int(rng.integers(8, 26))):
        c = pick[int(rng.integers(pick.size))]
        r = float(rng.uniform(2.0, 4.5))
        d2 = ((grid[0] - zz[c]) * sz) ** 2 + ((grid[1] - yy[c]) * sy) ** 2 + ((grid[2] - xx[c]) * sx) ** 2
        shower |= d2 <= r * r
    shower &= brain
    new[shower] = 2
    if "ADC" in images and "DWI" in images:
        adc = images["ADC"].copy()
        n = int(shower.sum())
        adc[shower] = rng.uniform(380.0, 560.0) * (1 + 0.06 * rng.standard_normal(n))
        out["DWI"] = _dwi_following_adc(images["DWI"], images["ADC"], adc)
        out["ADC"] = adc.astype(np.float32)
    return out, new


def wm_adc_near_threshold(images: dict[str, np.ndarray], healthy_wm: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Healthy white matter's ADC drawn around 700×10⁻⁶ mm²/s with a 12 % spread (about 10 % of it
    below 620), smoothed over a voxel as real ADC noise is; the DWI follows the ADC."""
    from scipy import ndimage

    out = dict(images)
    if "ADC" not in images or "DWI" not in images or not healthy_wm.any():
        return out
    adc = images["ADC"].copy()
    field = ndimage.gaussian_filter(rng.standard_normal(adc.shape).astype(np.float32), 0.7)
    field /= max(float(field[healthy_wm].std()), 1e-6)
    adc[healthy_wm] = 700.0 * (1 + 0.12 * field[healthy_wm])
    out["DWI"] = _dwi_following_adc(images["DWI"], images["ADC"], adc)
    out["ADC"] = adc.astype(np.float32)
    return out


@dataclass(frozen=True)
class HeadMotion:
    """Rigid head motion: ``fraction`` of the frames after ``first_frame`` each rotated by up to
    ``max_rotation_deg`` about every axis and shifted by up to ``max_shift_mm`` along each."""

    fraction: float = 1 / 3
    max_shift_mm: float = 3.0
    max_rotation_deg: float = 2.0
    first_frame: int = 2


def head_motion(
    data: np.ndarray,
    spacing_xyz: tuple[float, float, float],
    rng: np.random.Generator,
    fill: float = -1000.0,
    spec: HeadMotion = HeadMotion(),
) -> tuple[np.ndarray, dict[int, list[float]]]:
    """A 4D series ``(Z, Y, X, T)`` with rigid head motion (``spec``) about the grid's centre
    (:func:`strokeseg.perfusion.motion.resample_padded`). Returns the series and, per moved frame, the Euler angles (rad) and shift (mm)."""
    import SimpleITK as sitk

    from strokeseg.perfusion.motion import resample_padded

    out = np.array(data, dtype=np.float32, copy=True)
    n = data.shape[3]
    first = spec.first_frame
    k = max(1, round(spec.fraction * (n - first)))
    frames = sorted(int(f) for f in rng.choice(np.arange(first, n), size=min(k, n - first), replace=False))
    centre = [s * (m - 1) / 2 for s, m in zip(spacing_xyz, data.shape[:3][::-1], strict=True)]
    params: dict[int, list[float]] = {}
    for f in frames:
        tx = sitk.Euler3DTransform()
        tx.SetCenter(centre)
        angles = np.radians(rng.uniform(-spec.max_rotation_deg, spec.max_rotation_deg, 3))
        shift = rng.uniform(-spec.max_shift_mm, spec.max_shift_mm, 3)
        tx.SetRotation(*(float(a) for a in angles))
        tx.SetTranslation([float(v) for v in shift])
        out[..., f] = resample_padded(data[..., f], spacing_xyz, tx, fill)
        params[f] = [*(float(a) for a in angles), *(float(v) for v in shift)]
    return out, params
