"""The ``predict`` options for trained nnU-Net v2 model folders."""

from __future__ import annotations

import argparse
from typing import Any


def _name_map(text: str) -> dict[str, str]:
    """``--nnunet-labels lesion=core,edema=background``."""
    out = {}
    for item in (t.strip() for t in text.split(",") if t.strip()):
        name, sep, value = item.partition("=")
        if not sep or value.strip() not in ("core", "penumbra", "background"):
            raise argparse.ArgumentTypeError(f"expected NAME=core|penumbra|background, got {item!r}")
        out[name.strip()] = value.strip()
    return out


def _fold_names(text: str) -> tuple[str, ...]:
    """``--nnunet-folds 0,1`` or ``all``: nnU-Net's fold folders (numbered from 0, as nnU-Net does)."""
    folds = tuple(t.strip() for t in text.split(",") if t.strip())
    if not folds or not all(f == "all" or f.isdigit() for f in folds):
        raise argparse.ArgumentTypeError(f"expected fold numbers from 0 or 'all', e.g. 0,1; got {text!r}")
    return folds


def add_nnunet_options(p: argparse.ArgumentParser) -> None:
    """How nnU-Net v2 model folders (``--model <Trainer>__<Plans>__<configuration>``) run."""
    g = p.add_argument_group("nnU-Net v2 model folders")
    g.add_argument(
        "--nnunet-folds",
        type=_fold_names,
        metavar="LIST",
        help="fold folders to use, numbered as nnU-Net numbers them (0,1 or all; default: every fold_k present)",
    )
    g.add_argument("--checkpoint", choices=("final", "best"), default="final", help="checkpoint_final.pth or checkpoint_best.pth")
    g.add_argument(
        "--nnunet-labels",
        type=_name_map,
        metavar="MAP",
        help="model label (or region) names onto strokeseg's labels, e.g. lesion=core,hypoperfused=penumbra (default: read from the names)",
    )
    g.add_argument(
        "--nnunet-channels",
        type=lambda t: tuple(x.strip() for x in t.split(",") if x.strip()),
        metavar="LIST",
        help="the strokeseg modality of each model channel, in order, e.g. DWI,ADC (default: dataset.json's names)",
    )
    g.add_argument(
        "--fuse",
        choices=("mean", "vote"),
        default="mean",
        help="several model folders: mean of the probabilities, or majority vote of the labels",
    )
    g.add_argument(
        "--batch-mirrors",
        action="store_true",
        help="run a tile's mirrored copies as one batch: faster on CPU, labels as nnU-Net's, probabilities within ~1e-4",
    )


def nnunet_options(args: argparse.Namespace) -> Any:
    """The :class:`~strokeseg.workflows.nnunet.NnUNetOptions` the options describe."""
    from strokeseg.workflows.nnunet import NnUNetOptions

    return NnUNetOptions(
        folds=args.nnunet_folds,
        checkpoint=args.checkpoint,
        labels=args.nnunet_labels,
        channels=args.nnunet_channels,
        threshold=args.threshold,
        fuse=args.fuse,
        batch_mirrors=args.batch_mirrors,
        nonfinite=args.nonfinite,
    )
