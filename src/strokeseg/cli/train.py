"""``strokeseg train``: cross-validated training of a recipe, ending in a model bundle."""

from __future__ import annotations

import argparse

from strokeseg.cli.common import add_training_options, training_overrides
from strokeseg.errors import ConfigError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train",
        help="train a recipe with k-fold cross-validation grouped by patient and write a model bundle",
        description=(
            "Train a published method (a recipe) on a dataset: cases are prepared (brain mask, symmetric modalities "
            "from the disk cache, whitening with training statistics), folds are grouped by patient, each fold is "
            "trained on balanced patches or whole slices (per the recipe), with its recipe's loss and optimiser, early stopping on a patient-level "
            "validation split, and a checkpoint every epoch; out-of-fold predictions give the nested T/S_min grid "
            "search and the cross-validation report. Writes a model bundle: weights per fold (state dicts), the "
            "recipe, normalisation statistics, T and S_min, channels, training logs and loss curves, and cv/."
        ),
    )
    add_training_options(p, "model bundle folder")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run from its last checkpoints")
    p.add_argument("--seed", type=int, help="random seed (default: the recipe's)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from strokeseg.cli.common import output_mode
    from strokeseg.io.outputs import RunFolder
    from strokeseg.recipes.recipe import load_recipe

    if args.resume and args.overwrite:
        raise ConfigError("--resume and --overwrite exclude each other")
    recipe = load_recipe(args.recipe, training_overrides(args))
    with RunFolder(args.out, output_mode(args), inputs=[args.data], allow_in_input=args.allow_output_in_input,
                   command="train", settings={"recipe": recipe.name}) as run:
        return _train(args, recipe, run)


def _train(args: argparse.Namespace, recipe, run) -> int:
    from pathlib import Path

    from strokeseg.training.cv import cross_validate
    from strokeseg.training.device import select_device
    from strokeseg.training.run import prepare_dataset

    for n in run.notes:
        print(f"note: {n}")
    device = select_device(args.device)
    print(f"recipe {recipe.name}: {recipe.description}")
    if recipe.pretrained is None and recipe.fine_tuning:
        skip = recipe.fine_tuning_without_pretrained == "skip"
        print("note: no --pretrained file: the backbone starts from random weights (the paper used ImageNet weights)"
              + ("; its frozen fine-tuning stages are skipped and every layer trains from the start "
                 "(--set fine_tuning_without_pretrained=keep runs them as written)" if skip else ""))
    print(f"device {device}{f' ({args.jobs} folds at once)' if args.jobs > 1 else ''}; target {recipe.target}; {recipe.folds} folds; up to {recipe.epochs} epochs (patience {recipe.patience})")
    cases = prepare_dataset(Path(args.data), recipe, args.layout, args.label_map, args.nonfinite, not args.no_cache)
    print(f"{len(cases)} labelled cases of {len({c.patient_id for c in cases})} patients; channels: {', '.join(cases[0].channels)}")
    run.begin_writing()
    bundle, _ = cross_validate(cases, recipe, Path(args.out), device, resume=args.resume, jobs=args.jobs)
    print((Path(args.out) / "cv" / "cv_report.md").read_text(encoding="utf-8"))
    print(f"model bundle written to {args.out} (T = {bundle.threshold:g}, S_min = {bundle.min_size})")
    return 0
