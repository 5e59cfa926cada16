"""Whole-case `strokeseg predict` and the sliding window against MONAI, for an ISLES'18-sized case.

Case: a 256×256×8 CT phantom slab with its CT, CBF, CBV, MTT and Tmax maps; the clerigues-ct-2d
network (64×64 windows, step 16, 8 base filters, 10 channels = 5 maps + their registered
mirrors, 3 MC-dropout passes at 10 %), bundles of 1 and 5 folds with random weights (speed does
not depend on them). Measured:

* `strokeseg predict` in a fresh process (what the user waits for, start-up included), 1 and 5
  models, with the symmetric channels read from the cache (warm) and computed (cold), and its
  peak memory;
* the sliding window alone, in process: strokeseg's (one gather per batch, MC passes sharing
  the deterministic layers) against MONAI's ``sliding_window_inference`` with the same
  batch-norm-folded network and input in channels-last, the same windows, 3 calls for 3
  passes; and strokeseg skipping windows wholly outside the brain, as `predict` does. The
  agreement is checked without dropout (max |Δp| against MONAI);
* the scaling of the sliding window with the volume (2, 8 and 32 slices: 1×, 4×, 16×);
* the floor: start-up alone, and the network's convolutions alone (every other layer free).

Writes ``docs/results/inference_speed.{json,md}``.

    .venv/bin/python benchmarks/bench_inference.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import package_version, run_strokeseg, write_results

HERE = Path(__file__).resolve().parent


def predict_cli(root: Path, bundle: str, cache: Path, cold: bool) -> tuple[float, float]:
    """(wall s, peak MB) of one `strokeseg predict` in a fresh process."""
    if cold and cache.exists():
        shutil.rmtree(cache)
    env = {**os.environ, "STROKESEG_QUIET": "1", "STROKESEG_CACHE": str(cache)}
    wall, peak, _ = run_strokeseg(
        ["predict", str(root / "data"), "--model", str(root / bundle), "--out", str(root / "p"), "--overwrite"], env
    )
    return wall, peak


def steps(root: Path) -> dict[str, float]:
    """The per-step seconds the last `predict` recorded in its volumes JSON."""
    info = json.loads(next((root / "p").rglob("*_volumes.json")).read_text(encoding="utf-8"))
    return {**info["timings_s"], "in_predict": info["seconds"]}


def whole_case(root: Path, repeats: int) -> list[dict]:
    rows = []
    cache = root / "cache"
    predict_cli(root, "bundle1", cache, cold=True)  # fill the cache
    for bundle in ("bundle1", "bundle5"):
        warm = [predict_cli(root, bundle, cache, cold=False) for _ in range(repeats)]
        warm_steps = steps(root)
        cold = [predict_cli(root, bundle, cache, cold=True) for _ in range(repeats)]
        rows.append(
            {
                "models": int(bundle[-1]),
                "warm_s": statistics.median(w for w, _ in warm),
                "cold_s": statistics.median(w for w, _ in cold),
                "peak_mb": max(p for _, p in warm + cold),
                "warm_steps_s": warm_steps,
            }
        )
        print(rows[-1], flush=True)
    return rows


def _prepared(root: Path):
    import torch

    from strokeseg.bundle.bundle import ModelBundle
    from strokeseg.inference.fusion import fold_batch_norms
    from strokeseg.io.case import load_case
    from strokeseg.io.layouts import open_dataset
    from strokeseg.preprocessing.prepare import prepare_case

    b = ModelBundle.load(root / "bundle1")
    model, norm = b.load_models()[0]
    prep = prepare_case(load_case(open_dataset(root / "data").cases[0]), b.recipe.prepare, b.modalities, use_cache=False)
    fused = fold_batch_norms(model)[0].to(memory_format=torch.channels_last)
    return b, fused, norm(prep.x, prep.brain), prep.brain


def conv_gflop(net, channels: int, cfg) -> float:
    """Convolution GFLOP (2 per multiply-add) of one window with the MC passes as strokeseg runs them."""
    import torch

    from strokeseg.inference.sliding_window import _passes
    from strokeseg.models.layers import set_mc_dropout

    total = [0.0]

    def hook(m, inp, out):
        k = m.kernel_size[0] * m.kernel_size[1]
        if isinstance(m, torch.nn.ConvTranspose2d):
            total[0] += 2.0 * inp[0].numel() * m.out_channels * k / m.groups
        else:
            total[0] += 2.0 * out.numel() * m.in_channels * k / m.groups

    hooks = [m.register_forward_hook(hook) for m in net.modules() if isinstance(m, torch.nn.Conv2d | torch.nn.ConvTranspose2d)]
    set_mc_dropout(net, cfg.mc_passes > 1, cfg.mc_dropout)
    with torch.inference_mode():
        for _ in _passes(net, torch.zeros(1, channels, *cfg.window[1:]), cfg.mc_passes):
            pass
    set_mc_dropout(net, False)
    for h in hooks:
        h.remove()
    return total[0] / 1e9


def sliding(root: Path, repeats: int) -> dict:
    import numpy as np
    import torch
    from monai.inferers import sliding_window_inference

    from strokeseg.inference.sliding_window import _grid, sliding_window_predict, windows_touching
    from strokeseg.models.layers import set_mc_dropout
    from strokeseg.util.threads import configure_torch

    threads = configure_torch()
    b, net, x, brain = _prepared(root)
    cfg = b.recipe.window()
    roi = (1, *cfg.window[1:])
    overlap = [1 - s / r for s, r in zip(cfg.step, roi)]
    inp = torch.from_numpy(x)[None]

    def predictor(t: torch.Tensor) -> torch.Tensor:
        return torch.softmax(net(t[:, :, 0].contiguous(memory_format=torch.channels_last)), 1).unsqueeze(2)

    def monai(passes: int) -> np.ndarray:
        set_mc_dropout(net, passes > 1, cfg.mc_dropout if passes > 1 else None)
        with torch.inference_mode():
            acc = sum(
                sliding_window_inference(inp, roi, cfg.batch_size, predictor, overlap=overlap, mode="constant") for _ in range(passes)
            )
        set_mc_dropout(net, False)
        return (acc / passes)[0, :, :, :, :].numpy()

    t = {"strokeseg": [], "strokeseg_brain_windows": [], "monai": []}
    for _ in range(repeats):
        for k, fn in (
            ("strokeseg", lambda: sliding_window_predict(x, [net], cfg)),
            ("strokeseg_brain_windows", lambda: sliding_window_predict(x, [net], cfg, within=brain)),
            ("monai", lambda: monai(cfg.mc_passes)),
        ):
            t0 = time.perf_counter()
            fn()
            t[k].append(time.perf_counter() - t0)
    gflop = conv_gflop(net, x.shape[0], cfg) * len(_grid(x.shape[1:], cfg.window, cfg.step))
    det = sliding_window_predict(x, [net], dataclasses.replace(cfg, mc_passes=1)).probs
    dp = float(np.abs(det - monai(1)).max())
    med = {k: statistics.median(v) for k, v in t.items()}
    starts = _grid(x.shape[1:], cfg.window, cfg.step)
    res = {
        "threads": threads,
        "windows": len(starts),
        "brain_windows": int(windows_touching(brain, starts, cfg.window).sum()),
        **{f"{k}_s": v for k, v in med.items()},
        "monai_over_strokeseg": med["monai"] / med["strokeseg"],
        "monai_over_strokeseg_brain_windows": med["monai"] / med["strokeseg_brain_windows"],
        "max_abs_dp_vs_monai_no_dropout": dp,
        "conv_gflop_every_window": gflop,
        "achieved_gflops": gflop / med["strokeseg"],
    }
    # scaling: the same network over 2, 8 and 32 slices
    rows = []
    for z in (2, 8, 32):
        xs = np.concatenate([x] * 4, axis=1)[:, :z] if z > x.shape[1] else x[:, :z]
        t0 = time.perf_counter()
        sliding_window_predict(np.ascontiguousarray(xs), [net], cfg)
        rows.append({"slices": z, "voxels_rel": z / 2, "s": time.perf_counter() - t0})
    res["scaling"] = rows
    print(res, flush=True)
    return res


def floor(root: Path, repeats: int) -> dict:
    """What no exact fp32 speed-up below the network can remove: the start-up (importing what `predict`
    imports, in a fresh process) and the convolutions alone. The convolution calls of one MC-pass batch
    of 64 windows are recorded with their inputs and re-run by themselves; scaled to the windows
    `predict` runs, that is the time of the network's convolutions with every other layer and all
    bookkeeping free."""
    import numpy as np
    import torch

    from strokeseg.inference.sliding_window import _grid, _passes, windows_touching
    from strokeseg.models.layers import set_mc_dropout
    from strokeseg.util.threads import configure_torch

    code = "import os, strokeseg.cli, strokeseg.workflows.predict; os._exit(0)"
    starts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        starts.append(time.perf_counter() - t0)
    configure_torch()
    b, net, x, brain = _prepared(root)
    cfg = b.recipe.window()
    calls: list = []
    kinds = (torch.nn.Conv2d, torch.nn.ConvTranspose2d)
    hooks = [m.register_forward_hook(lambda m, i, o: calls.append((m, i[0].clone()))) for m in net.modules() if isinstance(m, kinds)]
    batch = torch.from_numpy(np.ascontiguousarray(x[:, :1, :64, :64])).expand(10, cfg.batch_size, 64, 64).movedim(1, 0)
    batch = batch.contiguous(memory_format=torch.channels_last)
    set_mc_dropout(net, True, cfg.mc_dropout)
    with torch.inference_mode():
        list(_passes(net, batch, cfg.mc_passes))
        for h in hooks:
            h.remove()

        def timed(fn) -> float:
            fn()
            ts = []
            for _ in range(max(3, repeats)):
                t0 = time.perf_counter()
                fn()
                ts.append(time.perf_counter() - t0)
            return statistics.median(ts)

        conv_s = timed(lambda: [m(i) for m, i in calls])
        whole_s = timed(lambda: list(_passes(net, batch, cfg.mc_passes)))
    set_mc_dropout(net, False)
    brain_windows = int(windows_touching(brain, _grid(x.shape[1:], cfg.window, cfg.step), cfg.window).sum())
    per_model = conv_s * brain_windows / cfg.batch_size
    res = {
        "startup_s": statistics.median(starts),
        "conv_share_of_network": conv_s / whole_s,
        "conv_s_per_model": per_model,
        "floor_1_model_s": statistics.median(starts) + per_model,
        "floor_5_models_s": statistics.median(starts) + 5 * per_model,
    }
    print(res, flush=True)
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as t:
        root = Path(t)
        subprocess.run(
            [sys.executable, str(HERE / "predict_case.py"), str(root), "1,5"], check=True, env={**os.environ, "STROKESEG_QUIET": "1"}
        )
        res = {
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "peers": {k: package_version(k) for k in ("monai", "torch")},
            "whole_case": whole_case(root, args.repeats),
            "sliding_window": sliding(root, args.repeats),
            "floor": floor(root, args.repeats),
        }
    write_results("inference_speed", res, "`strokeseg predict` and the sliding window against MONAI", _table(res), "bench_inference.py")
    print(_table(res))
    return 0


def _table(r: dict) -> str:
    s = r["sliding_window"]
    lines = [
        f"Machine: {r['machine']}; torch threads {s['threads']}. Peers: " + ", ".join(f"{k} {v}" for k, v in r["peers"].items()) + ".",
        "",
        "| `strokeseg predict`, 256×256×8, 10 channels, 3 MC passes | symmetric channels from the cache | computed (cold) "
        "| added when cold | peak memory |",
        "|---|---:|---:|---:|---:|",
    ]
    for w in r["whole_case"]:
        lines.append(
            f"| {w['models']} model{'s' if w['models'] > 1 else ''} | {w['warm_s']:.2f} s | {w['cold_s']:.2f} s | "
            f"{w['cold_s'] - w['warm_s']:.2f} s | {w['peak_mb']:.0f} MB |"
        )
    for w in r["whole_case"]:
        st = w["warm_steps_s"]
        lines.append(
            f"\n{w['models']} model(s), warm: inside `predict` {st['in_predict']:.2f} s (preprocessing {st['prepare']:.2f}, "
            f"whitening + networks {st['networks']:.2f}, post-processing {st['postprocess']:.2f}); the rest of the wall time "
            f"({w['warm_s'] - st['in_predict']:.2f} s) is start-up (Python, torch, loading the models), reading and writing."
        )
    lines += [
        "",
        f"Sliding window, one model, {s['windows']} windows ({s['brain_windows']} touch the brain), 3 MC passes:",
        "",
        "| | time | MONAI / this |",
        "|---|---:|---:|",
        f"| MONAI `sliding_window_inference`, channels-last, 3 calls | {s['monai_s']:.2f} s | 1.00× |",
        f"| strokeseg, every window | {s['strokeseg_s']:.2f} s | {s['monai_over_strokeseg']:.2f}× |",
        f"| strokeseg, windows touching the brain (as `predict`) | {s['strokeseg_brain_windows_s']:.2f} s "
        f"| {s['monai_over_strokeseg_brain_windows']:.2f}× |",
        "",
        f"Without dropout, strokeseg's probabilities differ from MONAI's by at most {s['max_abs_dp_vs_monai_no_dropout']:.1e}.",
        "",
        f"The convolutions of every window and pass are {s['conv_gflop_every_window']:.0f} GFLOP; strokeseg's sliding window runs "
        f"them at {s['achieved_gflops']:.0f} GFLOP/s on this machine.",
        "",
        "| slices (256×256) | voxels | sliding window, every window |",
        "|---:|---:|---:|",
    ]
    lines += [f"| {x['slices']} | {x['voxels_rel']:.0f}× | {x['s']:.2f} s |" for x in s["scaling"]]
    f = r["floor"]
    lines += [
        "",
        "What no exact (fp32) speed-up can remove, measured on the same case: the start-up (importing what `predict` imports "
        f"in a fresh process) {f['startup_s']:.2f} s, and the network's convolutions alone, {f['conv_s_per_model']:.2f} s per model "
        f"({f['conv_share_of_network']:.0%} of the network's time; the rest is activations, dropout, pooling and additions).",
        "",
        "| | start-up + convolutions alone | target |",
        "|---|---:|---:|",
        f"| 1 model | {f['floor_1_model_s']:.2f} s | 3 s |",
        f"| 5 models | {f['floor_5_models_s']:.2f} s | 6 s |",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
