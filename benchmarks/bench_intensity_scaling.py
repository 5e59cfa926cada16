"""The engine's intensity scaling where a paper describes none: percentile clipping before the z-scores, on and off.

The Clèrigues and Tomasetti papers do not say how they scaled their inputs; strokeseg whitens each channel with
the training cases' mean and sd after clipping it to its 0.5–99.5th brain percentiles (nnU-Net's CT scheme). This
trains ``clerigues-ct-2d-fast`` on the 12-case phantom CT cohort (seed 2026) and the same 3 patient-grouped folds
with the clipping (the recipes' setting) and without it (``intensity_clip: null``: plain dataset z-scores); ``strokeseg
compare`` pairs their out-of-fold cases (Wilcoxon). The training is shortened to the CPU budget (``--epochs``, as
bench_method_comparison.py): the harness's numbers, not the recipe's best. Nothing is tuned on the result.

Writes ``docs/results/intensity_scaling.{json,md}``.

    .venv/bin/python benchmarks/bench_intensity_scaling.py [--epochs 10]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from variants import variant_benchmark

VARIANTS = {"clip": ["intensity_clip=[0.5,99.5]"], "no-clip": ["intensity_clip=null"]}

if __name__ == "__main__":
    variant_benchmark(
        "intensity_scaling",
        "Intensity scaling where the paper names none: clipping on and off",
        "clerigues-ct-2d-fast",
        VARIANTS,
        "`clerigues-ct-2d-fast` on the 12-case phantom CT cohort (seed 2026), {folds} folds × {epochs} epochs, the same "
        "folds for both: dataset z-scores after clipping each channel to its 0.5–99.5th brain percentiles (`clip`, the "
        "recipes' setting) against plain dataset z-scores (`no-clip`).",
        10,
    )
