"""Do Monte-Carlo dropout predictions keep their distribution against an earlier commit?

The sliding window now draws each batch's dropout masks from its own seeded generator (and runs two
batches side by side on a CPU), so single predictions differ from an earlier commit's by the MC noise.
What must not change is the distribution. For one random asymmetric residual U-Net (2D, 8 base
filters, depth 3, 30 % dropout in the two deepest steps) and one random 2-channel 4×48×48 input,
``--seeds`` predictions with 3 MC passes (16×16 windows, step 8) are made with this checkout and with
``--base`` (a temporary git worktree, its ``src`` on PYTHONPATH). Per voxel, the difference of
the two means over the seeds, divided by its standard error, should be standard normal, and the
per-voxel standard deviation across seeds should be the same. The deterministic prediction
(1 pass) is compared too. Writes ``docs/results/mc_distribution.{json,md}``.

    .venv/bin/python benchmarks/check_mc_distribution.py [--base e9df846] [--seeds 40]
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

_DRAW = """
import sys
import numpy as np
import torch
from strokeseg.inference.config import WindowConfig
from strokeseg.inference.sliding_window import sliding_window_predict
from strokeseg.models import build_network

out, seeds = sys.argv[1], int(sys.argv[2])
torch.manual_seed(0)
net = build_network("asym-resunet", in_channels=2, num_classes=2, dims=2, base_filters=8, depth=3, dropout=0.3, mc_levels=2)
x = np.random.default_rng(1).normal(size=(2, 4, 48, 48)).astype(np.float32)
mc = [sliding_window_predict(x, [net], WindowConfig((1, 16, 16), (1, 8, 8), batch_size=16, mc_passes=3, mc_dropout=0.3, seed=s)).probs[1]
      for s in range(seeds)]
det = sliding_window_predict(x, [net], WindowConfig((1, 16, 16), (1, 8, 8), batch_size=16)).probs[1]
np.savez(out, mc=np.stack(mc), det=det)
"""


def draws(src: Path, out: Path, seeds: int) -> dict:
    import numpy as np

    env = {**os.environ, "PYTHONPATH": str(src)}
    subprocess.run([sys.executable, "-c", _DRAW, str(out), str(seeds)], env=env, check=True)
    with np.load(out) as f:
        return {"mc": f["mc"], "det": f["det"]}


def main() -> int:
    import numpy as np

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", default="e9df846")
    ap.add_argument("--seeds", type=int, default=40)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        with base_checkout(args.base, tmp / "base") as base_src:
            base = draws(base_src, tmp / "base.npz", args.seeds)
        now = draws(REPO / "src", tmp / "now.npz", args.seeds)
    a, b = now["mc"], base["mc"]
    se = np.sqrt(a.var(0, ddof=1) / len(a) + b.var(0, ddof=1) / len(b))
    z = (a.mean(0) - b.mean(0)) / np.maximum(se, 1e-12)
    res = {
        "base": args.base,
        "seeds": args.seeds,
        "voxels": int(z.size),
        "z_mean": float(z.mean()),
        "z_sd": float(z.std()),
        "z_abs_over_4_fraction": float((np.abs(z) > 4).mean()),
        "per_voxel_sd_now": float(a.std(0, ddof=1).mean()),
        "per_voxel_sd_base": float(b.std(0, ddof=1).mean()),
        "mean_probability_now": float(a.mean()),
        "mean_probability_base": float(b.mean()),
        "max_abs_diff_deterministic": float(np.abs(now["det"] - base["det"]).max()),
    }
    table = "\n".join(
        [
            f"{args.seeds} predictions with 3 MC passes each (seeds 0–{args.seeds - 1}), this checkout against {args.base}, "
            f"{res['voxels']} voxels.",
            "",
            "| | this checkout | base |",
            "|---|---:|---:|",
            f"| mean foreground probability | {res['mean_probability_now']:.5f} | {res['mean_probability_base']:.5f} |",
            f"| per-voxel s.d. across seeds (mean) | {res['per_voxel_sd_now']:.5f} | {res['per_voxel_sd_base']:.5f} |",
            "",
            f"Per voxel, (mean now − mean base) / standard error: mean {res['z_mean']:.3f}, s.d. {res['z_sd']:.3f} "
            f"(standard normal: 0 and 1); fraction with |z| > 4: {res['z_abs_over_4_fraction']:.4f}.",
            "",
            f"Without dropout (1 pass) the two differ by at most {res['max_abs_diff_deterministic']:.1e}.",
        ]
    )
    write_results("mc_distribution", res, "Monte-Carlo dropout: the same distribution as before", table, "check_mc_distribution.py")
    print(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
