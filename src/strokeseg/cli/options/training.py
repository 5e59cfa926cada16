"""The options of every command that trains a recipe (``train``, ``sweep``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from strokeseg.cli.options.data import add_input, add_layout_options, add_nonfinite_option
from strokeseg.cli.options.types import positive_int


def add_training_options(p: argparse.ArgumentParser, out_help: str) -> None:
    """The options every command that trains a recipe takes (``train``, ``sweep``)."""
    from strokeseg.recipes.catalog import shipped_recipes

    p.add_argument(
        "--recipe", required=True, metavar="NAME|FILE", help=f"shipped recipe ({', '.join(shipped_recipes())}) or a recipe YAML file"
    )
    add_input(p, "training dataset (any layout, e.g. the output folder of 'strokeseg perfusion')", "DATASET")
    p.add_argument("--out", required=True, metavar="DIR", help=out_help)
    p.add_argument("--folds", type=positive_int, help="number of folds (default: the recipe's)")
    p.add_argument("--epochs", type=positive_int, help="maximum epochs (default: the recipe's)")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a recipe field, e.g. --set sampling.patches_per_case=1000 (repeatable)",
    )
    p.add_argument(
        "--pretrained",
        metavar="PATH",
        help="torchvision ImageNet weight file (state dict) for the network's backbone, e.g. vgg16 / vgg11_bn / "
        "resnet50 weights saved with torch.save(model.state_dict()); without it backbones start random",
    )
    split = "explicit folds with their validation cases (JSON: strokeseg.training.split), e.g. a paper's fixed split"
    p.add_argument("--split-file", metavar="PATH", help=split)
    p.add_argument("--device", default="auto", help="auto (CUDA if present, else CPU), cpu or cuda")
    p.add_argument(
        "--jobs",
        type=positive_int,
        default=1,
        help="train this many folds at once in worker processes sharing the device (default 1: one after "
        "another); on CPU the cores are split between the jobs. The bundle equals a sequential run's",
    )
    p.add_argument("--no-cache", action="store_true", help="recompute the symmetric modalities instead of using the cache")
    add_layout_options(p, series=False)
    add_nonfinite_option(p)
    p.add_argument("--allow-output-in-input", action="store_true", help="allow --out inside DATASET")
    p.add_argument("--overwrite", action="store_true", help="replace the contents of a non-empty --out written by an earlier strokeseg run")


def training_overrides(args: argparse.Namespace) -> list[str]:
    """Recipe overrides from ``add_training_options`` (and ``--seed`` where a command has it)."""

    overrides = list(args.set)
    for key in ("folds", "epochs", "seed"):
        val = getattr(args, key, None)
        if val is not None:
            overrides.append(f"{key}={val}")
    if getattr(args, "split_file", None):
        from strokeseg.training.split import read_split

        path = Path(args.split_file).resolve()
        overrides += [f"split_file={path}", f"folds={len(read_split(path))}"]  # the file's folds, read (and checked) now
    if args.pretrained:
        from strokeseg.workflows.train import check_pretrained

        overrides.append(f"pretrained={check_pretrained(args.pretrained)}")
    return overrides
