"""An nnU-Net trained on real cases: leave-one-out over the three real ISLES'22 cases in ../shared.

``strokeseg nnunet-baseline`` (the workflow) on the three cases (DWI + ADC, lesion target), 3
patient-grouped folds = leave one out: nnU-Net's default ``2d`` planning and preprocessing, its
default trainer on a CPU-sized network and schedule (the sizes below; nnU-Net's own schedule is a
GPU job), each held-out case predicted by its fold's model with the native runner and scored like
every recipe. Beside it, strokeseg's MRI threshold core on the same cases, and ``strokeseg compare``
of the two (paired Wilcoxon over the 3 cases: too few for a small p; reported, not claimed).

No constant here is tuned on these cases: the network and schedule sizes are set by the CPU budget.
Writes ``docs/results/nnunet_real.{json,md}``.

    .venv/bin/python benchmarks/bench_nnunet_real.py [--epochs 15] [--iterations 40]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import REPO, write_results

SHARED = Path(os.environ.get("STROKESEG_SHARED", REPO.parent / "shared")) / "data"
CPU_2D = {  # a CPU-sized 2d network: 4 stages of 16–128 features, batch 8, nnU-Net's patch
    "batch_size": 8,
    "arch_kwargs": {
        "n_stages": 4,
        "features_per_stage": [16, 32, 64, 128],
        "kernel_sizes": [[3, 3]] * 4,
        "strides": [[1, 1], [2, 2], [2, 2], [2, 2]],
        "n_conv_per_stage": [2, 2, 2, 2],
        "n_conv_per_stage_decoder": [2, 2, 2],
    },
}


def cohort(tmp: Path) -> Path:
    """The three real cases in one ISLES'22 BIDS folder (copies)."""
    import shutil

    root = tmp / "isles22_three"
    for src, case in (
        (SHARED / "isles22", "0001"),
        (SHARED / "real" / "isles2022-bids", "0002"),
        (SHARED / "real" / "isles2022-bids", "0004"),
    ):
        for part in (f"sub-strokecase{case}", f"derivatives/sub-strokecase{case}"):
            shutil.copytree(src / part, root / part)
    return root


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--iterations", type=int, default=40)
    args = ap.parse_args()
    os.environ["STROKESEG_QUIET"] = "1"
    from strokeseg.cli import main as cli
    from strokeseg.io.layouts import open_dataset
    from strokeseg.workflows.nnunet_baseline import BaselineOptions, nnunet_baseline

    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        data = cohort(tmp)
        refs = open_dataset(data).cases
        opts = BaselineOptions(
            target="lesion", configuration="2d", folds=3, epochs=args.epochs, iterations=args.iterations, device="cpu", plans_edit=CPU_2D
        )
        t0 = time.perf_counter()
        nnunet_baseline(refs, tmp / "nnunet", opts, log=lambda s: print(s, file=sys.stderr))
        seconds = time.perf_counter() - t0
        assert cli(["threshold", str(data), "--out", str(tmp / "thr")]) == 0
        assert cli(["evaluate", str(tmp / "thr"), "--truth", str(data), "--out", str(tmp / "thr_eval"), "--regions", "lesion"]) == 0
        # nnunet-baseline names a lesion target's region (labels 1 ∪ 2) "hypoperfused", as the recipes' CV does; on these
        # DWI/ADC cases, which have no perfusion imaging, it is the lesion, as the threshold run's rows name it
        rows = tmp / "nnunet" / "cv" / "per_case.csv"
        rows.write_text(rows.read_text(encoding="utf-8").replace(",hypoperfused,", ",lesion,"), encoding="utf-8")
        assert cli(["compare", f"nnunet={tmp / 'nnunet'}", f"threshold={tmp / 'thr_eval'}", "--out", str(tmp / "cmp")]) == 0
        result = json.loads((tmp / "cmp" / "comparison.json").read_text(encoding="utf-8"))
        md = (tmp / "cmp" / "comparison.md").read_text(encoding="utf-8")
    data_out = {
        "cases": ["sub-strokecase0001", "sub-strokecase0002", "sub-strokecase0004"],
        "epochs": args.epochs,
        "iterations": args.iterations,
        "network": CPU_2D,
        "training_and_scoring_seconds": seconds,
        "comparison": result,
    }
    head = (
        f"nnU-Net `2d` (default plans, CPU-sized network: features {CPU_2D['arch_kwargs']['features_per_stage']}), "
        f"{args.epochs} epochs × {args.iterations} iterations per fold, leave-one-out over the three real ISLES'22 cases "
        f"({seconds / 60:.0f} min on this CPU); against strokeseg's MRI threshold core on the same cases.\n\n"
    )
    write_results("nnunet_real", data_out, "nnU-Net trained on real cases (leave-one-out, ISLES'22)", head + md, "bench_nnunet_real.py")
    print(head + md)


if __name__ == "__main__":
    main()
