"""The adversarial SegNet's phase-5 objective: the paper's form against strokeseg's earlier one, on one phantom CT cohort.

The paper's segmenter minimises J_Adv = −αJ_D1 − βJ_D2 − γJ_D3 (the discriminators' own losses, maximised);
strokeseg's earlier form minimised J_seg + α·J_G1 + β·J_G2 + γ·J_D3 (relativistic non-saturating generator
losses, D3's loss minimised). Both train ``adversarial-segnet-fast`` (CT analogues of its MRI inputs, as
bench_method_comparison.py) on the same 12-case phantom CT cohort (seed 2026) and the same 3 patient-grouped folds;
``strokeseg compare`` pairs their out-of-fold cases (Wilcoxon). The training is shortened to the CPU budget
(``--epochs``): these are the harness's numbers, not the recipe's best. Nothing is tuned on the result.

Writes ``docs/results/adversarial_objective.{json,md}``.

    .venv/bin/python benchmarks/bench_adversarial_objective.py [--epochs 6]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_published_recipes import CT_ANALOGUE
from variants import variant_benchmark

OBJECTIVES = ("nonsaturating", "paper")

if __name__ == "__main__":
    variant_benchmark(
        "adversarial_objective",
        "The adversarial SegNet's objective: the paper's form",
        "adversarial-segnet-fast",
        {obj: [f"adversarial.objective={obj}"] for obj in OBJECTIVES},
        "`adversarial-segnet-fast` on the 12-case phantom CT cohort (seed 2026), {folds} folds × {epochs} epochs, the same "
        "folds for both objectives: `paper` (J_Adv = −αJ_D1 − βJ_D2 − γJ_D3) against `nonsaturating` (J_seg + α·J_G1 + "
        "β·J_G2 + γ·J_D3, strokeseg's earlier form).",
        6,
        CT_ANALOGUE["adversarial-segnet"],
    )
