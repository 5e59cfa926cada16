"""How far DWI/ADC threshold rules can go on the real ISLES'22 case 0001 (a feasibility ceiling).

Case 0001 is subacute: its lesion's ADC is near normal (only 20 % of its voxels have ADC < 620
×10⁻⁶ mm²/s) and it is bright on DWI. This sweeps a family of rules of the kind the literature
uses, on N4-corrected DWI inside the brain eroded by 4 mm, CSF (ADC ≥ 1600, dilated one voxel)
excluded: ``DWI > r × healthy median`` and ``ADC < a × healthy median``, components of at least
``m`` ml, over r ∈ {1.2 … 1.8}, a ∈ {0.8 … 1.1, none}, m ∈ {0.1, 0.5, 1}. The best Dice over the
whole family — an oracle that looks at the truth, so an upper bound for any rule of this
family, not a method — is what the table reports, beside today's ADC < 620 read-out. Writes
``docs/results/mri_core_rules.{json,md}``.

It then chooses a rule the allowed way, on the phantom: 6 acute and 6 subacute MR phantoms
(``--quirk subacute-mri --quirk dwi-bias-field``), the rule ``(ADC < 620 ∧ DWI > g × healthy) ∨
DWI > r × healthy`` with components ≥ m ml, (g, r, m) maximising the mean Dice of both groups;
and measures that one rule, unchanged, on case 0001.

    .venv/bin/python benchmarks/bench_mri_core_rules.py [--shared ../shared]
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
from pathlib import Path

import numpy as np
from scipy import ndimage

REPO = Path(__file__).resolve().parents[1]


def n4(dwi: np.ndarray, brain: np.ndarray) -> np.ndarray:
    import SimpleITK as sitk

    img = sitk.GetImageFromArray(dwi.astype(np.float32))
    mask = sitk.GetImageFromArray(brain.astype(np.uint8))
    f = sitk.N4BiasFieldCorrectionImageFilter()
    f.SetMaximumNumberOfIterations([20, 20])
    f.Execute(sitk.Shrink(img, [2, 2, 2]), sitk.Shrink(mask, [2, 2, 2]))
    return dwi / np.exp(sitk.GetArrayFromImage(f.GetLogBiasFieldAsImage(img)))


def _tissue(adc: np.ndarray, dwi: np.ndarray) -> np.ndarray:
    brain = ndimage.binary_fill_holes((adc > 0) & (dwi > 0))
    return ndimage.binary_erosion(brain, iterations=2) & ~ndimage.binary_dilation(brain & (adc >= 1600), iterations=1)


def combined_rule(adc: np.ndarray, dwi: np.ndarray, voxel_ml: float, g: float, r: float, m: float) -> np.ndarray:
    tissue = _tissue(adc, dwi)
    ref = float(np.median(dwi[tissue]))
    cand = tissue & (((adc < 620) & (dwi > g * ref)) | (dwi > r * ref))
    lab, _ = ndimage.label(cand, np.ones((3, 3, 3), bool))
    keep = np.bincount(lab.ravel()) * voxel_ml >= m
    keep[0] = False
    return keep[lab]


def phantom_choice(work: Path) -> dict:
    """The combined rule's (g, r, m) chosen on acute and subacute MR phantoms."""
    from strokeseg.io.case import load_case
    from strokeseg.io.layouts import open_dataset
    from strokeseg.phantom.case import PhantomConfig
    from strokeseg.workflows.phantom import CohortSpec, write_phantom_cohort

    cfg = PhantomConfig(modality="mr", slices=24, matrix=(80, 80), spacing_xy=2.4, frames=30, p_no_stroke=0.0)
    write_phantom_cohort(work / "acute", CohortSpec(6, cfg, "isles2015-spes", seed=21))
    write_phantom_cohort(work / "subacute", CohortSpec(6, cfg, "isles2015-spes", seed=22, quirks=("subacute-mri", "dwi-bias-field")))
    cases = [(g, load_case(r)) for g in ("acute", "subacute") for r in open_dataset(work / g).cases]

    def dice(p: np.ndarray, t: np.ndarray) -> float:
        return float(2 * (p & t).sum() / max(p.sum() + t.sum(), 1))

    def mean_dice(fn) -> dict[str, float]:
        return {grp: float(np.mean([dice(fn(c), c.label == 2) for k, c in cases if k == grp])) for grp in ("acute", "subacute")}

    adc620 = mean_dice(lambda c: _tissue(c.images["ADC"], c.images["DWI"]) & (c.images["ADC"] < 620))
    best = None
    for g, r, m in itertools.product((1.0, 1.1, 1.2), (1.3, 1.4, 1.5, 1.6, 1.8, 2.0), (0.1, 0.5)):
        d = mean_dice(lambda c, g=g, r=r, m=m: combined_rule(c.images["ADC"], c.images["DWI"], c.geometry.voxel_volume_ml, g, r, m))
        score = (d["acute"] + d["subacute"]) / 2
        if best is None or score > best["score"]:
            best = {"g": g, "r": r, "min_ml": m, "score": score, "phantom_dice": d}
    assert best is not None
    return {"adc620_phantom_dice": adc620, "chosen": best}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=Path(os.environ.get("STROKESEG_SHARED", REPO.parent / "shared")))
    args = ap.parse_args()
    from results import write_results
    from strokeseg.clinical.units import adc_to_micro
    from strokeseg.io.case import load_case
    from strokeseg.io.layouts import open_dataset

    case = load_case(open_dataset(args.shared / "data" / "isles22").cases[0])
    voxel_ml = case.geometry.voxel_volume_ml
    adc, _ = adc_to_micro(case.images["ADC"])
    brain = (adc > 0) & (case.images["DWI"] > 0)
    truth = case.label > 0
    dwi = n4(case.images["DWI"], brain)
    tissue = ndimage.binary_erosion(brain, iterations=2) & ~ndimage.binary_dilation(brain & (adc >= 1600), iterations=1)
    d_ref, a_ref = float(np.median(dwi[tissue])), float(np.median(adc[tissue]))

    def dice(pred: np.ndarray) -> float:
        return float(2 * (pred & truth).sum() / max(pred.sum() + truth.sum(), 1))

    results = []
    for r, a, m in itertools.product((1.2, 1.3, 1.4, 1.5, 1.6, 1.8), (0.8, 0.9, 1.0, 1.1, None), (0.1, 0.5, 1.0)):
        cand = tissue & (dwi > r * d_ref) & (adc < (a * a_ref if a else np.inf))
        lab, _ = ndimage.label(cand, np.ones((3, 3, 3), bool))
        keep = np.bincount(lab.ravel()) * voxel_ml >= m
        keep[0] = False
        pred = keep[lab]
        results.append({"dwi_ratio": r, "adc_ratio": a, "min_ml": m, "dice": dice(pred), "pred_ml": float(pred.sum() * voxel_ml)})
    results.sort(key=lambda x: -x["dice"])
    # the same with left-right asymmetry: DWI against the mirror image about the brain's midline
    # (normal bright structures are symmetric, an infarct is not)
    smooth = ndimage.gaussian_filter(dwi, 1.0)
    xs = np.arange(dwi.shape[2])
    mirror_x = np.clip(np.rint(2 * np.argwhere(tissue)[:, 2].mean() - xs).astype(int), 0, dwi.shape[2] - 1)
    both = tissue & tissue[:, :, mirror_x]
    asym = np.where(both, smooth / np.maximum(smooth[:, :, mirror_x], 1e-3), 0.0)
    asym_results = []
    for q, r, m in itertools.product((1.1, 1.15, 1.2, 1.3, 1.4), (1.0, 1.2, 1.3, 1.4), (0.1, 0.5)):
        lab, _ = ndimage.label(both & (asym > q) & (dwi > r * d_ref), np.ones((3, 3, 3), bool))
        keep = np.bincount(lab.ravel()) * voxel_ml >= m
        keep[0] = False
        pred = keep[lab]
        asym_results.append({"asymmetry": q, "dwi_ratio": r, "min_ml": m, "dice": dice(pred), "pred_ml": float(pred.sum() * voxel_ml)})
    asym_results.sort(key=lambda x: -x["dice"])
    adc620 = tissue & (adc < 620)
    data = {
        "case": "isles22/sub-strokecase0001",
        "truth_ml": float(truth.sum() * voxel_ml),
        "lesion_fraction_adc_below_620": float(np.mean(adc[truth] < 620)),
        "lesion_rdwi_percentiles_10_50_90": np.percentile(dwi[truth] / d_ref, [10, 50, 90]).tolist(),
        "healthy_rdwi_percentiles_90_95_99": np.percentile(dwi[tissue] / d_ref, [90, 95, 99]).tolist(),
        "adc620_inside_tissue": {"dice": dice(adc620), "pred_ml": float(adc620.sum() * voxel_ml)},
        "best_rules": results[:5],
        "rules_tried": len(results),
        "best_asymmetry_rules": asym_results[:5],
        "asymmetry_rules_tried": len(asym_results),
        "truth_components": int(ndimage.label(truth, np.ones((3, 3, 3), bool))[1]),
    }
    table = [
        "| rule | Dice | predicted ml |",
        "|---|---:|---:|",
        f"| ADC < 620 inside the tissue mask | {data['adc620_inside_tissue']['dice']:.3f} | "
        f"{data['adc620_inside_tissue']['pred_ml']:.1f} |",
    ]
    table += [
        f"| DWI > {b['dwi_ratio']:g}× healthy, ADC < {b['adc_ratio'] or '∞'}× healthy, components ≥ {b['min_ml']:g} ml "
        f"(oracle best #{i + 1} of {len(results)}) | {b['dice']:.3f} | {b['pred_ml']:.1f} |"
        for i, b in enumerate(results[:3])
    ]
    b = asym_results[0]
    table.append(
        f"| DWI > {b['asymmetry']:g}× its mirror image and > {b['dwi_ratio']:g}× healthy, components ≥ {b['min_ml']:g} ml "
        f"(oracle best of {len(asym_results)} asymmetry rules) | {b['dice']:.3f} | {b['pred_ml']:.1f} |"
    )
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        ph = phantom_choice(Path(tmp))
    ch = ph["chosen"]
    real = combined_rule(adc, dwi, voxel_ml, ch["g"], ch["r"], ch["min_ml"])
    ph["real_case"] = {"dice": dice(real), "pred_ml": float(real.sum() * voxel_ml)}
    data["phantom_chosen_rule"] = ph
    table.append(
        f"| (ADC < 620 ∧ DWI > {ch['g']:g}×) ∨ DWI > {ch['r']:g}× healthy, components ≥ {ch['min_ml']:g} ml — chosen "
        "on "
        f"the phantom (acute Dice {ch['phantom_dice']['acute']:.2f}, subacute {ch['phantom_dice']['subacute']:.2f}; "
        f"ADC < 620 there: {ph['adc620_phantom_dice']['acute']:.2f} / {ph['adc620_phantom_dice']['subacute']:.2f}) | "
        f"{ph['real_case']['dice']:.3f} | {ph['real_case']['pred_ml']:.1f} |"
    )
    table.append(
        f"\nExpert lesion: {data['truth_ml']:.2f} ml in {data['truth_components']} separate components; "
        f"{100 * data['lesion_fraction_adc_below_620']:.0f} % of it has ADC < 620."
    )
    write_results(
        "mri_core_rules",
        data,
        "DWI/ADC threshold rules on ISLES'22 case 0001 (a ceiling, not a method)",
        "\n".join(table),
        "bench_mri_core_rules.py",
    )
    print("\n".join(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
