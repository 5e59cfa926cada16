"""The Clèrigues CT recipe's mirror registration: affine (as the paper's FSL FLIRT) against rigid, on one phantom CT cohort.

Both train ``clerigues-ct-2d-fast`` on the same 12-case phantom CT cohort (seed 2026) and the same 3
patient-grouped folds, differing only in ``symmetric_transform``; ``strokeseg compare`` pairs their
out-of-fold cases (Wilcoxon). The training is shortened to the CPU budget (``--epochs``, as
bench_method_comparison.py): these are the harness's numbers, not the recipe's best. Nothing is tuned on the result.

Writes ``docs/results/symmetric_transform.{json,md}``.

    .venv/bin/python benchmarks/bench_symmetric_transform.py [--epochs 10]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_method_comparison import OUT as COMPARISON_OUT
from bench_method_comparison import cohort, done, strokeseg
from results import write_results

OUT = COMPARISON_OUT / "symmetric_transform"
TRANSFORMS = ("rigid", "affine")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--folds", type=int, default=3)
    args = ap.parse_args()
    data = cohort("ct", 12, "ct")
    seconds, runs = {}, []
    for tr in TRANSFORMS:
        run = OUT / f"{tr}_{args.epochs}"
        if not done(run):
            shutil.rmtree(run, ignore_errors=True)
            print(f"training clerigues-ct-2d-fast, {tr} mirror ({args.folds} folds × {args.epochs} epochs)", flush=True)
            t0 = time.perf_counter()
            strokeseg(
                "train", "--recipe", "clerigues-ct-2d-fast", "--input", data, "--out", run, "--folds", str(args.folds),
                "--epochs", str(args.epochs), "--set", f"symmetric_transform={tr}",
            )  # fmt: skip
            seconds[tr] = time.perf_counter() - t0
        runs.append(f"{tr}={run}")
    strokeseg("compare", *runs, "--out", OUT / "compare", "--reference", "rigid", "--overwrite")
    comparison = json.loads((OUT / "compare" / "comparison.json").read_text(encoding="utf-8"))
    md = (OUT / "compare" / "comparison.md").read_text(encoding="utf-8")
    head = (
        f"`clerigues-ct-2d-fast` on the 12-case phantom CT cohort (seed 2026), {args.folds} folds × {args.epochs} epochs, the same "
        "folds for both: the mirrored modalities registered with an in-plane `affine` (the paper's FLIRT) against `rigid`.\n\n"
    )
    data_out = {"epochs": args.epochs, "folds": args.folds, "cases": 12, "seconds": seconds, "comparison": comparison}
    write_results(
        "symmetric_transform",
        data_out,
        "The Clèrigues mirror: affine against rigid registration",
        head + md,
        "bench_symmetric_transform.py",
    )
    print(head + md)


if __name__ == "__main__":
    main()
