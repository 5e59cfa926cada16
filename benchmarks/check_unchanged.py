"""Do the phantom cohorts and a reduced training run come out the same as at an earlier commit?

Writes a 3-case CT phantom cohort with this checkout and with ``--base`` (a temporary git
worktree, its ``src`` on PYTHONPATH), compares every NIfTI (voxels and affine), then trains a
reduced CT-2D run (2 folds, 2 epochs) on the same cohort with both and compares the fold
weights, T/S_min and the cross-validated core Dice.

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

REPO = Path(__file__).resolve().parents[1]
TRAIN = ["--folds", "2", "--epochs", "2", "--set", "symmetric=false", "--set", "sampling.patches_per_case=16",
         "--set", "batch_size=8", "--set", "postprocess.thresholds=[0.5]", "--set", "postprocess.min_sizes=[1]", "--no-cache"]


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
        wt = tmp / "base"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "-q", "--detach", str(wt), args.base], check=True)
        try:
            for name, src in (("base", wt / "src"), ("now", REPO / "src")):
                cli(src, "phantom", "--cases", 3, "--seed", 11, "--out", tmp / f"ph_{name}")
            files = sorted((tmp / "ph_base").rglob("*.nii*"))
            differ = [str(f.relative_to(tmp / "ph_base")) for f in files
                      if not (np.array_equal(np.asanyarray(nib.load(f).dataobj),
                                             np.asanyarray(nib.load(tmp / "ph_now" / f.relative_to(tmp / "ph_base")).dataobj))
                              and np.array_equal(nib.load(f).affine,
                                                 nib.load(tmp / "ph_now" / f.relative_to(tmp / "ph_base")).affine))]
            for name, src in (("base", wt / "src"), ("now", REPO / "src")):
                cli(src, "train", "--recipe", "clerigues-ct-2d-fast", "--data", tmp / "ph_now", "--out", tmp / f"m_{name}", *TRAIN)
            same_weights = []
            for k in (0, 1):
                a = torch.load(tmp / "m_base" / f"fold_{k}" / "weights.pt", weights_only=True)
                b = torch.load(tmp / "m_now" / f"fold_{k}" / "weights.pt", weights_only=True)
                same_weights.append(a.keys() == b.keys() and all(torch.equal(a[n], b[n]) for n in a))
            bundles = [json.loads((tmp / f"m_{n}" / "bundle.json").read_text(encoding="utf-8")) for n in ("base", "now")]
            dice = [json.loads((tmp / f"m_{n}" / "cv" / "summary.json").read_text(encoding="utf-8"))["summary"][0]["metrics"]
                    ["dice"]["mean"] for n in ("base", "now")]
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(wt)], check=False)
    print(f"phantom files compared: {len(files)}, differing: {len(differ)} {differ[:3]}")
    print(f"fold weights equal: {same_weights}; T/S_min {[(b['threshold'], b['min_size']) for b in bundles]}; "
          f"CV core Dice base {dice[0]:.4f}, now {dice[1]:.4f}")
    return 0 if not differ and all(same_weights) and dice[0] == dice[1] else 1


if __name__ == "__main__":
    sys.exit(main())
