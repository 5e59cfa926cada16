"""The same work on the GPU and on this CPU: whole-case predict, perfusion maps, training throughput, peak memory.

One short run per device (prepared so that a single device call runs it):

* **predict** — an ISLES'18-sized case (256 × 256 × 8, 10 channels: CT, CBF, CBV, MTT, Tmax and their
  mirrors, the symmetric channels from the warm cache), 3 MC passes, clerigues-ct-2d with 1 and 5
  fold models of random weights (speed does not depend on them), in process: median of ``--repeats``
  after one warm-up call;
* **perfusion** — ``compute_maps`` (default Tikhonov L-curve) on a 256 × 256 × 16 × 50 CT phantom
  series; strokeseg's perfusion is NumPy on the CPU on every machine;
* **training throughput** — samples per second of forward + backward + optimiser steps of the
  published networks at their recipes' batch and patch sizes (CT-2D: asym-resunet 2D, 64² patches,
  batch 64, 10 channels; MRI-3D: asym-resunet 3D, 16 × 24 × 24 patches, batch 16, 16 channels;
  slow-fusion VGG-16: 4 maps of 256², batch 2, NIHSS), with the recipe's AMP setting on CUDA;
* **peak memory** — ``torch.cuda.max_memory_allocated`` on the GPU, peak resident memory on the CPU.

Targets (issue 23, one H100/H200-class GPU): whole-case predict ≤ 1 s with one model; perfusion ≤ 1 s.
Writes ``docs/results/gpu_performance.{json,md}``, keeping the rows of the other device.

    .venv/bin/python benchmarks/bench_gpu.py --device cpu     # here
    .venv/bin/python benchmarks/bench_gpu.py --device cuda    # on the GPU machine
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import RESULTS, write_results

TRAINING = (
    ("CT-2D (clerigues-ct-2d)", "clerigues-ct-2d", 10, (64, 64)),
    ("MRI-3D (clerigues-mri-3d)", "clerigues-mri-3d", 16, (16, 24, 24)),
    ("slow-fusion VGG-16", "slow-fusion-vgg16", 4, (256, 256)),
)


def _peak(device) -> float:
    import torch

    if device.type == "cuda":
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _sync(device) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize()


def predict_rows(root: Path, device, repeats: int) -> list[dict]:
    import torch

    import predict_case
    from strokeseg.io.layouts import open_dataset
    from strokeseg.prediction.engine import PredictOptions, Predictor

    predict_case.write(root, (1, 5))
    os.environ["STROKESEG_CACHE"] = str(root / "cache")
    ref = open_dataset(root / "data" / "manifest.csv").cases[0]
    rows = []
    for n in (1, 5):
        predictor = Predictor.load([root / f"bundle{n}"], PredictOptions(mc_passes=3, device=device.type))
        case = predictor.load_case(ref)
        predictor.predict(case)  # warm-up: the cache, the device's kernels
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats()
        times = []
        for _ in range(repeats):
            _sync(device)
            t0 = time.perf_counter()
            predictor.predict(predictor.load_case(ref))
            _sync(device)
            times.append(time.perf_counter() - t0)
        rows.append(
            {"work": f"predict, {n} model{'s' * (n > 1)}, 3 MC passes", "seconds": statistics.median(times), "peak_mb": _peak(device)}
        )
    return rows


def perfusion_row(device, repeats: int) -> dict:
    from strokeseg.perfusion.config import PerfusionConfig
    from strokeseg.perfusion.maps import compute_maps
    from strokeseg.phantom.case import PhantomConfig, generate_case

    series = generate_case(PhantomConfig(slices=16, frames=50, frame_interval=1.0, matrix=(256, 256)), seed=4).series
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        compute_maps(series, PerfusionConfig(), show_progress=False)
        times.append(time.perf_counter() - t0)
    return {"work": "perfusion maps 256×256×16×50 (NumPy, CPU on every machine)", "seconds": statistics.median(times), "peak_mb": None}


def _steps(net, opt, loss_fn, batch, dtype, device, n: int) -> None:
    """``n`` optimiser steps (forward with the recipe's autocast, backward, update) on one batch."""
    import torch

    x, y = batch
    for _ in range(n):
        opt.zero_grad(set_to_none=True)
        with torch.autocast(device.type, dtype=dtype, enabled=dtype is not None):
            loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()


def training_rows(device, steps: int) -> list[dict]:
    import torch

    from strokeseg.losses import build_loss
    from strokeseg.models import build_network
    from strokeseg.recipes.recipe import load_recipe
    from strokeseg.training.device import amp_dtype, is_2d
    from strokeseg.training.optim import build_optimizer

    rows = []
    for label, name, channels, patch in TRAINING:
        recipe = load_recipe(name)
        kwargs = dict(recipe.train.network.kwargs)
        torch.manual_seed(0)
        in_ch = channels + len(recipe.prepare.clinical_inputs)
        net = build_network(recipe.train.network.name, in_channels=in_ch, num_classes=recipe.num_classes, **kwargs).to(device)
        loss_fn = build_loss(recipe.train.loss.name, **{k: v for k, v in recipe.train.loss.kwargs.items() if v != "empirical"}).to(device)
        opt = build_optimizer(recipe.train.optimizer.name, net.parameters(), **recipe.train.optimizer.kwargs)
        b = recipe.train.batch_size
        x = torch.randn(b, channels + len(recipe.prepare.clinical_inputs), *patch, device=device)  # NIHSS: a constant channel
        y = torch.randint(0, recipe.num_classes, (b, *patch), device=device)
        dtype = amp_dtype(recipe.train.amp, device)
        if device.type == "cuda" and recipe.train.channels_last and is_2d(net):
            net = net.to(memory_format=torch.channels_last)
            x = x.contiguous(memory_format=torch.channels_last)
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats()
        _steps(net, opt, loss_fn, (x, y), dtype, device, 1)  # warm-up
        _sync(device)
        t0 = time.perf_counter()
        _steps(net, opt, loss_fn, (x, y), dtype, device, steps)
        _sync(device)
        sec = (time.perf_counter() - t0) / steps
        rows.append({"work": f"training {label}, batch {b}", "seconds": sec, "samples_per_s": b / sec, "peak_mb": _peak(device)})
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cuda", choices=("cpu", "cuda"))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--steps", type=int, default=10, help="training steps timed per network")
    args = ap.parse_args()
    os.environ.setdefault("STROKESEG_QUIET", "1")
    import torch

    if args.device == "cuda" and not torch.cuda.is_available():
        print("no CUDA device here: run with --device cpu for the CPU rows")
        return 2
    device = torch.device(args.device)
    if device.type == "cpu":
        from strokeseg.util.threads import configure_torch

        configure_torch()
    name = torch.cuda.get_device_name(0) if device.type == "cuda" else f"CPU, {os.cpu_count()} cores, {torch.get_num_threads()} threads"
    with tempfile.TemporaryDirectory() as tmp:
        rows = predict_rows(Path(tmp), device, args.repeats)
    rows.append(perfusion_row(device, args.repeats))
    rows += training_rows(device, args.steps)
    path = RESULTS / "gpu_performance.json"
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"devices": {}}
    data["devices"][args.device] = {"name": name, "torch": torch.__version__, "rows": rows}
    data["targets"] = {"predict_1_model_s_gpu": 1.0, "perfusion_s_gpu": 1.0}
    table = _table(data)
    cmd = f"bench_gpu.py --device {args.device} --repeats {args.repeats} --steps {args.steps}"
    data["devices"][args.device]["command"] = f".venv/bin/python benchmarks/{cmd}"
    write_results("gpu_performance", data, "GPU and CPU performance", table, cmd)
    print(table)
    return 0


def _fmt(v, digits: int = 2) -> str:
    return "—" if v is None else f"{v:.{digits}f}"


def _table(data: dict) -> str:
    lines = []
    for dev, d in data["devices"].items():
        lines += [f"**{dev}**: {d['name']} (torch {d['torch']})", "", "| work | s | samples/s | peak MB |", "|---|---:|---:|---:|"]
        lines += [
            f"| {r['work']} | {_fmt(r['seconds'], 3)} | {_fmt(r.get('samples_per_s'), 1)} | {_fmt(r['peak_mb'], 0)} |" for r in d["rows"]
        ]
        lines.append("")
    lines.append(
        "Peak MB: on the GPU, the most GPU memory allocated by that row's work; on the CPU, the process's peak resident "
        "memory so far (one process runs the rows in order, so a row's figure includes the rows above it)."
    )
    if "cuda" not in data["devices"]:
        lines.append("No GPU row yet: no session with a GPU has run `bench_gpu.py --device cuda`.")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
