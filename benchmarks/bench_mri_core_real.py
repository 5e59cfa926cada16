"""The MRI core on the real ISLES'22 cases: the rule chosen by leave-one-out, and the default.

The three real cases in ``../shared`` (``isles22/`` case 0001, ``real/isles2022-bids/`` cases 0002
and 0004) are read as ``strokeseg threshold`` reads them: the brain found on the DWI and ADC, the
ADC unit found from its values, the DWI bias-corrected (N4). The diffusion core
(:mod:`strokeseg.clinical.diffusion`) has eight free constants; the literature fixes the ADC
threshold (620×10⁻⁶ mm²/s, Purushotham 2015) and the CSF exclusion (1600), and the rest are chosen
over a grid

    dwi_ratio ∈ {1.1, 1.2, 1.3, 1.4}, dwi_subacute_ratio ∈ {1.5, 1.8, 2.2, off},
    subacute_adc_ratio ∈ {1.0, 1.2}, diffusion_min_ml ∈ {0.05, 0.1, 0.2, 0.5},
    diffusion_edge_mm ∈ {0, 4}, dwi_smoothing_mm ∈ {0, 1.2}, dwi_reference_mm ∈ {0, 10},
    dwi_asymmetry ∈ {off, 1.0, 1.02, 1.05, 1.1, 1.15, 1.3}, dwi_asymmetry_mm ∈ {0, 4, 8, …, 20}, csf_margin_voxels ∈ {0, 1}

by one objective: half the mean Dice over the real cases used for the choice, half the mean Dice
over four phantom groups (acute; subacute with a DWI bias field; a shower of small emboli;
white matter near the ADC threshold, not skull-stripped, ADC in mm²/s — ``--quirk`` options of
``strokeseg phantom``). Leave-one-out: for each real case, the rule chosen with the other two and
the phantoms, measured on the held-out case. The default (``ThresholdConfig``) is the rule chosen
with all three; a test checks that the package's defaults are this file's choice.

A rule may not give up a lesion type: only rules whose Dice on every phantom group is at least
``PHANTOM_FLOOR`` (one half) of the best any rule of the grid reaches on that group are chosen. Without
this floor the objective prefers rules that find no subacute lesion at all (the JSON records what the
unconstrained choice gives, for comparison).

Writes ``docs/results/mri_core_real.{json,md}``: per case Dice, HD95 (mm) and |ΔV| (ml) for
ADC < 620 alone (the old default), the default rule, and the leave-one-out rule.

    .venv/bin/python benchmarks/bench_mri_core_real.py [--shared ../shared]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]

GRID = {
    "dwi_ratio": (1.1, 1.2, 1.3, 1.4),
    "dwi_subacute_ratio": (1.5, 1.8, 2.2, 0.0),
    "subacute_adc_ratio": (1.0, 1.2),
    "diffusion_min_ml": (0.05, 0.1, 0.2, 0.5),
    "diffusion_edge_mm": (0.0, 4.0),
    "dwi_smoothing_mm": (0.0, 1.2),
    "dwi_reference_mm": (0.0, 10.0),
    "dwi_asymmetry": (0.0, 1.0, 1.02, 1.05, 1.1, 1.15, 1.3),
    "dwi_asymmetry_mm": (0.0, 4.0, 8.0, 12.0, 16.0, 20.0),
    "csf_margin_voxels": (0, 1),
}
#: the settings that change what the rule is computed from (prepared once per case)
PREPARED = ("diffusion_edge_mm", "dwi_smoothing_mm", "dwi_reference_mm", "csf_margin_voxels")
PHANTOM_GROUPS = {
    "acute": (),
    "subacute": ("subacute-mri", "dwi-bias-field"),
    "emboli": ("emboli-shower",),
    "clinical": ("wm-adc-near-threshold", "not-skull-stripped", "adc-mm2s"),
}
#: a chosen rule's Dice on each phantom group is at least this share of the grid's best on that group
PHANTOM_FLOOR = 0.5
REAL = {"0001": ("isles22", 0), "0002": ("real/isles2022-bids", 0), "0004": ("real/isles2022-bids", 1)}


@dataclass
class Prepared:
    """One case, prepared once per (edge, smoothing): what the rule needs."""

    name: str
    truth: np.ndarray
    geometry: object
    by_setting: (
        dict  # (edge, smoothing, reference slab, CSF margin) -> (rdwi, adc, tissue, adc_ref); (smoothing, margin, radius) -> asymmetry
    )


def prepare(name: str, case) -> Prepared:
    from strokeseg.clinical.config import ThresholdConfig
    from strokeseg.clinical.diffusion import asymmetry_ratio, diffusion_core, prepare_diffusion, smoothed_dwi
    from strokeseg.clinical.units import adc_to_micro
    from strokeseg.masks.brain import diffusion_brain_mask

    brain = diffusion_brain_mask(case.images["DWI"], case.images["ADC"], case.geometry.spacing)
    adc, _ = adc_to_micro(case.images["ADC"], brain)
    inp = prepare_diffusion(case.images["DWI"], adc, brain, True)
    by: dict = {}
    for values in itertools.product(*(GRID[k] for k in PREPARED)):
        dc = diffusion_core(inp, case.geometry, ThresholdConfig(**dict(zip(PREPARED, values, strict=True))))
        by[values] = (dc.rdwi, inp.adc, dc.tissue, dc.adc_reference)
    for values in itertools.product(GRID["dwi_smoothing_mm"], GRID["csf_margin_voxels"], GRID["dwi_asymmetry_mm"]):  # as diffusion_core
        dwi = smoothed_dwi(inp.dwi, case.geometry, values[0])
        ref = float(np.median(dwi[by[(0.0, values[0], 0.0, values[1])][2]]))
        by[values] = asymmetry_ratio(dwi, brain, case.geometry, ref, values[2])
    return Prepared(name, case.label == 2 if case.label.max() > 1 else case.label > 0, case.geometry, by)


def rules() -> list[dict]:
    """Every rule of the grid, those that differ only in ``diffusion_min_ml`` next to each other (in its order)."""
    out = []
    for values in itertools.product(*GRID.values()):
        r = dict(zip(GRID, values, strict=True))
        if r["dwi_subacute_ratio"] == 0.0 and r["subacute_adc_ratio"] != GRID["subacute_adc_ratio"][0]:
            continue  # the subacute term is off: its ADC ratio does not matter
        if r["dwi_asymmetry"] == 0.0 and r["dwi_asymmetry_mm"] != GRID["dwi_asymmetry_mm"][0]:
            continue  # the mirror term is off: its radius does not matter
        out.append(r)
    out.sort(key=lambda r: tuple(r[k] for k in GRID if k != "diffusion_min_ml"))
    return out


def dice_table(grid: list[dict], cases: list[Prepared]) -> np.ndarray:
    """Dice ``(len(grid), len(cases))`` of every rule on every case, one labelling per rule and case for all sizes."""
    n = len(GRID["diffusion_min_ml"])
    out = np.zeros((len(grid), len(cases)))
    for i in range(0, len(grid), n):
        assert [r["diffusion_min_ml"] for r in grid[i : i + n]] == list(GRID["diffusion_min_ml"])
        out[i : i + n] = np.stack([dice_by_min_size(p, grid[i]) for p in cases], axis=1)
    return out


def predict(p: Prepared, rule: dict) -> np.ndarray:
    from strokeseg.clinical.config import ThresholdConfig
    from strokeseg.clinical.diffusion import core_rule

    rdwi, adc, tissue, a_ref = p.by_setting[tuple(rule[k] for k in PREPARED)]
    return core_rule(rdwi, adc, tissue, a_ref, p.geometry, ThresholdConfig(**rule), _asymmetry(p, rule))


def _asymmetry(p: Prepared, rule: dict) -> np.ndarray:
    return p.by_setting[(rule["dwi_smoothing_mm"], rule["csf_margin_voxels"], rule["dwi_asymmetry_mm"])]


def dice_by_min_size(p: Prepared, rule: dict) -> np.ndarray:
    """Dice of ``rule`` for every ``diffusion_min_ml`` of the grid ``(len(GRID["diffusion_min_ml"]),)``: the candidate
    core labelled once (as :func:`~strokeseg.clinical.diffusion.core_rule` labels it), its components' sizes and
    overlaps with the truth summed above each size."""
    from scipy import ndimage

    from strokeseg.clinical.config import ThresholdConfig
    from strokeseg.clinical.diffusion import candidate_core

    rdwi, adc, tissue, a_ref = p.by_setting[tuple(rule[k] for k in PREPARED)]
    cand = candidate_core(rdwi, adc, tissue, a_ref, ThresholdConfig(**rule), _asymmetry(p, rule))
    lab, n = ndimage.label(cand, structure=np.ones((3, 3, 3), bool))
    count = np.bincount(lab.ravel(), minlength=n + 1)[1:]
    hit = np.bincount(lab[p.truth], minlength=n + 1)[1:]
    truth = int(p.truth.sum())
    out = []
    for m in GRID["diffusion_min_ml"]:
        keep = count * p.geometry.voxel_volume_ml >= m
        out.append(2 * hit[keep].sum() / max(count[keep].sum() + truth, 1))
    return np.array(out)


def dice(pred: np.ndarray, truth: np.ndarray) -> float:
    return float(2 * (pred & truth).sum() / max(pred.sum() + truth.sum(), 1))


def scores(p: Prepared, pred: np.ndarray) -> dict:
    from strokeseg.evaluation.metrics import binary_metrics

    m = binary_metrics(pred, p.truth, p.geometry.spacing_zyx)
    return {"dice": m.dice, "hd95_mm": m.hd95, "abs_vol_diff_ml": m.abs_vol_diff_ml, "pred_ml": m.vol_pred_ml, "truth_ml": m.vol_true_ml}


def phantom_cases(work: Path) -> dict[str, list[Prepared]]:
    from strokeseg.io.case import load_case
    from strokeseg.io.layouts import open_dataset
    from strokeseg.phantom.case import PhantomConfig
    from strokeseg.workflows.phantom import CohortSpec, write_phantom_cohort

    cfg = PhantomConfig(modality="mr", slices=24, matrix=(80, 80), spacing_xy=2.4, frames=30, p_no_stroke=0.0)
    out = {}
    for k, (group, quirks) in enumerate(PHANTOM_GROUPS.items()):
        write_phantom_cohort(work / group, CohortSpec(4, cfg, "isles2015-spes", seed=60 + k, quirks=quirks))
        out[group] = [prepare(f"{group}/{r.case_id}", load_case(r)) for r in open_dataset(work / group).cases]
    return out


def render(data: dict) -> str:
    """The results page's text from the benchmark's JSON (``--render`` rewrites the page from it)."""
    d, rows = data["default_rule"], data["cases"]

    def fmt(s: dict) -> str:
        hd = "—" if not np.isfinite(s["hd95_mm"]) else f"{s['hd95_mm']:.1f}"
        return f"{s['dice']:.3f} | {hd} | {s['abs_vol_diff_ml']:.2f} | {s['pred_ml']:.2f}"

    table = ["| case | expert ml | rule | Dice | HD95 mm | \\|ΔV\\| ml | core ml |", "|---|---:|---|---:|---:|---:|---:|"]
    for r in rows:
        t = r["adc620"]["truth_ml"]
        table.append(f"| {r['case']} | {t:.2f} | ADC < 620 alone (old default) | {fmt(r['adc620'])} |")
        table.append(f"| {r['case']} | {t:.2f} | default (chosen with all three) | {fmt(r['default'])} |")
        table.append(f"| {r['case']} | {t:.2f} | leave-one-out (chosen without this case) | {fmt(r['leave_one_out'])} |")
    table.append(
        f"\nMean Dice: ADC < 620 {data['mean_dice_adc620']:.3f}, default {data['mean_dice_default']:.3f}, "
        f"leave-one-out {data['mean_dice_leave_one_out']:.3f}; mean |ΔV|: {data['mean_abs_vol_diff_ml_adc620']:.1f} / "
        f"{data['mean_abs_vol_diff_ml_default']:.1f} / {data['mean_abs_vol_diff_ml_leave_one_out']:.1f} ml."
    )
    table.append(
        f"\nDefault rule: (ADC < 620 ∧ rDWI > {d['dwi_ratio']:g}) ∨ (rDWI > {d['dwi_subacute_ratio']:g} ∧ rADC < "
        f"{d['subacute_adc_ratio']:g}), components ≥ {d['diffusion_min_ml']:g} ml, rim {d['diffusion_edge_mm']:g} mm, "
        f"DWI smoothing σ {d['dwi_smoothing_mm']:g} mm, healthy DWI reference per slab of ±{d['dwi_reference_mm']:g} mm "
        f"(0: the whole brain), DWI over its contralateral twin > {d['dwi_asymmetry']:g} (0: off; the twin: the brightest "
        f"voxel of the other hemisphere within {d['dwi_asymmetry_mm']:g} mm of the mirror point), CSF excluded with a "
        f"margin of {d['csf_margin_voxels']} voxel(s); the rDWI subacute term is "
        "off when its ratio is 0. Phantom Dice of the default: "
        + ", ".join(f"{g} {v:.2f}" for g, v in data["default_phantom_dice"].items())
        + f". {data['rules_tried']} rules tried, {data['rules_admissible']} admissible (every phantom group's Dice ≥ "
        f"{PHANTOM_FLOOR:g} × the grid's best on it: " + ", ".join(f"{g} {v:.2f}" for g, v in data["best_phantom_dice"].items()) + ")."
    )
    wf = data["without_floor"]
    table.append(
        "\nWithout that floor the choice would be "
        + f"{wf['default_rule']}, with phantom Dice "
        + ", ".join(f"{g} {v:.2f}" for g, v in wf["default_phantom_dice"].items())
        + f" and leave-one-out mean Dice {np.mean(list(wf['leave_one_out_dice'].values())):.3f}."
    )
    table.append(
        "\nShare of the expert's lesion voxels where core may lie (brain without CSF), by CSF margin in voxels: "
        + "; ".join(
            f"{n}: " + ", ".join(f"{k.rsplit('_', 1)[1]}: {v:.0%}" for k, v in d.items())
            for n, d in data["expert_voxels_in_tissue"].items()
        )
        + "."
    )
    table.append("\nLeave-one-out rules: " + "; ".join(f"{r['case']}: {r['leave_one_out']['rule']}" for r in rows) + ".")
    return "\n".join(table)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=Path(os.environ.get("STROKESEG_SHARED", REPO.parent / "shared")))
    ap.add_argument("--render", action="store_true", help="rewrite the page from the JSON of the last run (no measurement)")
    args = ap.parse_args()
    sys.path.insert(0, str(REPO / "benchmarks"))
    from results import RESULTS, write_results

    if args.render:
        data = json.loads((RESULTS / "mri_core_real.json").read_text(encoding="utf-8"))
        write_results("mri_core_real", data, "The MRI core on three real ISLES'22 cases", render(data), "bench_mri_core_real.py")
        return 0
    from strokeseg.clinical.units import adc_to_micro
    from strokeseg.io.case import load_case
    from strokeseg.io.layouts import open_dataset
    from strokeseg.masks.brain import diffusion_brain_mask

    real = {}
    adc620 = {}
    for name, (folder, k) in REAL.items():
        case = load_case(open_dataset(args.shared / "data" / folder).cases[k])
        real[name] = prepare(name, case)
        brain = diffusion_brain_mask(case.images["DWI"], case.images["ADC"], case.geometry.spacing)
        adc, unit = adc_to_micro(case.images["ADC"], brain)
        adc620[name] = scores(real[name], brain & (adc > 0) & (adc < 620))
        adc620[name]["adc_unit"] = unit
    with tempfile.TemporaryDirectory() as tmp:
        phantoms = phantom_cases(Path(tmp))
    grid = rules()
    real_dice = dice_table(grid, list(real.values()))
    ph_dice = np.stack([dice_table(grid, cases).mean(axis=1) for cases in phantoms.values()], axis=1)
    ph_mean = ph_dice.mean(axis=1)
    admissible = (ph_dice >= PHANTOM_FLOOR * ph_dice.max(axis=0)).all(axis=1)

    def choose(use: list[int], floor: bool = True) -> int:
        objective = 0.5 * real_dice[:, use].mean(axis=1) + 0.5 * ph_mean
        return int(np.argmax(np.where(admissible | (not floor), objective, -np.inf)))

    names = list(real)
    chosen = choose(list(range(len(names))))
    free = choose(list(range(len(names))), floor=False)
    free_loo = [real_dice[choose([j for j in range(len(names)) if j != i], floor=False), i] for i in range(len(names))]
    for j, p in enumerate(real.values()):  # the one-labelling table against the package's own rule
        assert abs(real_dice[chosen, j] - dice(predict(p, grid[chosen]), p.truth)) < 1e-9, p.name
    rows = []
    for i, name in enumerate(names):
        loo = choose([j for j in range(len(names)) if j != i])
        rows.append(
            {
                "case": name,
                "adc620": adc620[name],
                "default": scores(real[name], predict(real[name], grid[chosen])),
                "leave_one_out": {**scores(real[name], predict(real[name], grid[loo])), "rule": grid[loo]},
            }
        )
    data = {
        "grid": {k: list(v) for k, v in GRID.items()},
        "rules_tried": len(grid),
        "objective": "0.5 × mean Dice over the real cases used + 0.5 × mean Dice over the phantom groups",
        "phantom_floor": PHANTOM_FLOOR,
        "rules_admissible": int(admissible.sum()),
        "best_phantom_dice": dict(zip(PHANTOM_GROUPS, ph_dice.max(axis=0).tolist(), strict=True)),
        "without_floor": {
            "default_rule": grid[free],
            "default_phantom_dice": dict(zip(PHANTOM_GROUPS, ph_dice[free].tolist(), strict=True)),
            "default_real_dice": dict(zip(names, real_dice[free].tolist(), strict=True)),
            "leave_one_out_dice": dict(zip(names, map(float, free_loo), strict=True)),
        },
        "default_rule": grid[chosen],
        "default_phantom_dice": dict(zip(PHANTOM_GROUPS, ph_dice[chosen].tolist(), strict=True)),
        "cases": rows,
        # the share of the expert's lesion voxels where the rule may mark core, with and without a CSF margin
        "expert_voxels_in_tissue": {
            n: {f"csf_margin_{m}": float(p.by_setting[(0.0, 0.0, 0.0, m)][2][p.truth].mean()) for m in GRID["csf_margin_voxels"]}
            for n, p in real.items()
        },
    }

    for key in ("adc620", "default", "leave_one_out"):
        data[f"mean_dice_{key}"] = float(np.mean([r[key]["dice"] for r in rows]))
        data[f"mean_abs_vol_diff_ml_{key}"] = float(np.mean([r[key]["abs_vol_diff_ml"] for r in rows]))
    text = render(data)
    write_results("mri_core_real", data, "The MRI core on three real ISLES'22 cases", text, "bench_mri_core_real.py")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
