"""Tmax error by true flow on the stroke phantoms, where the boluses are dispersed as in tissue.

The calibration grid (``bench_perfusion_calibration.py``) delivers an undispersed arterial bolus to every tile:
there the residue starts with a step, and the peak of the deconvolved residue reads about 2 s late at every
flow. The phantom cohort's tissue sees a dispersed bolus (its truth Tmax is the peak of the dispersed
residue, as RAPID's Tmax is the peak of the deconvolved one). This benchmark measures what the grid cannot:
the Tmax error (estimate − truth, s) in bands of true CBF, including CBF < 10 (the core), on stroke phantoms
of the threshold cohort's kind (seeds 1000…, every case with a stroke), for the default estimator (the
residue's peak), the leading-edge estimator at two fractions and the onset estimator (the peak less the
delay its own regularisation filter gives a sharp-onset residue, unbiased on the grid); with the Dice of Tmax > 6 s against the
truth's Tmax > 6 s.

    .venv/bin/python benchmarks/bench_tmax_by_flow.py [--cases 8] [--render]

Writes ``docs/results/tmax_by_flow.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import RESULTS, write_results
from strokeseg.perfusion.config import PerfusionConfig
from strokeseg.perfusion.maps import compute_maps
from strokeseg.phantom.case import PhantomConfig, generate_case

#: true-CBF bands, ml/100 g/min (lower bound inclusive)
BANDS = ((0.0, 10.0), (10.0, 20.0), (20.0, 35.0), (35.0, 50.0), (50.0, np.inf))
RESULT = RESULTS / "tmax_by_flow.json"
ESTIMATORS = (("peak", 0.0), ("edge", 0.6), ("edge", 0.9), ("onset", 0.0))


def _label(est: str, frac: float) -> str:
    return "peak (default)" if est == "peak" else f"edge {frac:g}" if est == "edge" else est


def measure(cases: int) -> dict:
    errors: dict[str, dict[str, list[np.ndarray]]] = {_label(*e): {f"{lo:g}": [] for lo, _ in BANDS} for e in ESTIMATORS}
    dice: dict[str, list[float]] = {_label(*e): [] for e in ESTIMATORS}
    seeds, seed = [], 1000
    while len(seeds) < cases:
        case = generate_case(PhantomConfig(p_no_stroke=0.0), seed)
        seeds.append(seed)
        seed += 1
        par = case.parenchyma
        truth_cbf, truth_tmax = case.truth["CBF"], case.truth["Tmax"]
        for est, frac in ESTIMATORS:
            cfg = PerfusionConfig(tmax_estimator=est, **({"tmax_edge_fraction": frac} if est == "edge" else {}))
            res = compute_maps(case.series, cfg, show_progress=False)
            m = par & res.brain_mask
            err = res.maps["Tmax"] - truth_tmax
            for lo, hi in BANDS:
                sel = m & (truth_cbf >= lo) & (truth_cbf < hi)
                errors[_label(est, frac)][f"{lo:g}"].append(err[sel])
            a, b = m & (res.maps["Tmax"] > 6), m & (truth_tmax > 6)
            dice[_label(est, frac)].append(float(2 * (a & b).sum() / max(a.sum() + b.sum(), 1)))
        print(f"case {seed - 1}: {case.series.frame_interval:g} s frames", file=sys.stderr)
    out: dict = {"seeds": seeds, "bands": [[lo, None if np.isinf(hi) else hi] for lo, hi in BANDS], "estimators": {}}
    for name, per_band in errors.items():
        rows = {}
        for lo, parts in per_band.items():
            e = np.concatenate(parts) if parts else np.zeros(0)
            rows[lo] = {
                "voxels": int(e.size),
                "median_s": float(np.median(e)) if e.size else None,
                "p25_s": float(np.percentile(e, 25)) if e.size else None,
                "p75_s": float(np.percentile(e, 75)) if e.size else None,
                "within_1s": float(np.mean(np.abs(e) <= 1.0)) if e.size else None,
            }
        out["estimators"][name] = {"bands": rows, "dice_tmax6_mean": float(np.mean(dice[name])), "dice_tmax6": dice[name]}
    return out


def render(data: dict) -> str:
    heads = [f"CBF {lo:g}–{hi:g}" if hi is not None else f"CBF ≥ {lo:g}" for lo, hi in data["bands"]]
    lines = [
        f"{len(data['seeds'])} stroke phantoms (seeds {data['seeds'][0]}…{data['seeds'][-1]}), default method, in parenchyma: "
        "median Tmax error (s) [quartiles] and the share of voxels within ±1 s, by true CBF (ml/100 g/min); Dice of Tmax > 6 s.",
        "",
        "| estimator | " + " | ".join(heads) + " | Dice Tmax > 6 s |",
        "|---|" + "---:|" * (len(heads) + 1),
    ]
    for name, r in data["estimators"].items():
        cells = [
            f"{b['median_s']:+.2f} [{b['p25_s']:+.1f}, {b['p75_s']:+.1f}] ({100 * b['within_1s']:.0f} %)"
            if b["median_s"] is not None
            else "–"
            for b in r["bands"].values()
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {r['dice_tmax6_mean']:.3f} |")
    voxels = [b["voxels"] for b in next(iter(data["estimators"].values()))["bands"].values()]
    lines += ["", "Voxels per band: " + ", ".join(f"{h} {v}" for h, v in zip(heads, voxels)) + "."]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=8)
    ap.add_argument("--render", action="store_true", help="rewrite the page from the JSON already written")
    args = ap.parse_args()
    data = json.loads(RESULT.read_text(encoding="utf-8")) if args.render else measure(args.cases)
    table = render(data)
    write_results("tmax_by_flow", data, "Tmax error by flow on the stroke phantoms (dispersed boluses)", table, "bench_tmax_by_flow.py")
    print(table)


if __name__ == "__main__":
    main()
