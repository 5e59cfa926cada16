"""Data-parallel training on CPU: how close 2 torchrun processes (gloo) come to one process, and what it costs.

A 4-case CT phantom cohort (the test suite's small CT size), clerigues-ct-2d-fast with dropout off,
2 folds, 2 epochs, global batch 16, trained (a) in one process on 2 threads, (b) with
``torchrun --nproc_per_node=2`` on 1 thread each, (c) in one process on 1 thread (how far the thread
count alone moves float32 training), for the GDL + CE loss (a mean over samples) and the focal
Tversky loss (overlap sums all-reduced). Reports the largest |Δ| over every weight and buffer of
both folds against (a), and the wall time of each run.

Writes ``docs/results/distributed_training.{json,md}``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import write_results

REPO = Path(__file__).resolve().parents[1]
BASE = ["--recipe", "clerigues-ct-2d-fast", "--folds", "2", "--epochs", "2", "--no-cache", "--set", "sampling.patches_per_case=24"]
BASE += ["--set", "batch_size=16", "--set", "network.kwargs.dropout=0.0", "--set", "inference.mc_passes=1"]
BASE += ["--set", "postprocess.thresholds=[0.5]", "--set", "postprocess.min_sizes=[5]"]
LOSSES = {"gdl+ce": [], "focal-tversky": ["--set", "loss.name=focal-tversky"]}


def _run(args: list[str], nproc: int, threads: int) -> float:
    env = dict(os.environ, STROKESEG_QUIET="1", OMP_NUM_THREADS=str(threads), STROKESEG_THREADS=str(threads), PYTHONPATH=str(REPO))
    torchrun = Path(sys.executable).with_name("torchrun")
    cmd = (
        [sys.executable, "-m", "strokeseg", "train", *args]
        if nproc == 1
        else [str(torchrun), "--standalone", f"--nproc_per_node={nproc}", "-m", "strokeseg", "train", *args]
    )
    t0 = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if res.returncode != 0:
        raise RuntimeError(res.stderr[-3000:])
    return time.perf_counter() - t0


def _max_diff(a: Path, b: Path) -> float:
    import torch

    out = 0.0
    for fold in ("fold_0", "fold_1"):
        wa, wb = (torch.load(p / fold / "weights.pt", weights_only=True) for p in (a, b))
        out = max(out, max(float((wa[k].double() - wb[k].double()).abs().max()) for k in wa if wa[k].dtype.is_floating_point))
    return out


def main() -> None:
    from strokeseg.phantom.case import PhantomConfig
    from strokeseg.workflows.phantom import CohortSpec, write_phantom_cohort

    small_ct = {"slices": 2, "matrix": (96, 96), "spacing_xy": 2.4, "frames": 40, "frame_interval": 1.5}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        write_phantom_cohort(
            t / "ph", CohortSpec(4, PhantomConfig(**small_ct, p_no_stroke=0.0), "isles2018", seed=4, second_slab_fraction=0.0)
        )
        for loss, extra in LOSSES.items():
            args = [*BASE, *extra, "--data", str(t / "ph")]
            wall = {
                "one process, 2 threads": _run([*args, "--out", str(t / f"{loss}-a")], 1, 2),
                "torchrun 2 processes, 1 thread each": _run([*args, "--out", str(t / f"{loss}-b")], 2, 1),
                "one process, 1 thread": _run([*args, "--out", str(t / f"{loss}-c")], 1, 1),
            }
            rows.append(
                {
                    "loss": loss,
                    "max_abs_diff_torchrun_vs_one": _max_diff(t / f"{loss}-a", t / f"{loss}-b"),
                    "max_abs_diff_1_vs_2_threads": _max_diff(t / f"{loss}-a", t / f"{loss}-c"),
                    "wall_s": wall,
                }
            )
    table = "| loss | max abs diff: torchrun 2 × 1 thread vs 1 process × 2 threads | max abs diff: 1 vs 2 threads, one process "
    table += "| wall s (1 proc / torchrun / 1 thread) |\n|---|---:|---:|---:|\n"
    for r in rows:
        w = " / ".join(f"{v:.1f}" for v in r["wall_s"].values())
        table += f"| {r['loss']} | {r['max_abs_diff_torchrun_vs_one']:.2e} | {r['max_abs_diff_1_vs_2_threads']:.2e} | {w} |\n"
    table += (
        f"\nCPU, {os.cpu_count()} cores; 2 folds × 2 epochs of clerigues-ct-2d-fast (dropout off), global batch 16, on 4 small CT phantoms."
    )
    write_results(
        "distributed_training",
        {"rows": rows, "cores": os.cpu_count(), "command": ".venv/bin/python benchmarks/bench_distributed.py"},
        "Data-parallel training on CPU (torchrun, gloo)",
        table,
        "bench_distributed.py",
    )
    print(table)


if __name__ == "__main__":
    main()
