"""Speed of the perfusion maps: a 256×256×16×50 CT series → all maps (oSVD), and the same
deconvolution done the straightforward way (one solve per voxel in a Python loop) on a
sample of voxels, extrapolated to the whole brain, for the ratio.

    .venv/bin/python benchmarks/bench_perfusion_speed.py [--repeats 3] [--loop-sample 2000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from strokeseg.perfusion.config import PerfusionConfig
from strokeseg.perfusion.maps import compute_maps
from strokeseg.phantom.case import PhantomConfig, generate_case


def naive_osvd(curves: np.ndarray, aif: np.ndarray, dt: float, cfg: PerfusionConfig) -> np.ndarray:
    """Per-voxel oSVD the straightforward way: a Python loop over voxels (the SVD is shared)."""
    from strokeseg.perfusion.matrices import circulant_matrix

    mat = circulant_matrix(aif, dt)
    n = mat.shape[0]
    u, s, vt = np.linalg.svd(mat)
    out = np.zeros(curves.shape[0])
    for v in range(curves.shape[0]):
        c = np.zeros(n)
        c[: curves.shape[1]] = curves[v]
        for thr in cfg.osvd_thresholds:
            w = np.where(s >= thr * s[0], 1.0 / s, 0.0)
            k = vt.T @ (w * (u.T @ c))
            d2 = k - 2 * np.roll(k, 1) + np.roll(k, 2)
            if np.abs(d2).sum() / (n * max(k.max(), 1e-12)) < cfg.osvd_oi:
                break
        out[v] = k.max()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--loop-sample", type=int, default=2000)
    args = ap.parse_args()
    case = generate_case(PhantomConfig(slices=16, frames=50, frame_interval=1.0), seed=4)
    s = case.series
    print(
        f"series {s.data.shape[2]}×{s.data.shape[1]}×{s.data.shape[0]}×{s.data.shape[3]} (x×y×z×t), torch threads {torch.get_num_threads()}"
    )
    cfg = PerfusionConfig()
    times = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        res = compute_maps(s, cfg, show_progress=False)
        times.append(time.perf_counter() - t0)
    best = min(times)
    print(f"all maps (oSVD, 3 mm smoothing): best of {args.repeats}: {best:.2f} s; stages: {res.info['timings_s']}")
    # the straightforward per-voxel loop on a sample of brain voxels
    mask = res.brain_mask
    from strokeseg.perfusion.concentration import ct_concentration

    b0, b1 = res.info["baseline_frames"]
    conc = ct_concentration(s.data[mask], slice(b0, b1))
    rng = np.random.default_rng(0)
    sample = conc[rng.choice(conc.shape[0], size=min(args.loop_sample, conc.shape[0]), replace=False)]
    t0 = time.perf_counter()
    naive_osvd(sample, res.aif.curve, s.frame_interval, cfg)
    per_voxel = (time.perf_counter() - t0) / sample.shape[0]
    loop_total = per_voxel * conc.shape[0]
    print(
        f"per-voxel Python loop (oSVD deconvolution only): {per_voxel * 1e3:.2f} ms/voxel × {conc.shape[0]} brain "
        "voxels "
        f"= {loop_total:.0f} s (extrapolated from {sample.shape[0]} voxels)"
    )
    print(
        f"vectorised deconvolution stage: {res.info['timings_s']['deconvolution']:.2f} s "
        f"→ loop / vectorised = "
        f"{loop_total / max(res.info['timings_s']['deconvolution'], 1e-9):.0f}×; "
        f"whole pipeline {best:.2f} s (target ≤ 5 s)"
    )


if __name__ == "__main__":
    main()
