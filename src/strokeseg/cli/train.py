"""``strokeseg train``: cross-validated training of a recipe, ending in a model bundle."""

from __future__ import annotations

import argparse
import os

from strokeseg.cli.options import add_training_options, training_overrides
from strokeseg.cli.options.report import add_report_options
from strokeseg.cli.options.types import positive_int
from strokeseg.errors import ConfigError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train",
        help="train a recipe with k-fold cross-validation grouped by patient and write a model bundle",
        description=(
            "Train a published method (a recipe) on a dataset: cases are prepared (brain mask, symmetric modalities "
            "from the disk cache, whitening with training statistics), folds are grouped by patient, each fold is "
            "trained on balanced patches or whole slices (per the recipe), with its recipe's loss and optimiser, early "
            "stopping on a patient-level validation split, and a checkpoint every epoch; out-of-fold predictions give the nested T/S_min "
            "grid search and the cross-validation report. Writes a model bundle: weights per fold (state dicts), the "
            "recipe, normalisation statistics, T and S_min, channels, training logs and loss curves, and cv/. "
            "Under 'torchrun --nproc_per_node=N -m strokeseg train ...' (or multi-node 'torchrun --nnodes ...') each "
            "fold trains with DistributedDataParallel (NCCL on GPUs, gloo on CPU): every process takes its share of "
            "each seeded global batch (--set batch_size=B is the global batch), gradients are averaged, batch norm is "
            "synchronised, only rank 0 writes, and --resume works; the result equals a one-process run up to dropout "
            "noise."
        ),
    )
    add_training_options(p, "model bundle folder")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run from its last checkpoints")
    p.add_argument("--seed", type=int, help="random seed (default: the recipe's)")
    nproc = "each fold data-parallel on N local processes, as 'torchrun --standalone --nproc_per_node=N' runs it"
    p.add_argument("--nproc", type=positive_int, default=1, metavar="N", help=nproc)
    add_report_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from strokeseg.cli.options import input_path, output_mode, print_notes, say
    from strokeseg.cli.options.report import finish_report
    from strokeseg.io.outputs import RunFolder
    from strokeseg.recipes.recipe import load_recipe
    from strokeseg.training.launch import launch_local
    from strokeseg.workflows.train import TrainOptions, train

    if args.nproc > 1 and "RANK" not in os.environ:
        return launch_local(args.argv, args.nproc)
    if args.resume and args.overwrite:
        raise ConfigError("--resume and --overwrite exclude each other")
    data = input_path(args)
    recipe = load_recipe(args.recipe, training_overrides(args))
    opts = TrainOptions(args.layout, args.label_map, args.nonfinite, not args.no_cache, args.device, args.jobs, args.resume)
    from strokeseg.training.distributed import DistContext

    if not DistContext.from_env().is_main:  # a torchrun worker: trains its share, writes and prints nothing
        os.environ["STROKESEG_QUIET"] = "1"
        train(data, recipe, Path(args.out), opts, log=lambda _line: None)
        return 0
    with RunFolder(
        args.out,
        output_mode(args),
        inputs=[data],
        allow_in_input=args.allow_output_in_input,
        command="train",
        settings={"recipe": recipe.name},
    ) as run:
        print_notes(run.notes)
        print(f"recipe {recipe.name}: {recipe.description}")
        done = train(data, recipe, run, opts, log=say)
        assert done is not None  # rank 0 (or a single process) always returns the bundle
        bundle = done[0]
        print((Path(args.out) / "cv" / "cv_report.md").read_text(encoding="utf-8"))
        print(f"model bundle written to {args.out} (T = {bundle.threshold:g}, S_min = {bundle.min_size} voxels)")
        finish_report(run, args)
    return 0
