"""Writing phantom cohorts in the layouts strokeseg reads (ISLES'18, ISLES'15-SPES, manifest).

Each case also gets a ``strokeseg_truth/`` folder (true CBF, CBV, MTT, Tmax, TTP, tissue
classes, vessel fraction, AIF voxels) and a ``phantom.json`` with every parameter drawn, and
the cohort root gets ``patients.csv`` (case → patient, NIHSS, group) and ``phantom_cohort.json``.
The "vendor" maps written in the layout are computed by strokeseg from the raw series.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from strokeseg.errors import ConfigError
from strokeseg.io.geometry import Geometry
from strokeseg.io.itk import write_itk
from strokeseg.io.nifti import write_nifti
from strokeseg.phantom.anatomy import Tissue
from strokeseg.phantom.case import PhantomCase, PhantomConfig, generate_case
from strokeseg.phantom.grid import GridPhantom
from strokeseg.phantom.modes import QUIRKS, PhantomLayout
from strokeseg.phantom.quirks import smir_headers, with_vendor_sentinels
from strokeseg.tables import csv_text
from strokeseg.util.pool import run_in_processes
from strokeseg.util.seeds import PHANTOM_COHORT_KEY

LAYOUT_CHOICES = tuple(layout.value for layout in PhantomLayout)
GROUPS = {"mca": "LVO", "branch": "non-LVO", "small": "non-LVO", "none": "no-stroke"}


def clinical_values(case: PhantomCase, rng: np.random.Generator) -> dict[str, Any]:
    """Group from the occlusion type, an NIHSS drawn around its typical range, and an age of 45–90 years
    (drawn after the NIHSS, so that adding it left the NIHSS of every seed unchanged)."""
    kind = case.meta["lesion"]["kind"]
    lo, hi = {"mca": (12, 24), "branch": (4, 12), "small": (1, 7), "none": (0, 3)}[kind]
    frac = case.meta["lesion"].get("core_fraction", 0.0)
    nihss = int(np.clip(round(rng.uniform(lo, hi) + 4 * (frac - 0.35)), 0, 42))
    age = round(rng.uniform(45, 90))
    return {"group": GROUPS[kind], "nihss": nihss, "age": age}


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


def _with_quirks(
    case: PhantomCase, maps: dict[str, np.ndarray], index: int, quirks: tuple[str, ...]
) -> tuple[PhantomCase, dict[str, np.ndarray]]:
    """The case and maps with real-file quirks applied (:mod:`strokeseg.phantom.quirks`)."""
    unknown = set(quirks) - set(QUIRKS)
    if unknown:
        raise ConfigError(f"unknown phantom quirk(s) {', '.join(sorted(unknown))}; choose from {', '.join(QUIRKS)}")
    if "vendor-sentinels" in quirks:  # the head: everything but air (vendors map the whole field of view)
        maps = with_vendor_sentinels(maps, case.tissue != Tissue.AIR, np.random.default_rng([index, 31]))
    if "head-motion" in quirks:
        from strokeseg.io.volume import Series
        from strokeseg.phantom.quirks import head_motion

        s = case.series
        fill = -1000.0 if case.meta["modality"] == "ct" else 0.0
        data, moved = head_motion(s.data, s.geometry.spacing, np.random.default_rng([index, 53]), fill=fill)
        case = replace(case, series=Series(data, s.geometry, s.frame_times), meta={**case.meta, "head_motion": moved})
    mri = ("subacute-mri", "dwi-bias-field", "not-skull-stripped", "adc-mm2s", "adc-1e-3mm2s", "emboli-shower", "wm-adc-near-threshold")
    if any(q in quirks for q in mri):
        case = _mri_quirks(case, index, quirks)
    return case, maps


def _mri_quirks(case: PhantomCase, index: int, quirks: tuple[str, ...]) -> PhantomCase:
    """The DWI/ADC quirks, in the order a real file gets them (lesion, tissue, coil, scanner output, unit)."""
    from strokeseg.phantom import quirks as q

    qrng = np.random.default_rng([index, 37])
    images, label = dict(case.images), case.label
    brain = np.isin(case.tissue, (Tissue.GM, Tissue.WM))
    if "emboli-shower" in quirks:
        images, label = q.emboli_shower(images, label, brain, case.geometry.spacing, np.random.default_rng([index, 41]))
    if "subacute-mri" in quirks:
        images = q.subacute_mri(images, label == 2, brain, qrng)
    if "wm-adc-near-threshold" in quirks:
        images = q.wm_adc_near_threshold(images, (case.tissue == Tissue.WM) & (label != 2), np.random.default_rng([index, 43]))
    if "dwi-bias-field" in quirks:
        images = q.dwi_bias_field(images, qrng)
    if "not-skull-stripped" in quirks:
        images = q.not_skull_stripped(images, case.tissue, np.random.default_rng([index, 47]))
    for name, scale in q.ADC_UNIT_SCALE.items():
        if name in quirks and "ADC" in images:
            images["ADC"] = (images["ADC"].astype(np.float64) * scale).astype(np.float32)
    return replace(case, images=images, label=label)


def _write_isles2018(root: Path, case: PhantomCase, index: int, maps: dict[str, np.ndarray], quirks: tuple[str, ...]) -> Path:
    folder, g, ident = root / f"case_{index}", case.geometry, 100000 + 10 * index
    items: list[tuple[str, np.ndarray, Any]] = [("CT", case.images["CT"], None)]
    items += [(f"CT_{m}", maps[m], None) for m in ("CBF", "CBV", "MTT", "Tmax")]
    items += [("CT_4DPWI", case.series.data, case.series.frame_interval), ("OT", (case.label == 2).astype(np.uint8), None)]
    for k, (mod, arr, dt) in enumerate(items):
        name = f"SMIR.Brain.XX.O.{mod}.{ident + k}"
        write_nifti(folder / name / f"{name}.nii", arr, g, frame_interval=dt, dtype=np.uint8 if mod == "OT" else None)
        if "isles2018-headers" in quirks:
            smir_headers(folder / name / f"{name}.nii")
    return folder


def _write_spes(root: Path, case: PhantomCase, index: int, maps: dict[str, np.ndarray]) -> Path:
    folder, g, ident = root / str(index), case.geometry, 100000 + 10 * index
    items = [(m, case.images[m]) for m in ("T1c", "T2", "DWI", "ADC")] + [(m, maps[m]) for m in ("CBF", "CBV", "TTP", "Tmax")]
    for k, (mod, arr) in enumerate(items):
        name = f"VSD.Brain.XX.O.MR_{mod}.{ident + k}"
        write_itk(folder / name / f"{name}.mha", arr.astype(np.float32), g)
    name = f"VSD.Brain.XX.O.MR_4DPWI.{ident + 8}"
    write_nifti(folder / name / f"{name}.nii.gz", case.series.data, g, frame_interval=case.series.frame_interval)
    name = f"VSD.Brain.XX.O.OT.{ident + 9}"
    write_itk(folder / name / f"{name}.mha", case.label.astype(np.uint8), g)
    return folder


def _write_manifest_case(root: Path, case: PhantomCase, maps: dict[str, np.ndarray]) -> tuple[Path, dict[str, str]]:
    folder, g = root / case.case_id, case.geometry
    folder.mkdir(parents=True, exist_ok=True)
    images = dict(case.images)
    images.update({m: maps[m] for m in ("CBF", "CBV", "MTT", "Tmax", "TTP")})
    ct = case.meta["modality"] == "ct"
    if ct:  # maximum-intensity projection over time of the CTP series (HU)
        images["MIP"] = case.series.data.max(axis=-1).astype(np.float32)
    for name, arr in images.items():
        write_nifti(folder / f"{name}.nii.gz", arr, g)
    write_nifti(folder / "series.nii.gz", case.series.data, g, frame_interval=case.series.frame_interval)
    write_nifti(folder / "label.nii.gz", case.label, g, dtype=np.uint8)
    mods = [*case.images, "CBF", "CBV", "MTT", "Tmax", "TTP"] + (["MIP"] if ct else [])
    columns = {f"image:{m}": f"{case.case_id}/{m}.nii.gz" for m in mods}
    columns.update({f"series:{'CTP' if ct else 'PWI'}": f"{case.case_id}/series.nii.gz", "label": f"{case.case_id}/label.nii.gz"})
    return folder, columns


def write_case(
    root: Path,
    layout: str,
    case: PhantomCase,
    index: int,
    maps: dict[str, np.ndarray],
    clinical: dict[str, Any],
    quirks: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Write one case in ``layout`` with its ``strokeseg_truth/``; returns its manifest row. ``quirks``: real-file
    quirks to reproduce (:mod:`strokeseg.phantom.quirks`)."""
    case, maps = _with_quirks(case, maps, index, quirks)
    columns: dict[str, str] = {}
    if layout == "isles2018":
        folder = _write_isles2018(root, case, index, maps, quirks)
    elif layout == "isles2015-spes":
        folder = _write_spes(root, case, index, maps)
    elif layout == "manifest":
        folder, columns = _write_manifest_case(root, case, maps)
    else:
        raise ConfigError(f"unknown layout {layout!r}; choose from {', '.join(LAYOUT_CHOICES)}")
    _write_truth(folder / "strokeseg_truth", case)
    (folder / "strokeseg_truth" / "phantom.json").write_text(_json({**case.meta, "clinical": clinical}), encoding="utf-8")
    return {"case_id": folder.name, "patient_id": case.meta["patient_id"], **clinical, **columns}


MapMaker = Callable[[PhantomCase, "float | None"], dict[str, np.ndarray]]


@dataclass(frozen=True)
class CohortSpec:
    """A phantom cohort: ``n_cases`` cases of ``config`` in ``layout``, drawn from ``seed``.

    ``second_slab_fraction`` of the CT patients contribute a second slab (a second case);
    ``maps_fwhm_mm`` is the in-plane smoothing of the vendor-style maps (None: the default);
    ``quirks`` are real-file quirks to reproduce (:mod:`strokeseg.phantom.quirks`).
    """

    n_cases: int
    config: PhantomConfig
    layout: str
    seed: int = 0
    second_slab_fraction: float = 0.3
    maps_fwhm_mm: float | None = None
    quirks: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Planned:
    config: PhantomConfig
    seed: int
    case_id: str
    slab: int
    index: int
    patient: str


def _write_one(out: Path, spec: CohortSpec, job: _Planned, maps: MapMaker) -> dict[str, Any]:
    case = generate_case(job.config, job.seed, job.case_id, slab=job.slab)
    case.meta["patient_id"] = job.patient
    clinical = clinical_values(case, np.random.default_rng([job.seed, 17]))
    return write_case(out, spec.layout, case, job.index, maps(case, spec.maps_fwhm_mm), clinical, spec.quirks)


def plan_cohort(spec: CohortSpec) -> list[_Planned]:
    """Every case's parameters, drawn in order from the cohort's one seeded stream."""
    rng = np.random.default_rng([spec.seed, PHANTOM_COHORT_KEY])
    plan: list[_Planned] = []
    index, patient = 1, 1
    cfg = spec.config
    while index <= spec.n_cases:
        pseed = int(rng.integers(0, 2**31 - 1))
        slabs = 2 if (cfg.modality == "ct" and index < spec.n_cases and rng.random() < spec.second_slab_fraction) else 1
        for slab in range(slabs):
            scfg = replace(cfg, slab_offset_mm=float(rng.uniform(25, 45))) if slab else cfg
            plan.append(_Planned(scfg, pseed, f"phantom{index:03d}", slab, index, f"patient{patient:03d}"))
            index += 1
        patient += 1
    return plan


def write_cohort(
    out: Path, spec: CohortSpec, maps: MapMaker, jobs: int = 1, on_case: Callable[[int], None] | None = None
) -> list[dict[str, Any]]:
    """Generate and write a cohort; ``maps(case, fwhm_mm)`` gives each case's vendor-style maps.

    Every case's parameters are drawn first (:func:`plan_cohort`), so ``jobs`` worker processes
    write exactly the cohort that one process writes. Returns the manifest rows in case order.
    """
    plan = plan_cohort(spec)
    rows: list[dict[str, Any]] = [{} for _ in plan]
    if jobs <= 1:
        for i, job in enumerate(plan):
            rows[i] = _write_one(out, spec, job, maps)
            if on_case:
                on_case(job.index)
    else:
        for i, row in run_in_processes(_write_one, [(out, spec, job, maps) for job in plan], jobs):
            rows[i] = row
            if on_case:
                on_case(plan[i].index)
    _write_tables(out, spec, rows)
    return rows


def _write_tables(out: Path, spec: CohortSpec, rows: list[dict[str, Any]]) -> None:
    keys = ["case_id", "patient_id", "nihss", "age", "group"]
    (out / "patients.csv").write_text(csv_text(rows, keys), encoding="utf-8")
    if spec.layout == "manifest":
        cols = sorted({k for r in rows for k in r}, key=lambda k: (k not in keys, k))
        (out / "manifest.csv").write_text(csv_text(rows, cols, extra="raise"), encoding="utf-8")
    cohort = {"layout": spec.layout, "seed": spec.seed, "cases": spec.n_cases, "config": vars(spec.config), "rows": rows}
    (out / "phantom_cohort.json").write_text(_json(cohort), encoding="utf-8")


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
    (out / "tiles.csv").write_text(csv_text(grid.tiles, list(grid.tiles[0]), extra="raise"), encoding="utf-8")
    (out / "manifest.csv").write_text("case_id,series:CTP,mask\ngrid,grid/series.nii.gz,grid/brain_mask.nii.gz\n", encoding="utf-8")
    (out / "grid.json").write_text(_json(grid.meta), encoding="utf-8")
