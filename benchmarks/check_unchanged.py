"""Do the phantom cohorts and a reduced training run come out the same as at an earlier commit?

Writes a 3-case CT phantom cohort with this checkout and with ``--base`` (a temporary git
worktree, its ``src`` on PYTHONPATH), compares every NIfTI (voxels and affine), then trains a
reduced CT-2D run (2 folds, 2 epochs) on the same cohort with both and compares the fold
weights, T/S_min and the cross-validated core Dice; predicts the cohort with each bundle and
compares the labels and probabilities; runs the threshold read-out with both and compares the
labels and ``readout.csv``. Writes ``docs/results/unchanged.{json,md}``.

    .venv/bin/python benchmarks/check_unchanged.py [--base 893456d]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import REPO, base_checkout, write_results

TRAIN = [
    "--folds",
    "2",
    "--epochs",
    "2",
    "--set",
    "symmetric=false",
    "--set",
    "sampling.patches_per_case=16",
    "--set",
    "batch_size=8",
    "--set",
    "postprocess.thresholds=[0.5]",
    "--set",
    "postprocess.min_sizes=[1]",
    "--no-cache",
]


def cli(src: Path, *args: object) -> None:
    env = {**os.environ, "PYTHONPATH": str(src), "STROKESEG_QUIET": "1"}
    subprocess.run([sys.executable, "-m", "strokeseg", *map(str, args)], env=env, check=True, capture_output=True)


def main() -> int:
    import nibabel as nib
    import numpy as np
    import torch

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", default="893456d")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        with base_checkout(args.base, tmp / "base") as base_src:
            for name, src in (("base", base_src), ("now", REPO / "src")):
                cli(src, "phantom", "--cases", 3, "--seed", 11, "--out", tmp / f"ph_{name}")
            files = sorted((tmp / "ph_base").rglob("*.nii*"))
            differ = [
                str(f.relative_to(tmp / "ph_base"))
                for f in files
                if not (
                    np.array_equal(
                        np.asanyarray(nib.load(f).dataobj), np.asanyarray(nib.load(tmp / "ph_now" / f.relative_to(tmp / "ph_base")).dataobj)
                    )
                    and np.array_equal(nib.load(f).affine, nib.load(tmp / "ph_now" / f.relative_to(tmp / "ph_base")).affine)
                )
            ]
            for name, src in (("base", base_src), ("now", REPO / "src")):
                cli(src, "train", "--recipe", "clerigues-ct-2d-fast", "--data", tmp / "ph_now", "--out", tmp / f"m_{name}", *TRAIN)
            same_weights = []
            for k in (0, 1):
                a = torch.load(tmp / "m_base" / f"fold_{k}" / "weights.pt", weights_only=True)
                b = torch.load(tmp / "m_now" / f"fold_{k}" / "weights.pt", weights_only=True)
                same_weights.append(a.keys() == b.keys() and all(torch.equal(a[n], b[n]) for n in a))
            for name, src in (("base", base_src), ("now", REPO / "src")):
                cli(src, "predict", "--model", tmp / f"m_{name}", "--input", tmp / "ph_now", "--out", tmp / f"p_{name}", "--no-cache")
                cli(src, "threshold", tmp / "ph_now", "--out", tmp / f"t_{name}")
            pred_differ = _differing(tmp / "p_base", tmp / "p_now", ("_label.nii.gz", "_prob.nii.gz", "_variance.nii.gz"))
            thr_differ = _differing(tmp / "t_base", tmp / "t_now", ("_label.nii.gz",))
            csv_same = _readout_numbers(tmp / "t_base") == _readout_numbers(tmp / "t_now")
            bundles = [json.loads((tmp / f"m_{n}" / "bundle.json").read_text(encoding="utf-8")) for n in ("base", "now")]
            dice = [
                json.loads((tmp / f"m_{n}" / "cv" / "summary.json").read_text(encoding="utf-8"))["summary"][0]["metrics"]["dice"]["mean"]
                for n in ("base", "now")
            ]
    data = {
        "base": args.base,
        "phantom_files": len(files),
        "phantom_differing": differ,
        "fold_weights_equal": same_weights,
        "t_smin": [(b["threshold"], b["min_size"]) for b in bundles],
        "cv_core_dice": dice,
        "prediction_files_differing": pred_differ,
        "threshold_labels_differing": thr_differ,
        "readout_csv_equal": csv_same,
    }
    ok = not differ and all(same_weights) and dice[0] == dice[1] and not pred_differ and not thr_differ and csv_same
    data["unchanged"] = ok
    lines = [
        f"phantom files compared: {len(files)}, differing: {len(differ)} {differ[:3]}",
        f"fold weights equal: {same_weights}; T/S_min {data['t_smin']}; CV core Dice base {dice[0]:.4f}, now {dice[1]:.4f}",
        f"prediction files differing: {pred_differ[:3]}; threshold labels differing: {thr_differ[:3]}; "
        f"readout.csv numbers equal: {csv_same}",
        f"unchanged: {ok}",
    ]
    print("\n".join(lines))
    write_results(
        "unchanged",
        data,
        f"Results unchanged against {args.base}",
        "\n".join(f"- {ln}" for ln in lines),
        f"check_unchanged.py --base {args.base}",
    )
    return 0 if ok else 1


def _differing(a: Path, b: Path, suffixes: tuple[str, ...]) -> list[str]:
    """Output files of two runs that differ in their voxels (or exist in one only)."""
    import nibabel as nib
    import numpy as np

    files = sorted(f.relative_to(a) for f in a.rglob("*.nii.gz") if f.name.endswith(suffixes))
    out = [
        str(f)
        for f in files
        if not (b / f).exists() or not np.array_equal(np.asanyarray(nib.load(a / f).dataobj), np.asanyarray(nib.load(b / f).dataobj))
    ]
    return out if files else ["(no files)"]


def _readout_numbers(folder: Path) -> list[dict[str, str]]:
    import csv

    with (folder / "readout.csv").open(encoding="utf-8") as fh:
        return [{k: v for k, v in r.items() if k != "maps"} for r in csv.DictReader(fh)]


if __name__ == "__main__":
    sys.exit(main())
