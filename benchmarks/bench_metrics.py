"""Evaluation speed: all strokeseg metrics of one pair vs MedPy's for the same pair.

Pairs are 256×256×22 masks at 0.9×0.9×5 mm (an ISLES'18-sized slab) with irregular lesions of
several sizes. strokeseg computes Dice, PPV, sensitivity, HD, HD95, ASSD (both kinds), volumes
and lesion-wise F1 in one call; MedPy computes dc, precision, recall, hd, hd95, assd and asd×2
(each surface metric recomputes its own distance transforms over the whole volume).

    .venv/bin/python benchmarks/bench_metrics.py [--pairs 8] [--repeats 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from strokeseg.evaluation import binary_metrics
from strokeseg.util.synthetic import irregular_blob


def make_pair(rng: np.random.Generator, radius: float):
    shape = (22, 256, 256)
    spacing = (5.0, 0.9, 0.9)
    c = (11.0, 128 + rng.uniform(-30, 30), 90 + rng.uniform(-20, 20))
    truth = irregular_blob(shape, c, radius, rng, spacing=spacing)
    pred = irregular_blob(shape, (c[0], c[1] + 3, c[2] - 2), radius * 0.9, rng, spacing=spacing)
    return pred, truth, spacing


def medpy_all(pred, truth, spacing):
    from medpy.metric import binary as mb

    return (
        mb.dc(pred, truth),
        mb.precision(pred, truth),
        mb.recall(pred, truth),
        mb.hd(pred, truth, voxelspacing=spacing),
        mb.hd95(pred, truth, voxelspacing=spacing),
        mb.assd(pred, truth, voxelspacing=spacing),
        mb.asd(pred, truth, voxelspacing=spacing),
        mb.asd(truth, pred, voxelspacing=spacing),
    )


def best_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    radii = np.linspace(6.0, 45.0, args.pairs)
    print(f"{'pair':>4} {'truth ml':>9} {'ours s':>8} {'medpy s':>8} {'ratio':>6}  max |Δ| (hd, hd95, assd_pooled)")
    tot_ours = tot_medpy = 0.0
    for i, r in enumerate(radii):
        pred, truth, spacing = make_pair(rng, r)
        ours = best_time(lambda p=pred, t=truth, s=spacing: binary_metrics(p, t, s), args.repeats)
        theirs = best_time(lambda p=pred, t=truth, s=spacing: medpy_all(p, t, s), args.repeats)
        m = binary_metrics(pred, truth, spacing)
        ref = medpy_all(pred, truth, spacing)
        diff = max(abs(m.hd - ref[3]), abs(m.hd95 - ref[4]), abs(m.assd_pooled - ref[5]))
        tot_ours += ours
        tot_medpy += theirs
        print(f"{i:>4} {m.vol_true_ml:9.1f} {ours:8.3f} {theirs:8.3f} {theirs / ours:6.1f}  {diff:.2e}")
    print(f"\nall pairs: strokeseg {tot_ours:.3f} s, MedPy {tot_medpy:.3f} s, MedPy/strokeseg = {tot_medpy / tot_ours:.1f}x")
    print(f"mean per pair: strokeseg {tot_ours / len(radii) * 1000:.0f} ms (all metrics incl. lesion-wise F1)")


if __name__ == "__main__":
    main()
