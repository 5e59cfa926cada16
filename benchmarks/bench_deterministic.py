"""How much results depend on the thread count, and what ``--deterministic`` costs.

Each command runs in a fresh process on 1 and on 2 threads (``STROKESEG_THREADS``), and with
``--deterministic`` on 2 threads (which then uses one):

* ``train`` — clerigues-ct-2d, 2 folds × 2 epochs on 4 labelled CT phantoms (96×96×4);
* ``predict`` — that trained bundle on an ISLES'18-sized phantom slab (256×256×8, 3 MC passes);
* ``perfusion`` — maps of the 4 phantoms' 4D series.

Reported: wall time; for training the largest weight difference between the 1- and 2-thread runs;
for prediction the largest probability difference and the label voxels that differ; for perfusion the
largest map difference; and the labels the bundles trained on 1 and on 2 threads predict. Writes ``docs/results/deterministic.{json,md}``.

    .venv/bin/python benchmarks/bench_deterministic.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nibabel as nib
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import write_results

HERE = Path(__file__).resolve().parent
TRAIN = ["--folds", "2", "--epochs", "2", "--set", "sampling.patches_per_case=64", "--set", "batch_size=16", "--set", "patience=2"]
RUNS = {"1 thread": (1, False), "2 threads": (2, False), "--deterministic": (2, True)}


def run(args: list[str], threads: int, det: bool, env: dict[str, str]) -> float:
    cmd = [sys.executable, "-m", "strokeseg", *(["--deterministic"] if det else []), *args]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env={**env, "STROKESEG_THREADS": str(threads)})
    return time.perf_counter() - t0


def weight_diff(a: Path, b: Path) -> float:
    out = 0.0
    for w in sorted(a.glob("fold_*/weights.pt")):
        x, y = torch.load(w, weights_only=True), torch.load(b / w.relative_to(a), weights_only=True)
        out = max(out, *(float((x[k].double() - y[k].double()).abs().max()) for k in x if x[k].dtype.is_floating_point))
    return out


def image_diff(a: Path, b: Path, pattern: str) -> tuple[float, int, int]:
    """Largest absolute difference over the files matching ``pattern``, voxels differing, voxels compared."""
    worst, differ, total = 0.0, 0, 0
    for f in sorted(a.glob(pattern)):
        x = np.asarray(nib.load(str(f)).dataobj, dtype=np.float64)
        y = np.asarray(nib.load(str(b / f.relative_to(a))).dataobj, dtype=np.float64)
        d = np.abs(np.nan_to_num(x) - np.nan_to_num(y))
        worst, differ, total = max(worst, float(d.max())), differ + int((d > 0).sum()), total + d.size
    return worst, differ, total


def main() -> int:
    rows: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as t:
        root = Path(t)
        subprocess.run(
            [sys.executable, str(HERE / "predict_case.py"), str(root), "1", "cohort"],
            check=True,
            env={**os.environ, "STROKESEG_QUIET": "1"},
        )
        env = {**os.environ, "STROKESEG_QUIET": "1", "STROKESEG_CACHE": str(root / "cache")}
        env.pop("STROKESEG_DETERMINISTIC", None)
        train = ["train", str(root / "cohort"), "--recipe", "clerigues-ct-2d", *TRAIN]
        run([*train, "--out", str(root / "warm")], 2, False, env)  # the prepared-case cache, shared by every run
        for name, (n, det) in RUNS.items():
            key = name.replace(" ", "_").strip("-")
            rows[name] = {"train_s": run([*train, "--out", str(root / f"t_{key}")], n, det, env)}
            rows[name]["perfusion_s"] = run(["perfusion", str(root / "cohort"), "--out", str(root / f"m_{key}")], n, det, env)
        for name, (n, det) in RUNS.items():  # every prediction with the same bundle (the 2-thread one)
            key = name.replace(" ", "_").strip("-")
            pred = ["predict", str(root / "data"), "--model", str(root / "t_2_threads"), "--out", str(root / f"p_{key}")]
            rows[name]["predict_s"] = run(pred, n, det, env)
        other = ["predict", str(root / "data"), "--model", str(root / "t_1_thread"), "--out", str(root / "p_bundle1")]
        run(other, 2, False, env)  # the bundle trained on 1 thread, predicted like the others
        t1, t2, td = (root / f"t_{k}" for k in ("1_thread", "2_threads", "deterministic"))
        p1, p2, pd = (root / f"p_{k}" for k in ("1_thread", "2_threads", "deterministic"))
        m1, m2, md = (root / f"m_{k}" for k in ("1_thread", "2_threads", "deterministic"))
        prob = image_diff(p1, p2, "*/*_prob.nii.gz")
        label = image_diff(p1, p2, "*/*_label.nii.gz")
        maps = image_diff(m1, m2, "*/*.nii.gz")
        diffs = {
            "train_weights_1_vs_2_threads": weight_diff(t1, t2),
            "train_weights_deterministic_vs_1_thread": weight_diff(t1, td),
            "predict_prob_1_vs_2_threads": prob[0],
            "predict_label_voxels_differing_1_vs_2_threads": label[1],
            "predict_label_voxels": label[2],
            "bundles_1_vs_2_threads_label_voxels_differing": image_diff(p2, root / "p_bundle1", "*/*_label.nii.gz")[1],
            "predict_prob_deterministic_vs_1_thread": image_diff(p1, pd, "*/*_prob.nii.gz")[0],
            "perfusion_maps_1_vs_2_threads": maps[0],
            "perfusion_maps_deterministic_vs_1_thread": image_diff(m1, md, "*/*.nii.gz")[0],
        }
    res = {"cores": os.cpu_count(), "runs": rows, "differences": diffs}
    print(json.dumps(res, indent=1))
    two = rows["2 threads"]
    lines = [
        f"{os.cpu_count()} cores, each command a fresh `strokeseg` process, one run each.",
        "",
        "| run | train (2 folds × 2 epochs) | predict (256×256×8, 3 MC passes) | perfusion (4 phantoms) |",
        "|---|---:|---:|---:|",
    ]
    for name, r in rows.items():
        cost = "" if name == "2 threads" else f" ({r['train_s'] / two['train_s']:.2f}× / {r['predict_s'] / two['predict_s']:.2f}×)"
        lines.append(f"| {name}{cost} | {r['train_s']:.1f} s | {r['predict_s']:.1f} s | {r['perfusion_s']:.1f} s |")
    lines += [
        "",
        "| result | 1 thread against 2 threads | `--deterministic` (2 threads) against 1 thread |",
        "|---|---:|---:|",
        f"| trained weights, largest difference | {diffs['train_weights_1_vs_2_threads']:.3g} | "
        f"{diffs['train_weights_deterministic_vs_1_thread']:.3g} |",
        f"| predicted probability, largest difference | {diffs['predict_prob_1_vs_2_threads']:.3g} | "
        f"{diffs['predict_prob_deterministic_vs_1_thread']:.3g} |",
        f"| predicted label voxels that differ | {diffs['predict_label_voxels_differing_1_vs_2_threads']} of "
        f"{diffs['predict_label_voxels']} | |",
        f"| label voxels that differ between the bundles trained on 1 and on 2 threads | "
        f"{diffs['bundles_1_vs_2_threads_label_voxels_differing']} of {diffs['predict_label_voxels']} | |",
        f"| perfusion maps, largest difference | {diffs['perfusion_maps_1_vs_2_threads']:.3g} | "
        f"{diffs['perfusion_maps_deterministic_vs_1_thread']:.3g} |",
    ]
    write_results(
        "deterministic",
        res,
        "Results against the thread count, and the cost of `--deterministic`",
        "\n".join(lines),
        "bench_deterministic.py",
    )
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
