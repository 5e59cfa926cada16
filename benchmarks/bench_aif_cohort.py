"""Automatic AIF on CT phantom cohorts, with and without VOF partial-volume scaling, against the truth.

Thin slabs (2 × 5 mm, as in ISLES'18) often hold only small or partial-volume arteries; an AIF
from them peaks too low, and CBF and CBV — both divided by the AIF's area — come out too high by
the same factor. Scaling the AIF to the area of the venous output function corrects that (the
sagittal sinus is in almost every slab). For every case this prints the AIF's peak against the
phantom's true arterial peak, the median ratio of estimated to true CBF in healthy parenchyma
(grey/white matter without large vessels, outside the lesion) and the median Tmax error there,
once without and once with VOF scaling (``PerfusionConfig.vof_correction``).

    .venv/bin/python benchmarks/bench_aif_cohort.py                    # the CT-2D cohort in bench-output/ct_cohort_20
    .venv/bin/python benchmarks/bench_aif_cohort.py --seeds 1000:1020  # the threshold cohort's phantoms
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from phantom_cases import parse_cases, zyx
from strokeseg.io.case import load_case
from strokeseg.io.geometry import Geometry
from strokeseg.io.layouts import open_dataset
from strokeseg.io.volume import Series
from strokeseg.perfusion.config import PerfusionConfig
from strokeseg.perfusion.maps import compute_maps
from strokeseg.perfusion.run import case_series
from strokeseg.phantom.anatomy import Tissue
from strokeseg.phantom.case import PhantomConfig, generate_case


class Truth:
    """What the comparison needs from a phantom case."""

    def __init__(
        self,
        cbf: np.ndarray,
        cbv: np.ndarray,
        tmax: np.ndarray,
        label: np.ndarray,
        tissue: np.ndarray,
        vessels: np.ndarray,
        aif_peak: float,
        arterial_voxels: int,
    ) -> None:
        self.cbf, self.cbv, self.tmax, self.label = cbf, cbv, tmax, label
        self.healthy = np.isin(tissue, (Tissue.GM, Tissue.WM)) & (vessels == 0) & (label == 0) & (cbf > 0)
        self.aif_peak, self.arterial_voxels = aif_peak, arterial_voxels


def from_cohort(root: Path) -> Iterator[tuple[str, Series, Geometry, Truth]]:
    refs = sorted(open_dataset(root), key=lambda r: int(r.case_id.split("_")[1]))
    if not refs:
        raise SystemExit(f"{root}: no cases (run benchmarks/bench_ct2d_cohort.py first, or pass --seeds)")
    for ref in refs:
        case = load_case(ref, with_series=True)
        _, series = case_series(case)
        t = root / ref.case_id / "strokeseg_truth"
        meta = json.loads((t / "phantom.json").read_text(encoding="utf-8"))
        truth = Truth(
            zyx(t / "CBF.nii.gz"),
            zyx(t / "CBV.nii.gz"),
            zyx(t / "Tmax.nii.gz"),
            zyx(t / "label.nii.gz"),
            zyx(t / "tissue.nii.gz"),
            zyx(t / "vessel_fraction.nii.gz"),
            float(meta["aif_peak_hu"]),
            int((zyx(t / "aif_mask.nii.gz") > 0).sum()),
        )
        yield ref.case_id, series, case.geometry, truth


def from_seeds(first: int, stop: int) -> Iterator[tuple[str, Series, Geometry, Truth]]:
    for seed in range(first, stop):
        c = generate_case(PhantomConfig(), seed)
        truth = Truth(
            c.truth["CBF"],
            c.truth["CBV"],
            c.truth["Tmax"],
            c.label,
            c.tissue,
            c.vessel_fraction,
            float(c.meta["aif_peak_hu"]),
            int(c.aif_mask.sum()),
        )
        yield f"seed {seed}", c.series, c.geometry, truth


def main() -> None:
    cases = parse_cases(__doc__, from_cohort, from_seeds)
    t0 = time.perf_counter()
    print(
        f"{'case':>10} {'slices':>6} {'arterial vox':>12} {'true AIF peak':>13} | "
        f"{'AIF peak':>8} {'CBF est/true':>12} {'CBV est/true':>12} {'ΔTmax s':>7} | {'VOF scale':>9} {'AIF peak':>8} "
        f"{'CBF est/true':>12} {'CBV est/true':>12} {'ΔTmax s':>7}"
    )
    ratios: dict[bool, list[float]] = {False: [], True: []}
    cbv_ratios: dict[bool, list[float]] = {False: [], True: []}
    peaks: dict[bool, list[float]] = {False: [], True: []}
    arterial: list[bool] = []
    for name, series, _geom, truth in cases:
        cols = []
        for vof in (False, True):
            res = compute_maps(series, PerfusionConfig.for_modality("ct", vof_correction=vof), show_progress=False)
            h = truth.healthy & res.brain_mask
            ratio = float(np.median(res.maps["CBF"][h] / truth.cbf[h]))
            cbv_ratio = float(np.median(res.maps["CBV"][h] / truth.cbv[h]))
            cbv_ratios[vof].append(cbv_ratio)
            dtmax = float(np.median(res.maps["Tmax"][h] - truth.tmax[h]))
            ratios[vof].append(ratio)
            peaks[vof].append(float(res.aif.curve.max()) / truth.aif_peak)
            scale = f"{res.aif.scale:9.2f} " if vof else ""
            cols.append(f"{scale}{res.aif.curve.max():8.0f} {ratio:12.2f} {cbv_ratio:12.2f} {dtmax:7.2f}")
        arterial.append(truth.arterial_voxels > 0)
        print(
            f"{name:>10} {series.data.shape[0]:6d} {truth.arterial_voxels:12d} {truth.aif_peak:13.0f} | {cols[0]} | {cols[1]}", flush=True
        )
    art = np.asarray(arterial)
    for vof in (False, True):
        r, pk, v = np.asarray(ratios[vof]), np.asarray(peaks[vof]), np.asarray(cbv_ratios[vof])
        print(
            f"\nVOF scaling {'on ' if vof else 'off'}: AIF peak within 15 % of the true arterial peak in "
            f"{int((np.abs(pk - 1) <= 0.15).sum())}/{pk.size} cases; CBF est/true median {np.median(r):.2f}, "
            f"spread (max/min) {r.max() / r.min():.1f}× over all cases, {r[art].max() / r[art].min():.1f}× over the "
            f"{int(art.sum())} whose slab holds arterial voxels; more than 2× too high in {int((r > 2).sum())}; "
            f"CBV est/true median {np.median(v):.2f}, spread {v.max() / v.min():.1f}× / {v[art].max() / v[art].min():.1f}×",
            end="",
        )
    print(f"\n{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
