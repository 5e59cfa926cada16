"""The plausibility guard: which of its checks fire on real lesions, on strokeseg's read-outs and on artefacts.

Each row counts, per check, the cases on which it fired:

* **real experts' masks** — ISLES'22 cases 0001, 0002 and 0004 (DWI/ADC brain mask) and the ISLES'18
  case (brain: where its CBF is valid), as ``guard_labels`` sees a core-only label with the case's images;
* **strokeseg on the real cases** — what ``threshold_case`` raised on the same four cases;
* **phantom truths and read-outs** — a CT cohort (maps given, ``isles2018`` layout) and the four MRI groups
  of ``bench_mri_core_real.py`` (acute, subacute, emboli, clinical heads);
* **crafted artefacts** on every phantom brain — a rim (the outermost in-plane voxel of one hemisphere),
  the truth core mirrored into the other hemisphere as well, and the whole brain.

A guard that never fires on real lesions and always fires on the artefacts is what is wanted. No
constant of the guard is fitted here (:mod:`strokeseg.clinical.plausibility` gives their sources).
Writes ``docs/results/plausibility.{json,md}``.

    .venv/bin/python benchmarks/bench_plausibility.py [--shared ../shared] [--ct-cases 10] [--mri-cases 4]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
REAL = {
    "ISLES'22 0001": ("isles22", 0),
    "ISLES'22 0002": ("real/isles2022-bids", 0),
    "ISLES'22 0004": ("real/isles2022-bids", 1),
    "ISLES'18 case_1": ("real/isles2018", 0),
}
MRI_GROUPS = {
    "acute": (),
    "subacute": ("subacute-mri", "dwi-bias-field"),
    "emboli": ("emboli-shower",),
    "clinical": ("wm-adc-near-threshold", "not-skull-stripped", "adc-mm2s"),
}


def brain_of(case) -> np.ndarray:
    """The brain the threshold pipeline guards with: DWI/ADC's mask (MRI), else where the CBF map is valid."""
    from strokeseg.masks.brain import diffusion_brain_mask

    if "ADC" in case.images and "DWI" in case.images:
        return diffusion_brain_mask(case.images["DWI"], case.images["ADC"], case.geometry.spacing)
    cbf = case.images["CBF"]
    return np.isfinite(cbf) & (cbf > 0)


def codes(warnings) -> list[str]:
    return sorted({w.code for w in warnings if hasattr(w, "code") and w.code.startswith(("core-", "hypoperfusion-"))})


def true_core(case) -> np.ndarray:
    """The core of the case's label: label 2 where the label has one (the phantom's), else every lesion voxel (an expert's mask)."""
    core = case.label == 2
    return core if core.any() else case.label > 0


def expert_codes(case, brain: np.ndarray) -> list[str]:
    from strokeseg.clinical.plausibility import guard_labels

    labels = np.where(true_core(case), 2, 0).astype(np.uint8)
    images = {k: v for k, v in case.images.items() if k != "Tmax"}  # the expert drew the core, not the hypoperfusion
    return codes(guard_labels(labels, brain, case.geometry, images, hypoperfused=False))


def crafted(case, brain: np.ndarray) -> dict[str, list[str]]:
    """The guard's codes on three artefacts drawn on this case's brain."""
    from scipy import ndimage

    from strokeseg.clinical.hemispheres import lateral_coordinate
    from strokeseg.clinical.plausibility import plausibility_warnings

    g = case.geometry
    lat = lateral_coordinate(brain, g)
    outline = brain & ~ndimage.binary_erosion(brain, structure=np.ones((1, 3, 3), bool))
    truth = true_core(case)
    side = lat < 0 if np.median(lat[truth]) < 0 else lat > 0
    both = truth | truth[..., ::-1]  # the phantom's head is centred on its grid: a flip of x is the mirror
    return {
        "rim": codes(plausibility_warnings(outline & side, brain, g)),
        "bilateral": codes(plausibility_warnings(both & brain, brain, g)),
        "whole brain": codes(plausibility_warnings(brain.copy(), brain, g)),
    }


def tally(rows: list[list[str]]) -> dict[str, int]:
    c: Counter[str] = Counter()
    for r in rows:
        c.update(r or ["(none)"])
    return dict(sorted(c.items()))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=Path(os.environ.get("STROKESEG_SHARED", REPO.parent / "shared")))
    ap.add_argument("--ct-cases", type=int, default=10)
    ap.add_argument("--mri-cases", type=int, default=4)
    args = ap.parse_args()
    sys.path.insert(0, str(REPO / "benchmarks"))
    from results import write_results
    from strokeseg.clinical.pipeline import threshold_case
    from strokeseg.io.case import load_case
    from strokeseg.io.layouts import open_dataset
    from strokeseg.phantom.case import PhantomConfig
    from strokeseg.workflows.phantom import CohortSpec, write_phantom_cohort

    t0 = time.perf_counter()
    real: dict[str, dict] = {}
    for name, (folder, k) in REAL.items():
        ds = open_dataset(args.shared / "data" / folder)
        case = load_case(ds.cases[k])
        brain = brain_of(case)
        real[name] = {"expert": expert_codes(case, brain), "strokeseg": codes(threshold_case(case).notes)}
        print(name, real[name], flush=True)
    groups = {"CT": (PhantomConfig(), "isles2018", (), args.ct_cases)}
    mri = PhantomConfig(modality="mr", slices=24, matrix=(80, 80), spacing_xy=2.4, frames=30, p_no_stroke=0.0)
    groups |= {f"MRI {g}": (mri, "isles2015-spes", q, args.mri_cases) for g, q in MRI_GROUPS.items()}
    phantom: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for k, (group, (cfg, layout, quirks, n)) in enumerate(groups.items()):
            folder = Path(tmp) / str(k)
            write_phantom_cohort(folder, CohortSpec(n, cfg, layout, seed=70 + k, second_slab_fraction=0.0, quirks=quirks))
            rows: dict[str, list[list[str]]] = {"truth": [], "strokeseg": [], "rim": [], "bilateral": [], "whole brain": []}
            for ref in open_dataset(folder).cases:
                case = load_case(ref)
                if case.label is None or not (case.label > 0).any():
                    continue
                brain = brain_of(case)
                rows["truth"].append(expert_codes(case, brain))
                rows["strokeseg"].append(codes(threshold_case(case).notes))
                for kind, c in crafted(case, brain).items():
                    rows[kind].append(c)
            phantom[group] = {"cases": len(rows["truth"]), **{kind: tally(r) for kind, r in rows.items()}}
            print(group, phantom[group], flush=True)
    seconds = time.perf_counter() - t0
    table = ["| source | what was guarded | cases | checks that fired (cases) |", "|---|---|---:|---|"]
    for name, r in real.items():
        for what in ("expert", "strokeseg"):
            label = "the expert's mask" if what == "expert" else "strokeseg `threshold`"
            table.append(f"| {name} | {label} | 1 | {', '.join(r[what]) or 'none'} |")
    for group, r in phantom.items():
        for what in ("truth", "strokeseg", "rim", "bilateral", "whole brain"):
            label = {"truth": "the phantom's truth", "strokeseg": "strokeseg `threshold`"}.get(what, f"crafted: {what}")
            fired = ", ".join(f"{c} ({n})" for c, n in r[what].items())
            table.append(f"| phantom {group} | {label} | {r['cases']} | {fired} |")
    note = (
        "\n\n`(none)`: no check fired. The phantom's threshold read-outs use its vendor-style maps (CT) or its DWI/ADC (MRI). "
        f"{seconds:.0f} s in all."
    )
    write_results(
        "plausibility",
        {"real": real, "phantom": phantom, "seconds": seconds},
        "The plausibility guard on real lesions, strokeseg's read-outs and crafted artefacts",
        "\n".join(table) + note,
        "bench_plausibility.py",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
