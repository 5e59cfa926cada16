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
* ``dwi-bias-field`` — a smooth multiplicative receive-coil bias on DWI (±20 % across the head).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

QUIRKS = ("isles2018-headers", "vendor-sentinels", "subacute-mri", "dwi-bias-field")

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
