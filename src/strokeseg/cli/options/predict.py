"""The ``predict`` command's options: what may override the bundle."""

from __future__ import annotations

import argparse
from typing import Any

from strokeseg.cli.options.types import fold_list, fraction, nonnegative_float, nonnegative_int, positive_int

DESCRIPTION = (
    "Predict every case of INPUT (a dataset, a case folder or a manifest, in any layout, e.g. the output folder of "
    "'strokeseg perfusion') with the bundle's fold models (ensemble average), Monte-Carlo dropout and optional flip "
    "test-time augmentation, then threshold at the bundle's T and drop components below S_min. Writes per case "
    "<case>/<case>_label.nii.gz (canonical labels 0/1/2, input geometry), _prob (lesion probability), _variance "
    "(MC/ensemble variance), _entropy (predictive entropy), _volumes.json and _readout.json (with the verdicts, the "
    "clinical values, the input files and the settings); and volumes.json and readout.csv for the cohort. Regions the "
    "model cannot produce are 'n/a'."
)
MODEL_HELP = (
    "model bundle written by 'strokeseg train', or a trained nnU-Net v2 results folder "
    "(<Trainer>__<Plans>__<configuration>); repeat to ensemble several bundles of the same target and channels; "
    "T, S_min and the window settings come from the first bundle"
)


def add_prediction_options(p: argparse.ArgumentParser) -> None:
    """The options that may override a bundle's settings, and the device."""
    p.add_argument("--model", required=True, action="append", metavar="DIR", help=MODEL_HELP)
    p.add_argument(
        "--folds",
        type=fold_list,
        metavar="LIST",
        help="fold numbers to ensemble, from 1 as in the training log and cv_report.md, e.g. 1,3 (default: all)",
    )
    p.add_argument("--mc-passes", type=positive_int, help="Monte-Carlo dropout passes, ≥ 1 (default: the recipe's)")
    p.add_argument("--tta", action="store_true", help="also average a left–right flipped prediction")
    p.add_argument("--threshold", type=fraction, help="override the bundle's probability threshold T (0–1)")
    size = p.add_mutually_exclusive_group()
    size.add_argument(
        "--min-size-ml", type=nonnegative_float, metavar="ML", help="override the bundle's minimum component size S_min, in ml"
    )
    size.add_argument("--min-size-voxels", type=nonnegative_int, metavar="N", help="the same in voxels")
    p.add_argument("--device", default="auto", help="auto (CUDA if present, else CPU), cpu or cuda")
    p.add_argument("--no-cache", action="store_true", help="recompute the symmetric modalities instead of using the cache")


def predict_options(args: argparse.Namespace) -> Any:
    """The :class:`~strokeseg.prediction.engine.PredictOptions` the options describe."""
    from strokeseg.prediction.engine import PredictOptions

    return PredictOptions(
        folds=args.folds,
        mc_passes=args.mc_passes,
        tta=args.tta,
        threshold=args.threshold,
        min_size_ml=args.min_size_ml,
        min_size_voxels=args.min_size_voxels,
        device=args.device,
        use_cache=not args.no_cache,
        nonfinite=args.nonfinite,
    )
