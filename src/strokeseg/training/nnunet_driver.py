"""nnU-Net's planning, preprocessing and training of one fold, run in a child process by
:mod:`strokeseg.workflows.nnunet_baseline` (nnunetv2 reads its folders from environment variables
when first imported, so each step gets a fresh process with them set).

    python -m strokeseg.training.nnunet_driver plan ID CONFIGURATION [PLANS_EDIT_JSON]
    python -m strokeseg.training.nnunet_driver train ID CONFIGURATION FOLD EPOCHS ITERATIONS DEVICE
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path


def _dataset(dataset_id: int) -> str:
    raw = Path(os.environ["nnUNet_raw"])
    return next(p.name for p in raw.iterdir() if p.name.startswith(f"Dataset{dataset_id:03d}_"))


def plan(dataset_id: int, configuration: str, edit: dict | None = None) -> None:
    """Fingerprint, default plans (with ``edit`` merged into the configuration), preprocessing, and
    strokeseg's ``splits_final.json`` copied where nnU-Net reads it."""
    os.environ["nnUNet_n_proc_DA"] = "1"
    from nnunetv2.experiment_planning.plan_and_preprocess_api import extract_fingerprints, plan_experiments, preprocess

    extract_fingerprints([dataset_id], num_processes=1, check_dataset_integrity=True)
    plan_experiments([dataset_id])
    name = _dataset(dataset_id)
    pre = Path(os.environ["nnUNet_preprocessed"]) / name
    if edit:
        plans = json.loads((pre / "nnUNetPlans.json").read_text(encoding="utf-8"))
        cfg = plans["configurations"][configuration]
        arch = edit.pop("arch_kwargs", {})
        cfg.update(edit)
        cfg["architecture"]["arch_kwargs"].update(arch)
        (pre / "nnUNetPlans.json").write_text(json.dumps(plans, indent=2), encoding="utf-8")
    preprocess([dataset_id], configurations=(configuration,), num_processes=(1,))
    shutil.copy(Path(os.environ["nnUNet_raw"]) / name / "splits_final.json", pre / "splits_final.json")


def train(dataset_id: int, configuration: str, fold: int, epochs: int, iterations: int, device: str) -> None:
    """nnU-Net's default trainer on one fold of ``splits_final.json``; ``epochs`` × ``iterations``."""
    os.environ["nnUNet_n_proc_DA"] = "0"
    import torch
    from nnunetv2.training.nnUNetTrainer.nnUNetTrainer import nnUNetTrainer

    pre = Path(os.environ["nnUNet_preprocessed"]) / _dataset(dataset_id)
    plans = json.loads((pre / "nnUNetPlans.json").read_text(encoding="utf-8"))
    plans["continue_training"] = False
    trainer = nnUNetTrainer(
        plans, configuration, fold, json.loads((pre / "dataset.json").read_text(encoding="utf-8")), device=torch.device(device)
    )
    trainer.num_epochs = epochs
    trainer.num_iterations_per_epoch = iterations
    trainer.num_val_iterations_per_epoch = max(1, iterations // 5)
    trainer.run_training()


def main(argv: list[str]) -> None:
    if argv[0] == "plan":
        plan(int(argv[1]), argv[2], json.loads(argv[3]) if len(argv) > 3 else None)
    elif argv[0] == "train":
        train(int(argv[1]), argv[2], int(argv[3]), int(argv[4]), int(argv[5]), argv[6])
    else:
        raise SystemExit(f"unknown step {argv[0]!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
