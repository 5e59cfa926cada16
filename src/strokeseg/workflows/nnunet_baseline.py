"""An nnU-Net baseline in strokeseg's own folds: the dataset exported (``strokeseg export nnunet``),
nnunetv2's default planning, preprocessing and trainer run per fold through the ``nnunet`` extra,
and each held-out fold predicted with the native runner and scored like every other recipe.

Writes into ``out``: ``cv/per_case.csv``, ``cv/summary.{md,json}`` and ``cv/folds.json`` (the
out-of-fold rows ``strokeseg compare`` reads) and ``nnunet/<Trainer>__<Plans>__<configuration>/``
(the trained folds, a model folder ``strokeseg predict --model`` runs). nnU-Net's full schedule
(1000 epochs × 250 iterations) is a GPU job; ``epochs`` and ``iterations`` shorten it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from strokeseg.errors import ConfigError, InputError, TrainingError
from strokeseg.evaluation.cohort import summarise
from strokeseg.evaluation.runner import EvaluationResult, evaluate_case_arrays, write_results
from strokeseg.io.case import CaseRef, load_case
from strokeseg.io.labels import Region
from strokeseg.io.modes import ExportTarget
from strokeseg.prediction.nnunet import NnUNetOptions, NnUNetRunner
from strokeseg.workflows.export import ExportOptions, export_nnunet

#: the regions each target is scored on: those every recipe's out-of-fold rows use (a lesion target, labels
#: 1 ∪ 2, is the ``hypoperfused`` region, as in :func:`strokeseg.training.cv.regions_for_target`)
REGIONS = {
    ExportTarget.CORE: [Region.CORE],
    ExportTarget.LESION: [Region.HYPOPERFUSED],
    ExportTarget.REGIONS: [Region.CORE, Region.PENUMBRA, Region.HYPOPERFUSED],
}


@dataclass(frozen=True)
class BaselineOptions:
    """The baseline's settings.

    Attributes:
        target: ``core``, ``lesion`` or ``regions`` (as ``strokeseg export nnunet``).
        configuration: nnU-Net configuration (``3d_fullres``, ``2d``).
        folds: patient-grouped folds (strokeseg's, numbered from 0 in nnU-Net); ``seed`` their shuffle.
        epochs, iterations: the training schedule (nnU-Net: 1000 × 250).
        device: ``cpu`` or ``cuda``.
        plans_edit: values merged into the planned configuration (``arch_kwargs`` into the network's), e.g.
            a smaller network for a test; empty: nnU-Net's default plans.
    """

    target: ExportTarget | str = ExportTarget.CORE
    configuration: str = "3d_fullres"
    folds: int = 5
    seed: int = 0
    epochs: int = 1000
    iterations: int = 250
    device: str = "cpu"
    plans_edit: dict[str, Any] = field(default_factory=dict)


def _step(args: list[str], env: dict[str, str], log: Path) -> None:
    cmd = [sys.executable, "-m", "strokeseg.training.nnunet_driver", *args]
    with open(log, "a", encoding="utf-8") as fh:
        proc = subprocess.run(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        raise TrainingError(f"nnU-Net step '{' '.join(args[:3])}' failed (exit {proc.returncode}); see {log}")


def _env(work: Path) -> dict[str, str]:
    import importlib.util

    if importlib.util.find_spec("nnunetv2") is None:
        raise ConfigError("the nnU-Net baseline needs nnU-Net itself: make nnunet-deps (the nnunet extra)")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    for key in ("raw", "preprocessed", "results"):
        (work / key).mkdir(parents=True, exist_ok=True)
        env[f"nnUNet_{key}"] = str(work / key)
    return env


def _score_folds(model_dir: Path, refs: Sequence[CaseRef], splits: list[dict[str, list[str]]], target: str) -> list[dict[str, Any]]:
    """Each held-out fold predicted by its own fold's model (native runner) and scored."""
    by_id = {r.case_id: r for r in refs}
    rows: list[dict[str, Any]] = []
    for k, split in enumerate(splits):
        runner = NnUNetRunner.load([model_dir], NnUNetOptions(folds=(str(k),)))
        for cid in split["val"]:
            case = load_case(by_id[cid], modalities=runner.modalities)  # the model's channels and the label
            pred = runner.predict(case)
            assert case.label is not None
            rows += evaluate_case_arrays(cid, pred.labels, case.label, case.geometry, REGIONS[ExportTarget(target)], case.group)
    return rows


def nnunet_baseline(refs: Sequence[CaseRef], out: Path, opts: BaselineOptions, log: Callable[[str], None] = print) -> EvaluationResult:
    """Export, plan, train every fold and score the held-out folds into ``out`` (see the module docstring)."""
    work = out / "nnunet_work"
    env = _env(work)
    eo = ExportOptions(999, "strokeseg", opts.target, folds=opts.folds, seed=opts.seed)
    root = export_nnunet([r for r in refs if r.label is not None], work / "raw", eo)
    if not (root / "splits_final.json").is_file():
        raise InputError("the nnU-Net baseline needs labelled cases of at least two patients")
    splits = json.loads((root / "splits_final.json").read_text(encoding="utf-8"))
    logfile = out / "nnunet.log"
    log(f"nnU-Net: planning and preprocessing {opts.configuration} (log: {logfile})")
    _step(["plan", "999", opts.configuration, json.dumps(opts.plans_edit)], env, logfile)
    for k in range(len(splits)):
        log(f"nnU-Net: training fold {k} of {len(splits)} ({opts.epochs} epochs × {opts.iterations} iterations, {opts.device})")
        _step(["train", "999", opts.configuration, str(k), str(opts.epochs), str(opts.iterations), opts.device], env, logfile)
    trained = work / "results" / root.name / f"nnUNetTrainer__nnUNetPlans__{opts.configuration}"
    model_dir = out / "nnunet" / trained.name
    model_dir.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(trained), model_dir)
    log("nnU-Net: predicting the held-out folds (native runner)")
    rows = _score_folds(model_dir, refs, splits, opts.target)
    result = EvaluationResult(rows, summarise(rows), [r.value for r in REGIONS[ExportTarget(opts.target)]])
    write_results(result, out / "cv", title=f"nnU-Net {opts.configuration}: {len(splits)}-fold cross-validation")
    (out / "cv" / "folds.json").write_text(json.dumps({"folds": [s["val"] for s in splits]}, indent=2), encoding="utf-8")
    shutil.rmtree(work, ignore_errors=True)
    return result
