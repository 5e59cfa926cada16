"""The Clèrigues CT recipe's mirror registration: affine (as the paper's FSL FLIRT) against rigid, on one phantom CT cohort.

Both train ``clerigues-ct-2d-fast`` on the same 12-case phantom CT cohort (seed 2026) and the same 3
patient-grouped folds, differing only in ``symmetric_transform``; ``strokeseg compare`` pairs their
out-of-fold cases (Wilcoxon). The training is shortened to the CPU budget (``--epochs``, as
bench_method_comparison.py): these are the harness's numbers, not the recipe's best. Nothing is tuned on the result.

Writes ``docs/results/symmetric_transform.{json,md}``.

    .venv/bin/python benchmarks/bench_symmetric_transform.py [--epochs 10]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from variants import variant_benchmark

TRANSFORMS = ("rigid", "affine")

if __name__ == "__main__":
    variant_benchmark(
        "symmetric_transform",
        "The Clèrigues mirror: affine against rigid registration",
        "clerigues-ct-2d-fast",
        {tr: [f"symmetric_transform={tr}"] for tr in TRANSFORMS},
        "`clerigues-ct-2d-fast` on the 12-case phantom CT cohort (seed 2026), {folds} folds × {epochs} epochs, the same "
        "folds for both: the mirrored modalities registered with an in-plane `affine` (the paper's FLIRT) against `rigid`.",
        10,
    )
