"""The ``predict`` options for trained nnU-Net v2 model folders."""

from __future__ import annotations

import argparse
from typing import Any

from strokeseg.cli.options.nnunet_types import channel_list, fold_names, name_map

_OPTIONS: list[tuple[str, dict[str, Any]]] = [
    (
        "--nnunet-folds",
        {
            "type": fold_names,
            "metavar": "LIST",
            "help": "fold folders, numbered as nnU-Net numbers them (0,1 or all; default: every fold_k present)",
        },
    ),
    ("--checkpoint", {"choices": ("final", "best"), "default": "final", "help": "checkpoint_final.pth or checkpoint_best.pth"}),
    (
        "--nnunet-labels",
        {
            "type": name_map,
            "metavar": "MAP",
            "help": "model label (or region) names onto strokeseg's labels, e.g. lesion=core,hypoperfused=penumbra",
        },
    ),
    (
        "--nnunet-channels",
        {
            "type": channel_list,
            "metavar": "LIST",
            "help": "the strokeseg modality of each model channel, in order, e.g. DWI,ADC (default: dataset.json's)",
        },
    ),
    (
        "--fuse",
        {
            "choices": ("mean", "vote"),
            "default": "mean",
            "help": "several model folders: mean of the probabilities, or majority vote of the labels",
        },
    ),
    (
        "--backend",
        {
            "choices": ("native", "nnunetv2"),
            "default": "native",
            "help": "native (strokeseg's nnU-Net inference) or nnunetv2 (nnU-Net's own predictor; the nnunet extra)",
        },
    ),
    (
        "--batch-mirrors",
        {"action": "store_true", "help": "a tile's mirrored copies in one batch: labels as nnU-Net's, probabilities within ~1e-4"},
    ),
]


def add_nnunet_options(p: argparse.ArgumentParser) -> None:
    """How nnU-Net v2 model folders (``--model <Trainer>__<Plans>__<configuration>``) run."""
    g = p.add_argument_group("nnU-Net v2 model folders")
    for flag, kwargs in _OPTIONS:
        g.add_argument(flag, **kwargs)


def nnunet_options(args: argparse.Namespace) -> Any:
    """The :class:`~strokeseg.prediction.nnunet.NnUNetOptions` the options describe."""
    from strokeseg.prediction.nnunet import NnUNetOptions

    return NnUNetOptions(
        folds=args.nnunet_folds,
        checkpoint=args.checkpoint,
        labels=args.nnunet_labels,
        channels=args.nnunet_channels,
        threshold=args.threshold,
        fuse=args.fuse,
        batch_mirrors=args.batch_mirrors,
        nonfinite=args.nonfinite,
        backend=args.backend,
    )
