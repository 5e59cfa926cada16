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
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_method_comparison import OUT as COMPARISON_OUT
from results import write_results
from variants import train_variants

OUT = COMPARISON_OUT / "symmetric_transform"
TRANSFORMS = ("rigid", "affine")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--folds", type=int, default=3)
    args = ap.parse_args()
    comparison, md, seconds = train_variants(
        "clerigues-ct-2d-fast", {tr: [f"symmetric_transform={tr}"] for tr in TRANSFORMS}, OUT, args.epochs, args.folds, None
    )
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
