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
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from strokeseg.errors import InputError
from strokeseg.evaluation.cohort import summarise
from strokeseg.evaluation.runner import EvaluationResult, evaluate_case_arrays, write_results
from strokeseg.inference.predict import foreground_classes, labels_from_probs, predict_probs
from strokeseg.io.atomic import write_text
from strokeseg.io.labels import Region
from strokeseg.models import build_network
from strokeseg.models.layers import PretrainedBackbone
from strokeseg.models.registry import apply_pretrained
from strokeseg.postprocess.gridsearch import grid_table
from strokeseg.preprocessing.normalization import SCALAR_CHANNELS, Normalizer
from strokeseg.preprocessing.prepare import PreparedCase
from strokeseg.training.bundle import ModelBundle
from strokeseg.training.data import PatchData
from strokeseg.training.folds import grouped_folds, validation_split
from strokeseg.training.recipe import Recipe
from strokeseg.training.report import cv_report_markdown
from strokeseg.training.trainer import fit
from strokeseg.util.progress import progress_bar


def regions_for_target(target: str) -> list[Region]:
    if target == "core":
        return [Region.CORE]
    if target == "three-class":
        return [Region.CORE, Region.PENUMBRA, Region.HYPOPERFUSED]
    return [Region.HYPOPERFUSED]


def output_label_for(cases: list[PreparedCase], target: str) -> int:
    if target == "core":
        return 2
    counts: Counter[int] = Counter()
    for c in cases:
        if c.label is not None:
            vals, n = np.unique(c.label[c.label > 0], return_counts=True)
            counts.update({int(v): int(k) for v, k in zip(vals, n)})
    return counts.most_common(1)[0][0] if counts else 1


def cross_validate(
    cases: list[PreparedCase],
    recipe: Recipe,
    out: Path,
    device: torch.device,
    resume: bool = False,
    log: Callable[[str], None] = print,
) -> tuple[ModelBundle, EvaluationResult]:
    labelled = [c for c in cases if c.target is not None]
    if len(labelled) < recipe.folds:
        raise InputError(f"{len(labelled)} labelled case(s) cannot make {recipe.folds} folds")
    ids = [c.case_id for c in labelled]
    by_id = {c.case_id: c for c in labelled}
    folds = grouped_folds(ids, [c.patient_id for c in labelled], recipe.folds, recipe.seed)
    channels = labelled[0].channels
    out.mkdir(parents=True, exist_ok=True)
    oof: dict[str, np.ndarray] = {}
    fold_info: list[dict[str, Any]] = []
    pretrained: dict[str, Any] = {"pretrained": False}
    t_start = time.perf_counter()
    fg = list(foreground_classes(recipe.num_classes))
    for k, test_ids in enumerate(folds):
        trainval = [i for i in ids if i not in test_ids]
        tr_ids, va_ids = validation_split(trainval, [by_id[i].patient_id for i in trainval], recipe.validation_fraction, recipe.seed + k)
        fold_dir = out / f"fold_{k}"
        seed = recipe.seed * 1000 + k
        norm = Normalizer(channels, recipe.normalization)
        if recipe.normalization == "dataset":
            norm.fit((by_id[i].x, by_id[i].brain) for i in tr_ids)
        train = PatchData([by_id[i] for i in tr_ids], recipe, norm, seed)
        val = PatchData([by_id[i] for i in va_ids], recipe, norm, seed + 1, augment=False) if va_ids else None
        torch.manual_seed(seed)
        model = build_network(recipe.network["name"], in_channels=len(channels), num_classes=recipe.num_classes,
                              **recipe.network.get("kwargs", {}))
        pretrained = apply_pretrained(model, recipe.pretrained) if recipe.pretrained or isinstance(model, PretrainedBackbone) \
            else {"pretrained": False}
        stages = recipe.stages_for(bool(pretrained["pretrained"]))
        if stages != recipe.fine_tuning:
            pretrained["note"] = (pretrained.get("note", "") + "; the frozen fine-tuning stages were skipped (freezing random "
                                  "features only spends the patience): every layer trained from the start").lstrip("; ")
        fold_recipe = replace(recipe, fine_tuning=stages)
        log(f"fold {k + 1}/{recipe.folds}: {len(tr_ids)} training, {len(va_ids)} validation, {len(test_ids)} test cases; "
            f"{len(train)} training {'slices' if recipe.sampling.mode == 'slices' else 'patches'} (class balance "
            f"{' / '.join(f'{f:.1%}' for f in train.class_frequencies(recipe.num_classes))})")
        weights = fold_dir / "weights.pt"
        res = fit(model, fold_recipe, train, val, device, fold_dir, resume=resume, seed=seed, title=f"fold {k + 1}")
        model.load_state_dict(res.best_state)
        torch.save(res.best_state, weights)
        fold_info.append({"fold": k, "train": tr_ids, "validation": va_ids, "test": list(test_ids), "weights": f"fold_{k}/weights.pt",
                          "normalization": norm.to_dict(), "best_epoch": res.best_epoch, "epochs_run": len(res.rows),
                          "stopped_early": res.stopped_early, "pretrained": pretrained})
        inf = recipe.inference
        for cid in test_ids:
            c = by_id[cid]
            n_win = 1
            with progress_bar(total=n_win, desc=f"fold {k + 1} predict {cid}", unit="case") as bar:
                probs, _ = predict_probs(c, [(model, norm)], recipe.sampling.patch_size, inf.step, inf.batch_size,
                                         inf.mc_passes, inf.mc_dropout or None, inf.tta_flip, device, recipe.num_classes)
                bar.update(1)
            oof[cid] = probs
        log(f"fold {k + 1}: best epoch {res.best_epoch} of {len(res.rows)}, {time.perf_counter() - t_start:.0f} s so far")
    # ---- grid search (nested per fold), labels, metrics
    pp = recipe.postprocess
    truths = [np.asarray((by_id[i].target if recipe.target != "three-class" else by_id[i].label) > 0) for i in ids]  # type: ignore[operator]
    table = grid_table([oof[i][fg].sum(0) for i in ids], truths, [by_id[i].brain for i in ids],
                       [by_id[i].geometry.spacing_zyx for i in ids], ids, pp.thresholds, pp.min_sizes)
    output_label = output_label_for(labelled, recipe.target)
    rows: list[dict[str, Any]] = []
    nested: list[dict[str, Any]] = []
    regions = regions_for_target(recipe.target)
    for k, test_ids in enumerate(folds):
        others = [i for i in ids if i not in test_ids]
        t_k, s_k, sc = table.best(others)
        nested.append({"fold": k, "threshold": t_k, "min_size": s_k, "score_on_other_folds": sc})
        for cid in test_ids:
            c = by_id[cid]
            lab = labels_from_probs(oof[cid], c.brain, t_k, s_k, recipe.target, output_label, recipe.num_classes)
            assert c.label is not None
            rows += evaluate_case_arrays(cid, lab, c.label, c.geometry, regions, c.group)
    t_all, s_all, sc_all = table.best()
    result = EvaluationResult(rows, summarise(rows), [r.value for r in regions])
    write_results(result, out / "cv", title=f"{recipe.name}: {recipe.folds}-fold cross-validation (nested T/S_min)")
    np.savez_compressed(out / "cv" / "gridsearch.npz", thresholds=table.thresholds, min_sizes=table.min_sizes,
                        dice=table.dice, hd=table.hd, case_ids=np.array(ids))
    meta = {"cv_seconds": time.perf_counter() - t_start, "nested": nested, "final_score": sc_all, "device": str(device),
            "cases": len(ids), "patients": len({c.patient_id for c in labelled}), "pretrained": pretrained}
    bundle = ModelBundle(out, recipe, channels, list(dict.fromkeys(ch.removesuffix("_sym") for ch in channels if ch not in SCALAR_CHANNELS)), recipe.target,
                         output_label, recipe.num_classes, t_all, s_all, fold_info, meta)
    bundle.save()
    write_text(out / "cv" / "cv_report.md", cv_report_markdown(bundle, result))
    write_text(out / "cv" / "folds.json", json.dumps({"folds": folds, "nested": nested}, indent=2))
    return bundle, result
