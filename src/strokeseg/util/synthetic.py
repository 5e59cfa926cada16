"""Small synthetic label volumes with irregular lesions, for tests and the quick demo."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy import ndimage

from strokeseg.io.geometry import Geometry
from strokeseg.io.nifti import write_nifti


def irregular_blob(shape: tuple[int, int, int], center: tuple[float, float, float], radius: float,
                   rng: np.random.Generator, roughness: float = 0.35, spacing=(1.0, 1.0, 1.0)) -> np.ndarray:
    """A smooth random blob: a sphere (radius in mm) whose surface is perturbed by low-pass noise."""
    zz, yy, xx = np.meshgrid(*[np.arange(s) * sp for s, sp in zip(shape, spacing)], indexing="ij")
    c = [ci * sp for ci, sp in zip(center, spacing)]
    r = np.sqrt((zz - c[0]) ** 2 + (yy - c[1]) ** 2 + (xx - c[2]) ** 2)
    noise = ndimage.gaussian_filter(rng.standard_normal(shape), sigma=[max(1.0, radius / (3 * sp)) for sp in spacing])
    noise /= noise.std() + 1e-9
    return r < radius * (1.0 + roughness * noise)


def write_label_demo(out: Path, seed: int = 0, n_cases: int = 4) -> tuple[Path, Path]:
    """A manifest dataset of ``n_cases`` label maps (core inside penumbra) and noisy predictions of them."""
    rng = np.random.default_rng(seed)
    shape = (12, 64, 64)
    geom = Geometry(shape, (2.0, 2.0, 5.0))
    data, preds = out / "data", out / "predictions"
    data.mkdir(parents=True, exist_ok=True)
    preds.mkdir(parents=True, exist_ok=True)
    rows = ["case_id,patient_id,image:CT,label,group"]
    for i in range(n_cases):
        cid = f"demo{i + 1:02d}"
        center = (6.0, 32 + rng.uniform(-6, 6), 20 + rng.uniform(-4, 4))
        hyp = irregular_blob(shape, center, 14 + 4 * i, rng, spacing=geom.spacing_zyx)
        core = irregular_blob(shape, center, 7 + 2 * i, rng, spacing=geom.spacing_zyx) & hyp
        label = np.where(core, 2, np.where(hyp, 1, 0)).astype(np.uint8)
        ct = (30 + 3 * rng.standard_normal(shape) - 4 * core).astype(np.float32)
        write_nifti(data / f"{cid}_ct.nii.gz", ct, geom)
        write_nifti(data / f"{cid}_label.nii.gz", label, geom)
        # A plausible prediction: the truth eroded/dilated a little, plus a spurious blob in one case.
        pred_core = ndimage.binary_dilation(core, iterations=int(rng.integers(1, 3)))
        pred_hyp = ndimage.binary_erosion(hyp, iterations=1) | pred_core
        if i == n_cases - 1:
            pred_hyp |= irregular_blob(shape, (6.0, 50.0, 50.0), 5.0, rng, spacing=geom.spacing_zyx)
        pred = np.where(pred_core, 2, np.where(pred_hyp, 1, 0)).astype(np.uint8)
        write_nifti(preds / f"{cid}.nii.gz", pred, geom)
        rows.append(f"{cid},p{i // 2 + 1},{cid}_ct.nii.gz,{cid}_label.nii.gz,{'LVO' if i % 2 == 0 else 'non-LVO'}")
    (data / "manifest.csv").write_text("\n".join(rows) + "\n")
    return data, preds
