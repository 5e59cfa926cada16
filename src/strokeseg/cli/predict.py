"""``strokeseg predict``: segment cases with a trained model bundle."""

from __future__ import annotations

import argparse

from strokeseg.cli.common import (
    add_input,
    add_layout_options,
    add_nonfinite_option,
    add_output_options,
    fold_list,
    fraction,
    nonnegative_float,
    nonnegative_int,
    positive_int,
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "predict",
        help="segment cases with a model bundle: labels, probability and uncertainty maps, volumes, read-out",
        description="Predict every case of INPUT (a dataset, a case folder or a manifest, in any layout, e.g. the "
        "output "
        "folder of 'strokeseg perfusion') with the bundle's fold models (ensemble average), Monte-Carlo dropout and "
        "optional flip test-time augmentation, then threshold at the bundle's T and drop components below S_min. "
        "Writes "
        "per case <case>/<case>_label.nii.gz (canonical labels 0/1/2, input geometry), _prob (lesion probability), "
        "_variance (MC/ensemble variance), _entropy (predictive entropy), _volumes.json and _readout.json; and "
        "volumes.json and readout.csv for the cohort. Regions the model cannot produce are 'n/a'.",
    )
    add_input(p, "cases to segment (any layout)", "CASE_OR_DATASET")
    p.add_argument(
        "--model",
        required=True,
        action="append",
        metavar="DIR",
        help="model bundle written by 'strokeseg train'; repeat to ensemble several bundles of the same target and "
        "channels; T, S_min and the window settings come from the first bundle",
    )
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
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
        "--min-size-ml",
        type=nonnegative_float,
        metavar="ML",
        help="override the bundle's minimum component size S_min, in ml",
    )
    size.add_argument("--min-size-voxels", type=nonnegative_int, metavar="N", help="the same in voxels")
    p.add_argument("--device", default="auto", help="auto (CUDA if present, else CPU), cpu or cuda")
    p.add_argument(
        "--no-cache", action="store_true", help="recompute the symmetric modalities instead of using the cache"
    )
    add_layout_options(p)
    add_nonfinite_option(p)
    p.add_argument("--allow-output-in-input", action="store_true", help="allow --out inside INPUT")
    add_output_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from strokeseg.cli.common import input_path, output_mode, print_notes, say
    from strokeseg.io.layouts import open_dataset
    from strokeseg.io.outputs import RunFolder
    from strokeseg.workflows.predict import PredictOptions, Predictor, predict_dataset, predict_summary_lines

    inp = input_path(args)
    opts = PredictOptions(
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
    with RunFolder(
        args.out,
        output_mode(args),
        inputs=[inp],
        models=args.model,
        allow_in_input=args.allow_output_in_input,
        command="predict",
    ) as run:
        predictor = Predictor.load(args.model, opts)
        ds = open_dataset(Path(inp), args.layout, args.label_map)
        run.protect(f for r in ds.cases for f in r.files())
        result = predict_dataset(run, predictor, ds.cases)
        print_notes(run.notes)
        say("\n".join(predict_summary_lines(result)))
        if result.volumes:
            print(f"wrote predictions to {args.out}")
        result.cases.raise_failures(Path(args.out))
    return 0
