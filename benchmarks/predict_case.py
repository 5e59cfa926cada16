"""An ISLES'18-sized case folder and CT-2D bundles with random weights, for the prediction benchmarks.

Writes ``ROOT/data`` (a 256×256×8 CT phantom slab: CT, CBF, CBV, MTT, Tmax and a manifest),
``ROOT/bundle<N>`` for each fold count N (clerigues-ct-2d, random weights: speed does not depend
on them) and, with ``cohort``, ``ROOT/cohort`` (4 small labelled phantoms to train on). Run as a
script so that the calling benchmark stays small (its children's peak memory is then theirs).

    .venv/bin/python benchmarks/predict_case.py ROOT 1,5 [cohort]
"""

from __future__ import annotations

import sys
from pathlib import Path


def write(root: Path, fold_counts: tuple[int, ...], cohort: bool = False) -> None:
    import torch

    from strokeseg.bundle.bundle import ModelBundle
    from strokeseg.io.case import Case
    from strokeseg.io.nifti import write_nifti
    from strokeseg.perfusion.config import PerfusionConfig
    from strokeseg.perfusion.maps import compute_maps
    from strokeseg.phantom.case import PhantomConfig, generate_case
    from strokeseg.preprocessing.normalization import Normalizer
    from strokeseg.preprocessing.prepare import prepare_case
    from strokeseg.recipes.recipe import load_recipe
    from strokeseg.workflows.phantom import CohortSpec, write_phantom_cohort

    pc = generate_case(PhantomConfig(slices=8, frames=50, frame_interval=1.0), seed=8)
    maps = compute_maps(pc.series, PerfusionConfig(), show_progress=False).maps
    images = {"CT": pc.images["CT"], **{m: maps[m] for m in ("CBF", "CBV", "MTT", "Tmax")}}
    data = root / "data"
    data.mkdir(parents=True)
    for m, arr in images.items():
        write_nifti(data / f"{m}.nii.gz", arr, pc.geometry)
    header = "case_id," + ",".join(f"image:{m}" for m in images)
    (data / "manifest.csv").write_text(f"{header}\nbench," + ",".join(f"{m}.nii.gz" for m in images) + "\n", encoding="utf-8")
    recipe = load_recipe("clerigues-ct-2d")
    prep = prepare_case(Case("bench", images, pc.geometry), recipe.prepare, use_cache=False)
    norm = Normalizer(prep.channels).fit([(prep.x, prep.brain)])
    for n in fold_counts:
        d = root / f"bundle{n}"
        folds = [
            {"fold": k, "weights": f"fold_{k}/weights.pt", "normalization": norm.to_dict(), "best_epoch": 0, "epochs_run": 0}
            | {"train": [], "validation": [], "test": []}
            for k in range(n)
        ]
        b = ModelBundle(d, recipe, prep.channels, list(images), "core", 2, 2, 0.5, 10, folds, {"note": "random weights"})
        for k in range(n):
            torch.manual_seed(k)
            model = b.build_model()
            (d / f"fold_{k}").mkdir(parents=True)
            torch.save(model.state_dict(), d / f"fold_{k}" / "weights.pt")
        b.save()
    if cohort:
        cfg = PhantomConfig(slices=4, matrix=(96, 96), frames=30, p_no_stroke=0.0)
        write_phantom_cohort(root / "cohort", CohortSpec(4, cfg, "isles2018", seed=3))


if __name__ == "__main__":
    write(Path(sys.argv[1]), tuple(int(x) for x in sys.argv[2].split(",")), sys.argv[3:] == ["cohort"])
