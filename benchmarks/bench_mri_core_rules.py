"""How far DWI/ADC threshold rules can go on the real ISLES'22 case 0001 (a feasibility ceiling).

Case 0001 is subacute: its lesion's ADC is near normal (only 20 % of its voxels have ADC < 620
×10⁻⁶ mm²/s) and it is bright on DWI. This sweeps a family of rules of the kind the literature
uses, on N4-corrected DWI inside the brain eroded by 4 mm, CSF (ADC ≥ 1600, dilated one voxel)
excluded: ``DWI > r × healthy median`` and ``ADC < a × healthy median``, components of at least
``m`` ml, over r ∈ {1.2 … 1.8}, a ∈ {0.8 … 1.1, none}, m ∈ {0.1, 0.5, 1}. The best Dice over the
whole family — an oracle that looks at the truth, so an upper bound for any rule of this
family, not a method — is what the table reports, beside today's ADC < 620 read-out. Writes
``docs/results/mri_core_rules.{json,md}``.

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
    adc620 = tissue & (adc < 620)
    data = {"case": "isles22/sub-strokecase0001", "truth_ml": float(truth.sum() * voxel_ml),
            "lesion_fraction_adc_below_620": float(np.mean(adc[truth] < 620)),
            "lesion_rdwi_percentiles_10_50_90": np.percentile(dwi[truth] / d_ref, [10, 50, 90]).tolist(),
            "healthy_rdwi_percentiles_90_95_99": np.percentile(dwi[tissue] / d_ref, [90, 95, 99]).tolist(),
            "adc620_inside_tissue": {"dice": dice(adc620), "pred_ml": float(adc620.sum() * voxel_ml)},
            "best_rules": results[:5], "rules_tried": len(results)}
    table = ["| rule | Dice | predicted ml |", "|---|---:|---:|",
             f"| ADC < 620 inside the tissue mask | {data['adc620_inside_tissue']['dice']:.3f} | "
             f"{data['adc620_inside_tissue']['pred_ml']:.1f} |"]
    table += [f"| DWI > {b['dwi_ratio']:g}× healthy, ADC < {b['adc_ratio'] or '∞'}× healthy, components ≥ {b['min_ml']:g} ml "
              f"(oracle best #{i + 1} of {len(results)}) | {b['dice']:.3f} | {b['pred_ml']:.1f} |" for i, b in enumerate(results[:3])]
    table.append(f"\nExpert lesion: {data['truth_ml']:.2f} ml; {100 * data['lesion_fraction_adc_below_620']:.0f} % of it has ADC < 620.")
    write_results("mri_core_rules", data, "DWI/ADC threshold rules on ISLES'22 case 0001 (a ceiling, not a method)",
                  "\n".join(table), "bench_mri_core_rules.py")
    print("\n".join(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
