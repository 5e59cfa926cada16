"""Writers of tiny datasets in each layout's exact naming (used by io and cli tests)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from strokeseg.io.geometry import Geometry
from strokeseg.io.itk import write_itk
from strokeseg.io.nifti import write_nifti
from strokeseg.preprocessing.prepare import PreparedCase

# Odd sizes on purpose, so no axis is mistaken for another.
SHAPE = (5, 13, 11)  # (Z, Y, X)
GEOM = Geometry(SHAPE, (0.9, 0.8, 5.0), origin=(-10.0, 20.0, 3.0))


def label_volume(shape=SHAPE, core_value=2, pen_value=1, seed=0) -> np.ndarray:
    """Penumbra box with a core box inside, shifted by ``seed`` so cases differ."""
    lab = np.zeros(shape, dtype=np.uint8)
    z, y, x = shape
    s = seed % 2
    lab[1 : z - 1, 2 + s : y // 2 + 2 + s, 2 : x // 2 + 2] = pen_value
    lab[2 : z - 2, 3 + s : y // 2 + s, 3 : x // 2] = core_value
    return lab


def image(shape=SHAPE, seed=0, offset=0.0) -> np.ndarray:
    return (np.random.default_rng(seed).normal(30, 3, shape) + offset).astype(np.float32)


def make_isles2018(root: Path, n_cases: int = 3, with_series: bool = True, patients: bool = True) -> Path:
    ident = 345000
    for i in range(1, n_cases + 1):
        case = root / f"case_{i}"
        for mod in ("CT", "CT_CBF", "CT_CBV", "CT_MTT", "CT_Tmax", "OT", *(("CT_4DPWI",) if with_series else ())):
            ident += 1
            name = f"SMIR.Brain.XX.O.{mod}.{ident}"
            d = case / name
            d.mkdir(parents=True)
            if mod == "OT":
                write_nifti(d / f"{name}.nii", (label_volume(seed=i) == 2).astype(np.uint8), GEOM)
            elif mod == "CT_4DPWI":
                series = np.repeat(image(seed=i)[..., None], 12, axis=-1)
                write_nifti(d / f"{name}.nii", series, GEOM, frame_interval=1.5)
            else:
                write_nifti(d / f"{name}.nii", image(seed=i + ident), GEOM)
    if patients:
        rows = ["case_id,patient_id,nihss,group"] + [f"case_{i},patient{(i + 1) // 2},{10 + i},LVO" for i in range(1, n_cases + 1)]
        (root / "patients.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return root


def make_isles2015(root: Path, spes: bool, n_cases: int = 2, suffix: str = ".mha") -> Path:
    mods = ("T1c", "T2", "DWI", "CBF", "CBV", "TTP", "Tmax") if spes else ("T1", "T2", "DWI", "Flair")
    geom = Geometry((7, 9, 8), (2.0, 2.0, 2.0), origin=(0.0, -5.0, 2.0))
    ident = 70000
    for i in range(1, n_cases + 1):
        case = root / str(i)
        for mod in (*[f"MR_{m}" for m in mods], "OT"):
            ident += 1
            name = f"VSD.Brain.XX.O.{mod}.{ident}"
            d = case / name
            d.mkdir(parents=True)
            if mod == "OT":
                lab = label_volume(shape=geom.shape, seed=i)
                arr = lab if spes else (lab > 0).astype(np.uint8)
            else:
                arr = image(shape=geom.shape, seed=ident)
            if suffix == ".mha":
                write_itk(d / f"{name}.mha", arr, geom)
            else:
                write_nifti(d / f"{name}.nii", arr, geom)
    return root


def make_isles2022(root: Path, n_cases: int = 2, with_mask: bool = True) -> Path:
    geom = Geometry((9, 12, 10), (2.0, 2.0, 2.0))
    flair_geom = Geometry((18, 24, 20), (1.0, 1.0, 1.0), origin=(-0.5, -0.5, -0.5))
    for i in range(1, n_cases + 1):
        sub = f"sub-strokecase{i:04d}"
        ses = root / "rawdata" / sub / "ses-0001"
        (ses / "dwi").mkdir(parents=True)
        (ses / "anat").mkdir(parents=True)
        write_nifti(ses / "dwi" / f"{sub}_ses-0001_dwi.nii.gz", image(geom.shape, seed=i, offset=200), geom)
        write_nifti(ses / "dwi" / f"{sub}_ses-0001_adc.nii.gz", image(geom.shape, seed=i + 50) / 30, geom)
        write_nifti(ses / "anat" / f"{sub}_ses-0001_flair.nii.gz", image(flair_geom.shape, seed=i + 99), flair_geom)
        if with_mask:
            d = root / "derivatives" / sub / "ses-0001"
            d.mkdir(parents=True)
            write_nifti(d / f"{sub}_ses-0001_msk.nii.gz", (label_volume(geom.shape, seed=i) == 2).astype(np.uint8), geom)
    return root


def make_isles2024(root: Path, n_cases: int = 2) -> Path:
    for i in range(1, n_cases + 1):
        sub = f"sub-stroke{i:04d}"
        raw = root / "raw_data" / sub / "ses-01"
        raw.mkdir(parents=True)
        write_nifti(raw / f"{sub}_ses-01_ncct.nii.gz", image(seed=i), GEOM)
        write_nifti(raw / f"{sub}_ses-01_ctp.nii.gz", np.repeat(image(seed=i)[..., None], 10, axis=-1), GEOM, frame_interval=2.0)
        perf = root / "derivatives" / sub / "ses-01" / "perfusion-maps"
        perf.mkdir(parents=True)
        for m in ("cbf", "cbv", "mtt", "tmax"):
            write_nifti(perf / f"{sub}_ses-01_space-ncct_{m}.nii.gz", image(seed=i + 7), GEOM)
        fu = root / "derivatives" / sub / "ses-02"
        fu.mkdir(parents=True)
        write_nifti(fu / f"{sub}_ses-02_space-ncct_lesion-msk.nii.gz", (label_volume(seed=i) == 2).astype(np.uint8), GEOM)
        ph = root / "phenotype" / sub / "ses-01"
        ph.mkdir(parents=True)
        (ph / f"{sub}_ses-01_demographic_baseline.csv").write_text(f"Age,Sex,NIHSS at admission\n70,F,{5 + i}\n", encoding="utf-8")
    return root


def make_manifest(root: Path, n_cases: int = 3, kind: str = "csv") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(1, n_cases + 1):
        cid = f"c{i:02d}"
        write_nifti(root / f"{cid}_ct.nii.gz", image(seed=i), GEOM)
        write_nifti(root / f"{cid}_cbf.nii.gz", image(seed=i + 10), GEOM)
        write_nifti(root / f"{cid}_label.nii.gz", label_volume(seed=i), GEOM)
        rows.append((cid, f"p{(i + 1) // 2}", cid, 8 + i, "LVO" if i % 2 else "non-LVO"))
    if kind == "csv":
        lines = ["case_id,patient_id,image:CT,image:CBF,label,nihss,group"]
        lines += [f"{c},{p},{f}_ct.nii.gz,{f}_cbf.nii.gz,{f}_label.nii.gz,{n},{g}" for c, p, f, n, g in rows]
        (root / "manifest.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    else:
        import yaml

        doc = {
            "reference": "CT",
            "cases": [
                {
                    "case_id": c,
                    "patient_id": p,
                    "images": {"CT": f"{f}_ct.nii.gz", "CBF": f"{f}_cbf.nii.gz"},
                    "label": f"{f}_label.nii.gz",
                    "clinical": {"nihss": n, "group": g},
                }
                for c, p, f, n, g in rows
            ],
        }
        (root / "manifest.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    return root


def shared_or_skip(path: Path) -> Path:
    """``path`` below ../shared (or $STROKESEG_SHARED), or skip the test saying where it was looked for."""
    import pytest

    if not path.exists():
        pytest.skip(f"reference data not found at {path} (only CI and developer checkouts have ../shared)")
    return path


REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("STROKESEG_SHARED", REPO.parent / "shared"))
ISLES22_CASE = SHARED / "data" / "isles22" / "sub-strokecase0001"
OSIPI_CSV = SHARED / "data" / "osipi-dsc" / "dsc_data.csv"

SMALL_CT = dict(slices=2, matrix=(96, 96), spacing_xy=2.4, frames=40, frame_interval=1.5)


def small_ct_cohort(root: Path, n_cases: int, seed: int, all_strokes: bool = True) -> Path:
    """A small CT phantom cohort (:data:`SMALL_CT`, ISLES'18 layout, one slab per case) at ``root``;
    with ``all_strokes`` every case has a lesion."""
    from strokeseg.phantom.case import PhantomConfig
    from strokeseg.workflows.phantom import CohortSpec, write_phantom_cohort

    cfg = PhantomConfig(**SMALL_CT, p_no_stroke=0.0) if all_strokes else PhantomConfig(**SMALL_CT)
    write_phantom_cohort(root, CohortSpec(n_cases, cfg, "isles2018", seed=seed, second_slab_fraction=0.0))
    return root


def synthetic_case(i: int, shape=(3, 40, 40), channels=2) -> PreparedCase:
    rng = np.random.default_rng(i)
    brain = np.zeros(shape, bool)
    brain[:, 4:36, 4:36] = True
    target = np.zeros(shape, np.uint8)
    cy, cx = 12 + 3 * (i % 4), 14 + 2 * (i % 5)
    target[:, cy : cy + 6, cx : cx + 7] = 1
    x = rng.normal(0, 1, (channels, *shape)).astype(np.float32)
    x[0] += 3.0 * target  # the lesion is bright in channel 0
    label = np.where(target > 0, 2, 0).astype(np.uint8)
    return PreparedCase(
        f"c{i}",
        f"p{i // 2}",
        x,
        brain,
        target,
        label,
        Geometry(shape, (1.0, 1.0, 5.0)),
        [f"m{k}" for k in range(channels)],
        group="LVO" if i % 2 else "non-LVO",
    )
