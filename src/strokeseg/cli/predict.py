"""``strokeseg predict``: segment cases with a trained model bundle."""

from __future__ import annotations

import argparse

from strokeseg.cli.common import (
    add_layout_options,
    add_nonfinite_option,
    add_output_options,
    fold_list,
    fraction,
    nonnegative_int,
    positive_int,
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "predict",
        help="segment cases with a model bundle: labels, probability and uncertainty maps, volumes",
        description=(
            "Predict every case of INPUT (a dataset or case folder in any layout) with the bundle's fold models "
            "(ensemble average), Monte-Carlo dropout passes and optional flip test-time augmentation, then threshold "
            "at the bundle's T and drop components below S_min. Writes per case <case>/<case>_label.nii.gz (canonical "
            "labels, input geometry), <case>_prob.nii.gz (lesion probability), <case>_variance.nii.gz (MC/ensemble "
            "variance), <case>_entropy.nii.gz (predictive entropy) and <case>_volumes.json (core, penumbra and "
            "hypoperfused volumes in ml)."
        ),
    )
    p.add_argument("--model", required=True, action="append", metavar="DIR",
                   help="model bundle written by 'strokeseg train'; repeat to ensemble several bundles of the same target and "
                        "channels (e.g. the PSPNet paper's 5 focal-loss + 5 cross-entropy fold models); T, S_min and the "
                        "window settings come from the first bundle")
    p.add_argument("--input", required=True, metavar="CASE_OR_DATASET", help="cases to segment (any layout)")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--folds", type=fold_list, metavar="LIST",
                   help="comma-separated fold indices to ensemble, from 0 as in bundle.json (default: all)")
    p.add_argument("--mc-passes", type=positive_int, help="Monte-Carlo dropout passes, ≥ 1 (default: the recipe's)")
    p.add_argument("--tta", action="store_true", help="also average a left–right flipped prediction")
    p.add_argument("--threshold", type=fraction, help="override the bundle's probability threshold T (0–1)")
    p.add_argument("--min-size", type=nonnegative_int, help="override the bundle's minimum component size S_min (voxels)")
    p.add_argument("--device", default="auto", help="auto (CUDA if present, else CPU), cpu or cuda")
    p.add_argument("--no-cache", action="store_true", help="recompute the symmetric modalities instead of using the cache")
    add_layout_options(p)
    add_nonfinite_option(p)
    p.add_argument("--allow-output-in-input", action="store_true", help="allow --out inside --input")
    add_output_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json
    import time
    from pathlib import Path

    import numpy as np

    from strokeseg.cli.common import output_mode
    from strokeseg.errors import ConfigError
    from strokeseg.inference.predict import labels_from_probs, predict_probs, volumes
    from strokeseg.inference.sliding_window import entropy
    from strokeseg.io.case import CaseRef, load_case
    from strokeseg.io.layouts import open_dataset
    from strokeseg.io.nifti import write_nifti
    from strokeseg.io.outputs import RunFolder
    from strokeseg.preprocessing.prepare import modalities_to_load, prepare_case
    from strokeseg.training.bundle import ModelBundle
    from strokeseg.training.device import select_device
    from strokeseg.training.recipe import check_patch_fits
    from strokeseg.workflows.cases import run_cases

    with RunFolder(args.out, output_mode(args), inputs=[args.input], models=args.model,
                   allow_in_input=args.allow_output_in_input, command="predict") as run:
        bundles = [ModelBundle.load(m) for m in args.model]
        bundle = bundles[0]
        folds = args.folds
        models = []
        for b, path in zip(bundles, args.model):
            if (b.channels, b.target, b.num_classes) != (bundle.channels, bundle.target, bundle.num_classes):
                raise ConfigError(f"{path}: cannot ensemble with {args.model[0]}: channels, target or classes differ "
                                  f"({b.target}, {b.num_classes} classes, {', '.join(b.channels)})")
            models += b.load_models(folds)
        device = select_device(args.device)
        inf = bundle.recipe.inference
        mc = args.mc_passes if args.mc_passes is not None else inf.mc_passes
        thr = args.threshold if args.threshold is not None else bundle.threshold
        smin = args.min_size if args.min_size is not None else bundle.min_size
        ds = open_dataset(Path(args.input), args.layout, args.label_map)
        run.protect(f for r in ds.cases for f in r.files())

        def one(ref: CaseRef, folder: Path) -> dict:
            t0 = time.perf_counter()
            case = load_case(ref, modalities=modalities_to_load(bundle.recipe, bundle.modalities), with_label=False,
                             nonfinite=args.nonfinite)
            check_patch_fits(bundle.recipe, case.geometry.shape, case.case_id)
            prep = prepare_case(case, bundle.recipe, bundle.modalities, use_cache=not args.no_cache)
            probs, var = predict_probs(prep, models, bundle.recipe.sampling.patch_size, inf.step, inf.batch_size, mc,
                                       inf.mc_dropout or None, args.tta or inf.tta_flip, device, bundle.num_classes)
            labels = labels_from_probs(probs, prep.brain, thr, smin, bundle.target, bundle.output_label, bundle.num_classes)
            vols = volumes(labels, case.geometry.voxel_volume_ml, bundle.target, bundle.output_label)
            g = case.geometry
            write_nifti(folder / f"{case.case_id}_label.nii.gz", labels, g, dtype=np.uint8)
            write_nifti(folder / f"{case.case_id}_prob.nii.gz", probs[1:].sum(0).astype(np.float32), g)
            write_nifti(folder / f"{case.case_id}_variance.nii.gz", var, g)
            write_nifti(folder / f"{case.case_id}_entropy.nii.gz", entropy(probs), g)
            info = {"case_id": case.case_id, **vols, "threshold": thr, "min_size": smin, "models": len(models),
                    "mc_passes": mc, "tta": bool(args.tta or inf.tta_flip), "seconds": time.perf_counter() - t0,
                    "recipe": "+".join(b.recipe.name for b in bundles), "target": bundle.target,
                    "notes": case.notes, **({"warning": prep.info["warning"]} if "warning" in prep.info else {})}
            (folder / f"{case.case_id}_volumes.json").write_text(json.dumps(info, indent=2, default=str), encoding="utf-8")
            return info

        done = run_cases(run, [(r.case_id, r) for r in ds.cases], one, "predict")
        summary = [json.loads((f / f"{f.name}_volumes.json").read_text(encoding="utf-8")) for f in run.case_folders()
                   if (f / f"{f.name}_volumes.json").exists()]
        if summary:
            run.write_text("volumes.json", json.dumps(summary, indent=2, default=str))
        for n in run.notes:
            print(f"note: {n}")
        for s in done.results:
            for n in s["notes"]:
                if "NaN/Inf" in n:
                    print(f"{s['case_id']}: {n}")
            vol = ", ".join(f"{k} {'n/a (not a region of this model)' if s[f'{k}_ml'] is None else format(s[f'{k}_ml'], '.1f') + ' ml'}"
                            for k in ("core", "penumbra", "hypoperfused"))
            print(f"{s['case_id']}: {vol} ({s['seconds']:.1f} s)" + (f"  [{s['warning']}]" if "warning" in s else ""))
        if done.skipped:
            print(f"kept {len(done.skipped)} finished case(s) from the earlier run: {', '.join(done.skipped)}")
        if summary:
            print(f"wrote predictions to {args.out}")
        done.raise_failures(Path(args.out))
    return 0
