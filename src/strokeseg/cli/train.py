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

    from strokeseg.cli.options import input_path, output_mode, say
    from strokeseg.cli.options.report import report_choice
    from strokeseg.recipes.recipe import load_recipe
    from strokeseg.run import RunOptions, train
    from strokeseg.training.distributed import DistContext
    from strokeseg.training.launch import launch_local
    from strokeseg.workflows.train import TrainOptions
    from strokeseg.workflows.train import train as train_workflow

    if args.nproc > 1 and "RANK" not in os.environ:
        return launch_local(args.argv, args.nproc)
    if args.resume and args.overwrite:
        raise ConfigError("--resume and --overwrite exclude each other")
    data = input_path(args)
    recipe = load_recipe(args.recipe, training_overrides(args))
    opts = TrainOptions(args.layout, args.label_map, args.nonfinite, not args.no_cache, args.device, args.jobs, args.resume)
    if not DistContext.from_env().is_main:  # a torchrun worker: trains its share, writes and prints nothing
        os.environ["STROKESEG_QUIET"] = "1"
        train_workflow(data, recipe, Path(args.out), opts, log=lambda _line: None)
        return 0
    options = RunOptions(output_mode(args), args.allow_output_in_input, report=report_choice(args), echo=say)
    train(data, recipe, args.out, opts, options)
    return 0
