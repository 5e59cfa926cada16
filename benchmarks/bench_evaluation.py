"""Evaluation speed against the fastest peers, on three sizes, and `strokeseg evaluate` on a folder.

Per pair (irregular lesions from ``strokeseg.util.synthetic``), the same work three ways — Dice,
Hausdorff, HD95 and the average symmetric surface distance:

* strokeseg: ``binary_metrics`` (which also computes precision, sensitivity, volumes and
  lesion-wise counts);
* DeepMind ``surface-distance`` (``compute_surface_distances`` + ``compute_robust_hausdorff`` at
  100 and 95 % + ``compute_average_surface_distance`` + ``compute_dice_coefficient``);
* MedPy (``dc``, ``hd``, ``hd95``, ``assd``);

with strokeseg's values checked against MedPy's. Sizes: ISLES'22 (112×112×73 at 2 mm),
ISLES'18 (256×256×22 at 0.9×0.9×5 mm) and a 512×512×300 volume at 0.5×0.5×1 mm. The folder
test writes 100 ISLES'22-size prediction/truth pairs as uint8 NIfTI and times `strokeseg
evaluate` (a fresh process) against a 30-line MONAI script doing the same metrics. The scaling
rows time ``binary_metrics`` at 1×, 4× and 16× the voxels of the ISLES'18 pair. Medians of
``--repeats``, interleaved. Writes ``docs/results/evaluation_speed.{json,md}``.

    .venv/bin/python benchmarks/bench_evaluation.py [--repeats 5] [--pairs 100]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import package_version, write_results

SIZES = {
    "ISLES'22 112×112×73": ((73, 112, 112), (2.0, 2.0, 2.0), 12.0),
    "ISLES'18 256×256×22": ((22, 256, 256), (5.0, 0.9, 0.9), 25.0),
    "512×512×300": ((300, 512, 512), (1.0, 0.5, 0.5), 40.0),
}
MONAI_SCRIPT = r"""
import sys, csv
from pathlib import Path
import nibabel as nib, numpy as np, torch
from monai.metrics import DiceMetric, HausdorffDistanceMetric, SurfaceDistanceMetric
pred_dir, truth_dir, out = map(Path, sys.argv[1:4])
dice, hd, hd95, asd = DiceMetric(), HausdorffDistanceMetric(), HausdorffDistanceMetric(percentile=95), SurfaceDistanceMetric(symmetric=True)
rows = []
for t in sorted(truth_dir.glob("*.nii.gz")):
    ti, pi = nib.load(str(t)), nib.load(str(pred_dir / t.name))
    spacing = [float(s) for s in ti.header.get_zooms()[:3]]
    tt = torch.from_numpy(np.asanyarray(ti.dataobj) > 0)[None, None].float()
    pp = torch.from_numpy(np.asanyarray(pi.dataobj) > 0)[None, None].float()
    r = [t.name, float(dice(pp, tt))]
    for m in (hd, hd95, asd):
        r.append(float(m(pp, tt, spacing=spacing)))
    rows.append(r)
with open(out, "w", newline="") as f:
    csv.writer(f).writerows(rows)
"""


def pair(shape, spacing, radius, rng):
    from strokeseg.util.synthetic import irregular_blob

    c = tuple(s / 2 for s in shape)
    t = irregular_blob(shape, c, radius, rng, spacing=spacing)
    p = irregular_blob(shape, (c[0], c[1] + 3, c[2] - 2), radius * 0.9, rng, spacing=spacing)
    return p, t


def ours(p, t, spacing):
    from strokeseg.evaluation import binary_metrics

    m = binary_metrics(p, t, spacing)
    return m.dice, m.hd, m.hd95, m.assd_pooled


def deepmind(p, t, spacing):
    import surface_distance as sd

    d = sd.compute_surface_distances(t, p, spacing)
    a, b = sd.compute_average_surface_distance(d)
    return sd.compute_dice_coefficient(t, p), sd.compute_robust_hausdorff(d, 100), sd.compute_robust_hausdorff(d, 95), (a + b) / 2


def medpy(p, t, spacing):
    from medpy.metric import binary as mb

    return mb.dc(p, t), mb.hd(p, t, spacing), mb.hd95(p, t, spacing), mb.assd(p, t, spacing)


def timed(fn, *args) -> float:
    t0 = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t0


def per_pair(repeats: int) -> list[dict]:
    rng = np.random.default_rng(0)
    rows = []
    for name, (shape, spacing, radius) in SIZES.items():
        p, t = pair(shape, spacing, radius, rng)
        times: dict[str, list[float]] = {"strokeseg": [], "deepmind": [], "medpy": []}
        for _ in range(repeats):
            for k, fn in (("strokeseg", ours), ("deepmind", deepmind), ("medpy", medpy)):
                if k == "medpy" and p.size > 3e7 and times[k]:
                    continue  # MedPy takes minutes on the large pair: timed once
                times[k].append(timed(fn, p, t, spacing))
        a, ref = ours(p, t, spacing), medpy(p, t, spacing)
        med = {k: statistics.median(v) for k, v in times.items()}
        rows.append(
            {
                "size": name,
                "lesion_voxels": int(t.sum()),
                **{f"{k}_s": v for k, v in med.items()},
                "vs_deepmind": med["deepmind"] / med["strokeseg"],
                "vs_medpy": med["medpy"] / med["strokeseg"],
                "max_abs_diff_vs_medpy": float(max(abs(x - y) for x, y in zip(a, ref))),
            }
        )
        print(rows[-1], flush=True)
    return rows


def folder(n_pairs: int, repeats: int, tmp: Path) -> dict:
    import nibabel as nib

    rng = np.random.default_rng(1)
    pred, truth = tmp / "pred", tmp / "truth"
    pred.mkdir()
    truth.mkdir()
    shape, spacing, _ = SIZES["ISLES'22 112×112×73"]
    aff = np.diag([*spacing[::-1], 1.0])
    for i in range(n_pairs):
        p, t = pair(shape, spacing, rng.uniform(4, 20), rng)
        for d, m in ((pred, p), (truth, t)):
            nib.save(nib.Nifti1Image(m.transpose(2, 1, 0).astype(np.uint8), aff), str(d / f"case{i:03d}.nii.gz"))
    script = tmp / "monai_eval.py"
    script.write_text(MONAI_SCRIPT, encoding="utf-8")
    env = {**os.environ, "STROKESEG_QUIET": "1"}
    ours_t, monai_t = [], []
    for _ in range(repeats):
        cmd = [sys.executable, "-m", "strokeseg", "evaluate", str(pred), "--truth", str(truth), "--out", str(tmp / "ev"), "--overwrite"]
        ours_t.append(timed(lambda c=cmd: subprocess.run(c, check=True, env=env, capture_output=True)))
        monai_t.append(
            timed(lambda: subprocess.run([sys.executable, str(script), str(pred), str(truth), str(tmp / "monai.csv")], check=True))
        )
    o, m = statistics.median(ours_t), statistics.median(monai_t)
    return {"pairs": n_pairs, "strokeseg_s": o, "monai_script_s": m, "ratio": m / o}


def scaling(repeats: int) -> list[dict]:
    from strokeseg.evaluation import binary_metrics

    rng = np.random.default_rng(2)
    rows = []
    for f in (1, 2, 4):  # in-plane factor: 1×, 4×, 16× voxels
        shape = (22, 256 * f, 256 * f)
        spacing = (5.0, 0.9 / f, 0.9 / f)
        p, t = pair(shape, spacing, 25.0, rng)
        rows.append(
            {
                "voxels_rel": f * f,
                "shape": list(shape),
                "s": statistics.median(timed(binary_metrics, p, t, spacing) for _ in range(repeats)),
            }
        )
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--pairs", type=int, default=100)
    args = ap.parse_args()
    from strokeseg.util.threads import thread_count, usable_cores

    res: dict = {
        "machine": f"{platform.machine()}, {usable_cores()} cores, {thread_count()} threads",
        "peers": {k: package_version(k) for k in ("Surface-Distance-Based-Measures", "MedPy", "monai", "scipy")},
        "pairs": per_pair(args.repeats),
    }
    with tempfile.TemporaryDirectory() as t:
        res["folder"] = folder(args.pairs, max(1, args.repeats // 2), Path(t))
    res["scaling"] = scaling(args.repeats)
    write_results(
        "evaluation_speed", res, "Evaluation speed against DeepMind surface-distance, MedPy and MONAI", _table(res), "bench_evaluation.py"
    )
    print(_table(res))
    return 0


def _table(r: dict) -> str:
    peers = ", ".join(f"{k} {v}" for k, v in r["peers"].items())
    lines = [
        f"Machine: {r['machine']}. Peers: {peers}.",
        "",
        "| pair | lesion voxels | strokeseg | DeepMind | MedPy | DeepMind / strokeseg | MedPy / strokeseg | max |Δ| vs MedPy |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for p in r["pairs"]:
        lines.append(
            f"| {p['size']} | {p['lesion_voxels']} | {p['strokeseg_s'] * 1e3:.1f} ms | {p['deepmind_s'] * 1e3:.1f} ms | "
            f"{p['medpy_s'] * 1e3:.0f} ms | {p['vs_deepmind']:.2f}× | {p['vs_medpy']:.1f}× | {p['max_abs_diff_vs_medpy']:.1e} |"
        )
    f = r["folder"]
    lines += [
        "",
        f"`strokeseg evaluate` on a folder of {f['pairs']} ISLES'22-size pairs (fresh process): {f['strokeseg_s']:.1f} s; "
        f"the MONAI folder script: {f['monai_script_s']:.1f} s; MONAI / strokeseg = {f['ratio']:.2f}×.",
        "",
        "| voxels (ISLES'18 pair = 1×) | shape | binary_metrics |",
        "|---:|---|---:|",
    ]
    for s in r["scaling"]:
        lines.append(f"| {s['voxels_rel']}× | {'×'.join(map(str, s['shape']))} | {s['s'] * 1e3:.0f} ms |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
