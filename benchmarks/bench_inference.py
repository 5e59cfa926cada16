"""Whole-case inference for an ISLES'18-sized case: time, the ratio against MONAI, peak memory.

Case: a 256×256×8 CT phantom slab; the full clerigues-ct-2d network (64×64 patches, 5 steps,
8 base filters), 10 channels (5 maps + their registered mirrors), step 16, 3 MC-dropout passes at
10 %, one model (random weights: speed does not depend on them). Times:

* symmetric preprocessing, computed (first run) and read from the disk cache (later runs);
* strokeseg's sliding window (batched windows, one gather, index_add accumulation) vs MONAI's
  ``sliding_window_inference`` with the same network, window and step (3 calls for 3 passes);
* peak resident memory of ``strokeseg predict`` on that case in a fresh process.

    .venv/bin/python benchmarks/bench_inference.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    import os

    from monai.inferers import sliding_window_inference

    from strokeseg.bundle.bundle import ModelBundle
    from strokeseg.inference.sliding_window import sliding_window_predict
    from strokeseg.io.case import Case
    from strokeseg.models.layers import set_mc_dropout
    from strokeseg.perfusion.config import PerfusionConfig
    from strokeseg.perfusion.maps import compute_maps
    from strokeseg.phantom.case import PhantomConfig, generate_case
    from strokeseg.preprocessing.normalization import Normalizer
    from strokeseg.preprocessing.prepare import prepare_case
    from strokeseg.recipes.recipe import load_recipe

    tmp = Path(tempfile.mkdtemp(prefix="strokeseg-bench-"))
    os.environ["STROKESEG_CACHE"] = str(tmp / "cache")
    pc = generate_case(PhantomConfig(slices=8, frames=50, frame_interval=1.0), seed=8)
    maps = compute_maps(pc.series, PerfusionConfig(), show_progress=False).maps
    images = {"CT": pc.images["CT"], **{m: maps[m] for m in ("CBF", "CBV", "MTT", "Tmax")}}
    case = Case("bench", images, pc.geometry)
    recipe = load_recipe("clerigues-ct-2d")
    t0 = time.perf_counter()
    prep = prepare_case(case, recipe.prepare)
    t_sym_first = time.perf_counter() - t0
    print(
        f"case {pc.geometry.shape[2]}×{pc.geometry.shape[1]}×{pc.geometry.shape[0]}, {prep.x.shape[0]} channels; "
        f"symmetric preprocessing computed in {t_sym_first:.2f} s; torch threads {torch.get_num_threads()}"
    )
    torch.manual_seed(0)
    bundle_dir = tmp / "bundle"
    norm = Normalizer(prep.channels).fit([(prep.x, prep.brain)])
    b = ModelBundle(
        bundle_dir,
        recipe,
        prep.channels,
        ["CT", "CBF", "CBV", "MTT", "Tmax"],
        "core",
        2,
        2,
        0.5,
        10,
        [
            {
                "fold": 0,
                "weights": "fold_0/weights.pt",
                "normalization": norm.to_dict(),
                "best_epoch": 0,
                "epochs_run": 0,
                "train": [],
                "validation": [],
                "test": [],
            }
        ],
        {"note": "random weights, speed only"},
    )
    model = b.build_model()
    (bundle_dir / "fold_0").mkdir(parents=True)
    torch.save(model.state_dict(), bundle_dir / "fold_0" / "weights.pt")
    b.save()
    model.eval()
    inf = recipe.inference
    ours, theirs, t_prep = [], [], []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        p2 = prepare_case(case, recipe.prepare)  # symmetric channels from the cache
        x = norm(p2.x, p2.brain)
        t_prep.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        sliding_window_predict(x, [model], recipe.window())
        ours.append(time.perf_counter() - t0)
        roi = tuple(recipe.sampling.patch_size)
        overlap = [1 - s / r for s, r in zip(inf.step, roi)]
        set_mc_dropout(model, True, inf.mc_dropout)

        def predictor(t: torch.Tensor) -> torch.Tensor:
            return torch.softmax(model(t[:, :, 0]), 1).unsqueeze(2)

        t0 = time.perf_counter()
        with torch.inference_mode():
            acc = None
            for _p in range(inf.mc_passes):
                out = sliding_window_inference(torch.from_numpy(x)[None], roi, inf.batch_size, predictor, overlap=overlap, mode="constant")
                acc = out if acc is None else acc + out
        theirs.append(time.perf_counter() - t0)
        set_mc_dropout(model, False)
    t_ours = float(np.median(ours)) + float(np.median(t_prep))
    print(f"symmetric preprocessing + whitening from the cache: {np.median(t_prep):.2f} s")
    print(
        f"strokeseg sliding window (3 MC passes, step 16): {np.median(ours):.2f} s; MONAI sliding_window_inference: "
        f"{np.median(theirs):.2f} s → MONAI/strokeseg = {np.median(theirs) / np.median(ours):.2f}×"
    )
    print(f"whole-case inference incl. preprocessing from the cache: {t_ours:.2f} s (target ≤ 10 s)")
    # peak memory of a real `strokeseg predict` run in a fresh process
    data = tmp / "data"
    data.mkdir()
    from strokeseg.io.nifti import write_nifti

    for m, arr in images.items():
        write_nifti(data / f"{m}.nii.gz", arr, pc.geometry)
    (data / "manifest.csv").write_text(
        "case_id," + ",".join(f"image:{m}" for m in images) + "\nbench," + ",".join(f"{m}.nii.gz" for m in images) + "\n", encoding="utf-8"
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "strokeseg", "predict", "--model", str(bundle_dir), "--input", str(data), "--out", str(tmp / "pred")],
        check=True,
        capture_output=True,
        env={**os.environ, "STROKESEG_QUIET": "1"},
    )
    wall = time.perf_counter() - t0
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(
        f"strokeseg predict (fresh process, cache warm): {wall:.1f} s wall incl. Python/torch start-up; "
        f"peak memory {max(peak_kb, before) / 1024:.0f} MiB (target < 2 GB)"
    )


if __name__ == "__main__":
    main()
