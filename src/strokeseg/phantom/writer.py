"""Writing phantom cohorts in the layouts strokeseg reads (ISLES'18, ISLES'15-SPES, manifest).

Each case also gets a ``strokeseg_truth/`` folder (true CBF, CBV, MTT, Tmax, TTP, tissue
classes, vessel fraction, AIF voxels) and a ``phantom.json`` with every parameter drawn, and
the cohort root gets ``patients.csv`` (case → patient, NIHSS, group) and ``phantom_cohort.json``.
The "vendor" maps written in the layout are computed by strokeseg from the raw series.
"""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from strokeseg.io.geometry import Geometry
from strokeseg.io.itk import write_itk
from strokeseg.io.nifti import write_nifti
from strokeseg.phantom.anatomy import Tissue
from strokeseg.phantom.case import PhantomCase, PhantomConfig, generate_case
from strokeseg.phantom.grid import GridPhantom
from strokeseg.phantom.quirks import QUIRKS, smir_headers, with_vendor_sentinels
from strokeseg.util.seeds import PHANTOM_COHORT_KEY

LAYOUT_CHOICES = ("isles2018", "isles2015-spes", "manifest")
_THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
GROUPS = {"mca": "LVO", "branch": "non-LVO", "small": "non-LVO", "none": "no-stroke"}


def clinical_values(case: PhantomCase, rng: np.random.Generator) -> dict[str, Any]:
    """Group from the occlusion type and an NIHSS drawn around its typical range."""
    kind = case.meta["lesion"]["kind"]
    lo, hi = {"mca": (12, 24), "branch": (4, 12), "small": (1, 7), "none": (0, 3)}[kind]
    frac = case.meta["lesion"].get("core_fraction", 0.0)
    nihss = int(np.clip(round(rng.uniform(lo, hi) + 4 * (frac - 0.35)), 0, 42))
    return {"group": GROUPS[kind], "nihss": nihss}


def vendor_maps(case: PhantomCase, fwhm_mm: float | None = None) -> dict[str, np.ndarray]:
    """CBF, CBV, MTT, Tmax, TTP computed by strokeseg's oSVD pipeline from the raw series.

    The phantom's "vendor" maps use delay-insensitive oSVD, the family commercial packages use,
    whatever strokeseg's own default is, so that the phantom cohorts stay what they were.
    """
    from strokeseg.perfusion.config import Method, PerfusionConfig
    from strokeseg.perfusion.maps import compute_maps

    kw: dict[str, Any] = {"method": Method.OSVD}
    if fwhm_mm is not None:
        kw["spatial_fwhm_mm"] = fwhm_mm
    if case.meta["modality"] == "mr":
        cfg = PerfusionConfig.for_modality("mr", echo_time=case.meta["echo_time_s"], relaxivity_ratio=case.meta["relaxivity_ratio"], **kw)
    else:
        cfg = PerfusionConfig.for_modality("ct", **kw)
    return compute_maps(case.series, cfg, show_progress=False).maps


def _json(obj: Any) -> str:
    def default(o: Any) -> Any:
        if isinstance(o, np.generic):
            return o.item()
        if isinstance(o, np.ndarray):
            return o.tolist()
        return str(o)

    return json.dumps(obj, indent=2, default=default)


def _write_truth(folder: Path, case: PhantomCase) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, arr in case.truth.items():
        write_nifti(folder / f"{name}.nii.gz", arr, case.geometry)
    write_nifti(folder / "tissue.nii.gz", case.tissue, case.geometry, dtype=np.uint8)
    write_nifti(folder / "vessel_fraction.nii.gz", case.vessel_fraction, case.geometry)
    write_nifti(folder / "aif_mask.nii.gz", case.aif_mask, case.geometry, dtype=np.uint8)
    write_nifti(folder / "label.nii.gz", case.label, case.geometry, dtype=np.uint8)


def write_case(root: Path, layout: str, case: PhantomCase, index: int, maps: dict[str, np.ndarray], clinical: dict[str, Any],
               quirks: tuple[str, ...] = ()) -> dict[str, Any]:
    """Write one case; returns its manifest row. ``quirks``: real-file quirks to reproduce
    (:mod:`strokeseg.phantom.quirks`)."""
    g = case.geometry
    ident = 100000 + 10 * index
    unknown = set(quirks) - set(QUIRKS)
    if unknown:
        raise ValueError(f"unknown phantom quirk(s) {', '.join(sorted(unknown))}; choose from {', '.join(QUIRKS)}")
    if "vendor-sentinels" in quirks:  # the head: everything but air (vendors map the whole field of view)
        maps = with_vendor_sentinels(maps, case.tissue != Tissue.AIR, np.random.default_rng([index, 31]))
    if "subacute-mri" in quirks or "dwi-bias-field" in quirks:
        from dataclasses import replace as _replace

        from strokeseg.phantom.quirks import dwi_bias_field, subacute_mri

        qrng = np.random.default_rng([index, 37])
        images = dict(case.images)
        if "subacute-mri" in quirks:
            brain = np.isin(case.tissue, (Tissue.GM, Tissue.WM))
            images = subacute_mri(images, case.label == 2, brain, qrng)
        if "dwi-bias-field" in quirks:
            images = dwi_bias_field(images, qrng)
        case = _replace(case, images=images)
    if layout == "isles2018":
        folder = root / f"case_{index}"
        items: list[tuple[str, np.ndarray, Any]] = [("CT", case.images["CT"], None)]
        items += [(f"CT_{m}", maps[m], None) for m in ("CBF", "CBV", "MTT", "Tmax")]
        items += [("CT_4DPWI", case.series.data, case.series.frame_interval), ("OT", (case.label == 2).astype(np.uint8), None)]
        for k, (mod, arr, dt) in enumerate(items):
            name = f"SMIR.Brain.XX.O.{mod}.{ident + k}"
            write_nifti(folder / name / f"{name}.nii", arr, g, frame_interval=dt, dtype=np.uint8 if mod == "OT" else None)
            if "isles2018-headers" in quirks:
                smir_headers(folder / name / f"{name}.nii")
    elif layout == "isles2015-spes":
        folder = root / str(index)
        mr_items = [(m, case.images[m]) for m in ("T1c", "T2", "DWI", "ADC")] + [(m, maps[m]) for m in ("CBF", "CBV", "TTP", "Tmax")]
        for k, (mod, arr) in enumerate(mr_items):
            name = f"VSD.Brain.XX.O.MR_{mod}.{ident + k}"
            write_itk(folder / name / f"{name}.mha", arr.astype(np.float32), g)
        name = f"VSD.Brain.XX.O.MR_4DPWI.{ident + 8}"
        write_nifti(folder / name / f"{name}.nii.gz", case.series.data, g, frame_interval=case.series.frame_interval)
        name = f"VSD.Brain.XX.O.OT.{ident + 9}"
        write_itk(folder / name / f"{name}.mha", case.label.astype(np.uint8), g)
    elif layout == "manifest":
        folder = root / case.case_id
        folder.mkdir(parents=True, exist_ok=True)
        images = dict(case.images)
        images.update({m: maps[m] for m in ("CBF", "CBV", "MTT", "Tmax", "TTP")})
        if case.meta["modality"] == "ct":  # maximum-intensity projection over time of the CTP series (HU)
            images["MIP"] = case.series.data.max(axis=-1).astype(np.float32)
        for name, arr in images.items():
            write_nifti(folder / f"{name}.nii.gz", arr, g)
        write_nifti(folder / "series.nii.gz", case.series.data, g, frame_interval=case.series.frame_interval)
        write_nifti(folder / "label.nii.gz", case.label, g, dtype=np.uint8)
    else:
        raise ValueError(f"unknown layout {layout!r}; choose from {', '.join(LAYOUT_CHOICES)}")
    _write_truth(folder / "strokeseg_truth", case)
    (folder / "strokeseg_truth" / "phantom.json").write_text(_json({**case.meta, "clinical": clinical}), encoding="utf-8")
    row = {"case_id": folder.name, "patient_id": case.meta["patient_id"], **clinical}
    if layout == "manifest":
        mods = [*case.images, "CBF", "CBV", "MTT", "Tmax", "TTP"] + (["MIP"] if case.meta["modality"] == "ct" else [])
        row.update({f"image:{m}": f"{case.case_id}/{m}.nii.gz" for m in mods})
        row.update({f"series:{'CTP' if case.meta['modality'] == 'ct' else 'PWI'}": f"{case.case_id}/series.nii.gz",
                    "label": f"{case.case_id}/label.nii.gz"})
    return row


def _write_one(out: Path, layout: str, cfg: PhantomConfig, pseed: int, cid: str, slab: int, index: int, patient: str,
               maps_fwhm_mm: float | None, quirks: tuple[str, ...] = ()) -> dict[str, Any]:
    case = generate_case(cfg, pseed, cid, slab=slab)
    case.meta["patient_id"] = patient
    clinical = clinical_values(case, np.random.default_rng([pseed, 17]))
    return write_case(out, layout, case, index, vendor_maps(case, maps_fwhm_mm), clinical, quirks)


def write_cohort(
    out: Path,
    n_cases: int,
    cfg: PhantomConfig,
    layout: str,
    seed: int = 0,
    second_slab_fraction: float = 0.3,
    maps_fwhm_mm: float | None = None,
    on_case: Callable[[int], None] | None = None,
    jobs: int = 1,
    quirks: tuple[str, ...] = (),
) -> list[dict[str, Any]]:
    """Generate and write ``n_cases`` cases (some patients contribute two slabs, CT only).

    Every case's parameters are drawn first from the one seeded stream, so ``jobs`` worker
    processes write exactly the cohort that one process writes.
    """
    rng = np.random.default_rng([seed, PHANTOM_COHORT_KEY])
    plan: list[tuple[PhantomConfig, int, str, int, int, str]] = []
    index, patient = 1, 1
    while index <= n_cases:
        pseed = int(rng.integers(0, 2**31 - 1))
        slabs = 2 if (cfg.modality == "ct" and index < n_cases and rng.random() < second_slab_fraction) else 1
        for slab in range(slabs):
            scfg = replace(cfg, slab_offset_mm=float(rng.uniform(25, 45))) if slab else cfg
            plan.append((scfg, pseed, f"phantom{index:03d}", slab, index, f"patient{patient:03d}"))
            index += 1
        patient += 1
    rows: list[dict[str, Any]] = []
    if jobs <= 1:
        for scfg, pseed, cid, slab, i, pat in plan:
            rows.append(_write_one(out, layout, scfg, pseed, cid, slab, i, pat, maps_fwhm_mm, quirks))
            if on_case:
                on_case(i)
    else:
        # spawn, not fork: the parent may hold torch/OpenMP threads that a forked child would inherit locked;
        # each worker gets its share of the cores (jobs × all-core thread pools would oversubscribe them)
        threads = str(max(1, (os.cpu_count() or 1) // jobs))
        saved = {k: os.environ.get(k) for k in _THREAD_VARS}
        os.environ.update(dict.fromkeys(_THREAD_VARS, threads))
        try:
            with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
                futures = {pool.submit(_write_one, out, layout, *p, maps_fwhm_mm, quirks): p[4] for p in plan}
                for fut in as_completed(futures):
                    fut.result()
                    if on_case:
                        on_case(futures[fut])
                rows = [f.result() for f in futures]  # in plan order
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
    table = io.StringIO()
    keys = ["case_id", "patient_id", "nihss", "group"]
    w = csv.DictWriter(table, fieldnames=keys, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    (out / "patients.csv").write_text(table.getvalue(), encoding="utf-8")
    if layout == "manifest":
        cols = sorted({k for r in rows for k in r}, key=lambda k: (k not in keys, k))
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        (out / "manifest.csv").write_text(buf.getvalue(), encoding="utf-8")
    (out / "phantom_cohort.json").write_text(_json({"layout": layout, "seed": seed, "cases": n_cases, "config": vars(cfg), "rows": rows}), encoding="utf-8")
    return rows


def write_grid(out: Path, grid: GridPhantom) -> None:
    """The grid phantom as a one-case manifest plus ``tiles.csv`` (truth per tile)."""
    g: Geometry = grid.series.geometry
    folder = out / "grid"
    folder.mkdir(parents=True, exist_ok=True)
    write_nifti(folder / "series.nii.gz", grid.series.data, g, frame_interval=grid.series.frame_interval)
    for name, arr in grid.truth.items():
        write_nifti(folder / f"truth_{name}.nii.gz", arr, g)
    write_nifti(folder / "tile.nii.gz", grid.tile, g, dtype=np.int32)
    write_nifti(folder / "aif_mask.nii.gz", grid.aif_mask, g, dtype=np.uint8)
    write_nifti(folder / "brain_mask.nii.gz", grid.tile != -1, g, dtype=np.uint8)
    keys = list(grid.tiles[0])
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=keys, lineterminator="\n")
    w.writeheader()
    w.writerows(grid.tiles)
    (out / "tiles.csv").write_text(buf.getvalue(), encoding="utf-8")
    (out / "manifest.csv").write_text("case_id,series:CTP,mask\ngrid,grid/series.nii.gz,grid/brain_mask.nii.gz\n", encoding="utf-8")
    (out / "grid.json").write_text(_json(grid.meta), encoding="utf-8")
