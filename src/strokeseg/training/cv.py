"""Cross-validation of a recipe on a dataset, ending in a model bundle.

1. Every labelled case is prepared once (channels, symmetric copies from the cache, brain mask).
2. Folds are grouped by patient. For each fold: a patient-level validation split of the
   training cases for early stopping, whitening statistics from the training cases, the
   balanced patch sets, training, and out-of-fold probabilities for the fold's test cases.
3. The T × S_min grid is evaluated once per case; each fold's test cases are binarised with the
   (T, S_min) chosen on the *other* folds' cases (nested), so the reported CV figures are not
   tuned on themselves. The bundle keeps the (T, S_min) chosen on all out-of-fold predictions.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from strokeseg.bundle.bundle import ModelBundle, save_weights
from strokeseg.errors import WITHOUT_RESUME, ConfigError, InputError, Message
from strokeseg.evaluation.cohort import summarise
from strokeseg.evaluation.runner import EvaluationResult, evaluate_case_arrays, write_results
from strokeseg.inference.predict import foreground_classes, labels_argmax, labels_from_probs, predict_probs
from strokeseg.io.atomic import write_text
from strokeseg.io.labels import Region, Target
from strokeseg.models import build_network
from strokeseg.models.layers import PretrainedBackbone
from strokeseg.models.registry import apply_pretrained
from strokeseg.postprocess.config import GridSearch, LabelMode
from strokeseg.postprocess.gridsearch import GridTable, grid_table
from strokeseg.preprocessing.config import Normalization
from strokeseg.preprocessing.normalization import SCALAR_CHANNELS, Normalizer
from strokeseg.preprocessing.prepare import PreparedCase
from strokeseg.recipes.recipe import Recipe
from strokeseg.recipes.specs import TrainConfig
from strokeseg.sampling.config import SamplingMode
from strokeseg.training.checkpoint import load_checkpoint
from strokeseg.training.data import PatchData
from strokeseg.training.fingerprint import check_run_fingerprint
from strokeseg.training.folds import grouped_folds, validation_split
from strokeseg.training.report import cv_report_markdown
from strokeseg.training.split import SplitFold, check_split, read_split, training_ids
from strokeseg.training.trainer import FitOptions, fit
from strokeseg.util.memory import release_freed_memory
from strokeseg.util.pool import run_in_processes, threads_per_job
from strokeseg.util.progress import progress
from strokeseg.util.seeds import fold_seed

_log = logging.getLogger("strokeseg")


def regions_for_target(target: Target) -> list[Region]:
    """The regions a model of ``target`` is scored on."""
    if target == Target.CORE:
        return [Region.CORE]
    if target == Target.THREE_CLASS:
        return [Region.CORE, Region.PENUMBRA, Region.HYPOPERFUSED]
    return [Region.HYPOPERFUSED]


def output_label_for(cases: list[PreparedCase], target: Target) -> int:
    """The canonical label a binary model's lesion voxels get: 2 (core) for a core model, else the commonest lesion label."""
    if target == Target.CORE:
        return 2
    counts: Counter[int] = Counter()
    for c in cases:
        if c.label is not None:
            vals, n = np.unique(c.label[c.label > 0], return_counts=True)
            counts.update({int(v): int(k) for v, k in zip(vals, n)})
    return counts.most_common(1)[0][0] if counts else 1


@dataclass
class FoldSetup:
    """Everything one fold trains with: its split, whitening, patch sets, model and training configuration."""

    train_ids: list[str]
    val_ids: list[str]
    directory: Path
    seed: int
    normalizer: Normalizer
    train: PatchData
    val: PatchData | None
    model: torch.nn.Module
    pretrained: dict[str, Any]
    train_cfg: TrainConfig
    test_ids: list[str] = field(default_factory=list)


def _split(recipe: Recipe) -> list[SplitFold] | None:
    return read_split(recipe.split_file) if recipe.split_file else None


def _folds(labelled: list[PreparedCase], recipe: Recipe) -> list[list[str]]:
    """Each fold's test case ids: the recipe's split file's, or folds grouped by patient and dealt at random."""
    split = _split(recipe)
    if split is not None:
        if len(split) != recipe.folds:
            raise ConfigError(f"{recipe.split_file}: {len(split)} fold(s), but the recipe has folds={recipe.folds}; set folds={len(split)}")
        check_split(split, [c.case_id for c in labelled], [c.patient_id for c in labelled], str(recipe.split_file))
        nested = recipe.postprocess.mode != LabelMode.ARGMAX and recipe.postprocess.search == GridSearch.NESTED
        if len(split) == 1 and nested:
            raise ConfigError(
                f"{recipe.split_file}: one fixed split leaves no other fold to choose T and S_min on; "
                "set postprocess.search=pooled or postprocess.mode=argmax"
            )
        return [list(f.test) for f in split]
    if len(labelled) < recipe.folds:
        raise InputError(f"{len(labelled)} labelled case(s) cannot make {recipe.folds} folds")
    return grouped_folds([c.case_id for c in labelled], [c.patient_id for c in labelled], recipe.folds, recipe.seed)


def warn_small_folds(labelled: list[PreparedCase], folds: list[list[str]], recipe: Recipe, log: Callable[[str], None] = _log.info) -> None:
    """Say when a fold has too few cases to learn from or to stop early on."""
    by_id = {c.case_id: c for c in labelled}
    for k, test_ids in enumerate(folds):
        tr, va = fold_train_validation(labelled, recipe, k, test_ids)
        if len(tr) < 2 or not va:
            log(
                f"warning: fold_{k} has {len(tr)} training and {len(va)} validation case(s) ({len(test_ids)} "
                "test): "
                "too few to learn from and to stop early on; use more cases or fewer folds"
            )
        lesion = sum(1 for i in tr if by_id[i].target is not None and bool(np.any(by_id[i].target)))
        if lesion == 0:
            log(f"warning: fold_{k}: none of its {len(tr)} training case(s) has a lesion; the model cannot learn one")


def fold_train_validation(labelled: list[PreparedCase], recipe: Recipe, k: int, test_ids: list[str]) -> tuple[list[str], list[str]]:
    """Fold ``k``'s training and validation case ids: the split file's, or a seeded patient-level share of the non-test cases."""
    split = _split(recipe)
    if split is not None:
        return training_ids(split[k], [c.case_id for c in labelled]), list(split[k].validation)
    by_id = {c.case_id: c for c in labelled}
    trainval = [c.case_id for c in labelled if c.case_id not in test_ids]
    return validation_split(trainval, [by_id[i].patient_id for i in trainval], recipe.validation_fraction, recipe.seed + k)


def setup_fold(labelled: list[PreparedCase], recipe: Recipe, out: Path, k: int, test_ids: list[str]) -> FoldSetup:
    """Fold ``k``: patient-level validation split, whitening statistics, patch sets and a seeded model."""
    by_id = {c.case_id: c for c in labelled}
    tr_ids, va_ids = fold_train_validation(labelled, recipe, k, test_ids)
    seed = fold_seed(recipe.seed, k)
    prep, tcfg = recipe.prepare, recipe.train  # the stage configs, not the file's flat fields
    norm = Normalizer(labelled[0].channels, prep.normalization, clip=prep.intensity_clip)
    if prep.normalization != Normalization.CASE:  # "none" keeps the statistics for the input guard
        norm.fit((by_id[i].x, by_id[i].brain) for i in tr_ids)
    train = PatchData([by_id[i] for i in tr_ids], recipe.sampling_plan, norm, seed)
    val = PatchData([by_id[i] for i in va_ids], recipe.sampling_plan, norm, seed + 1, augment=False) if va_ids else None
    torch.manual_seed(seed)
    model = build_network(tcfg.network.name, in_channels=len(labelled[0].channels), num_classes=tcfg.num_classes, **tcfg.network.kwargs)
    pretrained: dict[str, Any] = (
        apply_pretrained(model, tcfg.pretrained) if tcfg.pretrained or isinstance(model, PretrainedBackbone) else {"pretrained": False}
    )
    stages = recipe.stages_for(bool(pretrained["pretrained"]))
    if stages != recipe.train.fine_tuning:
        pretrained["note"] = (
            pretrained.get("note", "") + "; the frozen fine-tuning stages were skipped (freezing random "
            "features only spends the patience): every layer trained from the start"
        ).lstrip("; ")
    train_cfg = replace(tcfg, fine_tuning=stages)
    return FoldSetup(tr_ids, va_ids, out / f"fold_{k}", seed, norm, train, val, model, pretrained, train_cfg, list(test_ids))


def _train_fold_job(
    labelled: list[PreparedCase], recipe: Recipe, out: Path, device: str, fold: tuple[int, list[str]], resume: bool, threads: int
) -> tuple[int, int, int]:
    """One fold's training (``fold`` = index and test case ids) in a worker process (``cross_validate(jobs=…)``);
    leaves a finished checkpoint."""
    k, test_ids = fold
    torch.set_num_threads(threads)
    f = setup_fold(labelled, recipe, out, k, test_ids)
    res = fit(
        f.model, f.train_cfg, f.train, f.val, torch.device(device), f.directory, FitOptions(resume=resume, seed=f.seed, title=f"fold_{k}")
    )
    return k, res.best_epoch, len(res.rows)


def fold_devices(device: torch.device, n_folds: int, n_gpus: int) -> list[str]:
    """The device of each fold trained at once: the visible GPUs round robin (fold k on ``cuda:k mod n``), else ``device``."""
    from strokeseg.training.device import round_robin

    return round_robin(str(device), n_folds, n_gpus) or [str(device)] * n_folds


def train_folds_parallel(
    labelled: list[PreparedCase],
    recipe: Recipe,
    out: Path,
    device: torch.device,
    jobs: int,
    resume: bool = False,
    log: Callable[[str], None] = _log.info,
) -> None:
    """Train the folds in ``jobs`` worker processes at once (the visible GPUs round robin, or the CPU cores split).

    Each worker leaves its fold's finished checkpoint; ``cross_validate`` then resumes every fold
    from it (no further epochs) to predict and to run the grid search, so the bundle is the same
    as a sequential run's up to floating-point non-determinism of the device.
    """
    folds = _folds(labelled, recipe)
    threads = threads_per_job(jobs)
    n_gpus = torch.cuda.device_count() if device.type == "cuda" else 0
    devices = fold_devices(device, len(folds), n_gpus)
    calls = [(labelled, recipe, out, devices[k], (k, list(t)), resume, threads) for k, t in enumerate(folds)]
    for _, (k, best, ran) in run_in_processes(_train_fold_job, calls, jobs):
        log(f"fold_{k} ({k + 1} of {recipe.folds}) trained in a worker: best epoch {best} of {ran}")


def train_folds_distributed(
    cases: list[PreparedCase],
    recipe: Recipe,
    out: Path,
    device: torch.device,
    dist: Any,
    resume: bool = False,
    log: Callable[[str], None] = _log.info,
) -> None:
    """Every fold trained data-parallel over the ranks of a torchrun job (see :mod:`strokeseg.training.distributed`).

    Rank 0 checks the folder first (fingerprint, checkpoints) and alone writes the checkpoints; each fold
    ends with a finished checkpoint from which ``cross_validate`` (rank 0) resumes to predict and to run the
    grid search, as after :func:`train_folds_parallel`.
    """
    labelled = [c for c in cases if c.target is not None]
    folds = _folds(labelled, recipe)
    if dist.is_main:
        _start(cases, recipe, out, resume, log)
    dist.barrier()  # the other ranks read nothing before rank 0 has checked the folder
    for k, test_ids in enumerate(folds):
        f = setup_fold(labelled, recipe, out, k, test_ids)
        res = fit(
            f.model, f.train_cfg, f.train, f.val, device, f.directory, FitOptions(resume=resume, seed=f.seed, title=f"fold_{k}", dist=dist)
        )
        log(f"fold_{k} ({k + 1} of {recipe.folds}) trained on {dist.world} processes: best epoch {res.best_epoch} of {len(res.rows)}")


@dataclass
class _FoldsDone:
    """What training the folds leaves: out-of-fold probabilities per case and each fold's bundle entry."""

    oof: dict[str, np.ndarray]
    fold_info: list[dict[str, Any]]
    pretrained: dict[str, Any]


def _check_fits(ck: dict[str, Any], recipe: Recipe, in_channels: int, path: Path) -> None:
    """Refuse a checkpoint whose weights do not fit this recipe's network (other shapes or keys)."""
    net = recipe.train.network
    model = build_network(net.name, in_channels=in_channels, num_classes=recipe.num_classes, **net.kwargs)
    try:
        model.load_state_dict(ck["model"])
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]
        raise InputError(
            Message(f"cannot resume: the checkpoint does not fit this recipe's network ({detail}); delete it or train ", WITHOUT_RESUME),
            path,
        ) from None


def _start(
    cases: list[PreparedCase], recipe: Recipe, out: Path, resume: bool, log: Callable[[str], None]
) -> tuple[list[PreparedCase], list[list[str]]]:
    """The labelled cases and their folds; checks the run fingerprint and the checkpoints before anything changes."""
    labelled = [c for c in cases if c.target is not None]
    folds = _folds(labelled, recipe)
    out.mkdir(parents=True, exist_ok=True)
    check_run_fingerprint(out, recipe, labelled, resume)
    if resume:  # every checkpoint is checked (weights_only, and against the network) before anything changes
        for k in range(len(folds)):
            ck = load_checkpoint(out / f"fold_{k}" / "checkpoint.pt")
            if ck is not None and labelled:
                _check_fits(ck, recipe, len(labelled[0].channels), out / f"fold_{k}" / "checkpoint.pt")
    (out / "bundle.json").unlink(missing_ok=True)  # the folder is a usable bundle again only when this run ends
    warn_small_folds(labelled, folds, recipe, log)
    return labelled, folds


def _train_fold(
    f: FoldSetup, k: int, recipe: Recipe, device: torch.device, resume: bool, log: Callable[[str], None]
) -> tuple[Any, dict[str, Any]]:
    """Train fold ``k`` (or resume it), save its best weights; returns the fit result and its bundle entry."""
    kind = "slices" if recipe.sampling.mode == SamplingMode.SLICES else "patches"
    balance = " / ".join(f"{x:.1%}" for x in f.train.class_frequencies(recipe.num_classes))
    log(
        f"fold_{k} ({k + 1} of {recipe.folds}): {len(f.train_ids)} training, {len(f.val_ids)} validation, "
        f"{len(f.test_ids)} test cases; {len(f.train)} training {kind} (class balance {balance})"
    )
    opts = FitOptions(resume=resume, seed=f.seed, title=f"fold_{k}")
    res = fit(f.model, f.train_cfg, f.train, f.val, device, f.directory, opts)
    f.model.load_state_dict(res.best_state)
    digest = save_weights(f.directory / "weights.pt", res.best_state)
    info = {
        "fold": k,
        "train": f.train_ids,
        "validation": f.val_ids,
        "test": list(f.test_ids),
        "weights": f"fold_{k}/weights.pt",
        "sha256": digest,
        "normalization": f.normalizer.to_dict(),
        "best_epoch": res.best_epoch,
        "epochs_run": len(res.rows),
        "stopped_early": res.stopped_early,
        "pretrained": f.pretrained,
    }
    return res, info


def _train_folds(
    labelled: list[PreparedCase],
    folds: list[list[str]],
    recipe: Recipe,
    out: Path,
    device: torch.device,
    resume: bool,
    log: Callable[[str], None],
) -> _FoldsDone:
    by_id = {c.case_id: c for c in labelled}
    done = _FoldsDone({}, [], {"pretrained": False})
    t_start = time.perf_counter()
    for k, test_ids in enumerate(folds):
        f = setup_fold(labelled, recipe, out, k, test_ids)
        res, info = _train_fold(f, k, recipe, device, resume, log)
        done.fold_info.append(info)
        done.pretrained = f.pretrained
        for cid in progress(test_ids, f"fold_{k} predict", "case"):
            done.oof[cid] = predict_probs(by_id[cid], [(f.model, f.normalizer)], recipe.window(), device)[0]
        log(f"fold_{k}: best epoch {res.best_epoch} of {len(res.rows)}, {time.perf_counter() - t_start:.0f} s so far")
        del f, res  # the fold's network, optimiser state and best weights go before the next fold builds its own,
        release_freed_memory()  # and back to the system: the heap's holes would otherwise add to the next fold's peak
    return done


def _nested_evaluation(
    labelled: list[PreparedCase], folds: list[list[str]], recipe: Recipe, oof: dict[str, np.ndarray], out: Path
) -> tuple[EvaluationResult, list[dict[str, Any]], GridTable]:
    """T and S_min per fold chosen on the other folds' cases, the labels they give, and their ISLES metrics (over the
    cases some fold held out: all of them in k-fold cross-validation, the test cases of a split file)."""
    ids = [c.case_id for c in labelled if c.case_id in oof]
    by_id = {c.case_id: c for c in labelled}
    fg = list(foreground_classes(recipe.num_classes))
    pp = recipe.postprocess
    truths = [np.asarray((by_id[i].target if recipe.prepare.target != Target.THREE_CLASS else by_id[i].label) > 0) for i in ids]  # type: ignore[operator]
    table = grid_table(
        [oof[i][fg].sum(0) for i in ids], truths, [by_id[i].brain for i in ids], [by_id[i].geometry.spacing_zyx for i in ids], ids, pp
    )
    output_label = output_label_for(labelled, recipe.prepare.target)
    rows: list[dict[str, Any]] = []
    nested: list[dict[str, Any]] = []
    regions = regions_for_target(recipe.prepare.target)
    pooled = table.best() if pp.search == GridSearch.POOLED else None
    argmax = pp.mode == LabelMode.ARGMAX
    for k, test_ids in enumerate(folds):
        if argmax:  # each voxel's most probable class, as the paper: no T, no S_min
            t_k, s_k = 0.5, 0
            nested.append({"fold": k, "postprocess": "argmax"})
        elif pooled is not None:  # one (T, S_min) over every fold's cases, as the Clèrigues papers
            t_k, s_k, sc = pooled
            nested.append({"fold": k, "threshold": t_k, "min_size": s_k, "score_on_all_folds": sc})
        else:
            t_k, s_k, sc = table.best([i for i in ids if i not in test_ids])
            nested.append({"fold": k, "threshold": t_k, "min_size": s_k, "score_on_other_folds": sc})
        for cid in test_ids:
            c = by_id[cid]
            lab = (
                labels_argmax(oof[cid], c.brain, recipe.prepare.target, output_label)
                if argmax
                else labels_from_probs(oof[cid], c.brain, t_k, s_k, recipe.prepare.target, output_label, recipe.num_classes)
            )
            assert c.label is not None
            rows += evaluate_case_arrays(cid, lab, c.label, c.geometry, regions, c.group)
    result = EvaluationResult(rows, summarise(rows), [r.value for r in regions])
    how = "argmax, as the paper" if argmax else "T/S_min searched over all folds, as the paper" if pooled is not None else "nested T/S_min"
    write_results(result, out / "cv", title=f"{recipe.name}: {recipe.folds}-fold cross-validation ({how})")
    np.savez_compressed(
        out / "cv" / "gridsearch.npz",
        thresholds=table.thresholds,
        min_sizes=table.min_sizes,
        dice=table.dice,
        hd=table.hd,
        case_ids=np.array(ids),
    )
    return result, nested, table


def cross_validate(
    cases: list[PreparedCase],
    recipe: Recipe,
    out: Path,
    device: torch.device,
    resume: bool = False,
    log: Callable[[str], None] = _log.info,
    jobs: int = 1,
) -> tuple[ModelBundle, EvaluationResult]:
    """Train and evaluate every fold into the bundle folder ``out``; ``jobs`` > 1 trains that many folds at
    once in worker processes. Returns the bundle (T and S_min chosen on all out-of-fold predictions) and the
    nested cross-validation result."""
    labelled, folds = _start(cases, recipe, out, resume, log)
    t_start = time.perf_counter()
    if jobs > 1:
        train_folds_parallel(labelled, recipe, out, device, jobs, resume, log)
        resume = True
    done = _train_folds(labelled, folds, recipe, out, device, resume, log)
    result, nested, table = _nested_evaluation(labelled, folds, recipe, done.oof, out)
    t_all, s_all, sc_all = table.best()
    if recipe.postprocess.mode == LabelMode.ARGMAX:  # the bundle predicts by argmax (T 0.5, S_min 0 for a two-class model)
        t_all, s_all = 0.5, 0
    meta = {
        "cv_seconds": time.perf_counter() - t_start,
        "nested": nested,
        "final_score": sc_all,
        "device": str(device),
        "cases": len(labelled),
        "patients": len({c.patient_id for c in labelled}),
        "pretrained": done.pretrained,
    }
    channels = labelled[0].channels
    modalities = list(dict.fromkeys(ch.removesuffix("_sym") for ch in channels if ch not in SCALAR_CHANNELS))
    bundle = ModelBundle(
        out,
        recipe,
        channels,
        modalities,
        recipe.prepare.target,
        output_label_for(labelled, recipe.prepare.target),
        recipe.num_classes,
        t_all,
        s_all,
        done.fold_info,
        meta,
    )
    bundle.save()
    write_text(out / "cv" / "cv_report.md", cv_report_markdown(bundle, result))
    write_text(out / "cv" / "folds.json", json.dumps({"folds": folds, "nested": nested}, indent=2))
    return bundle, result
