"""CT brain mask against the phantom's tissue truth: scalp, skull or air inside it, parenchyma left out.

For every case of the CT-2D cohort (bench-output/ct_cohort_20, ISLES'18 layout, written by
bench_ct2d_cohort.py; or ``--seeds A:B`` for in-memory phantoms of the threshold cohort, seeds
1000…1019) the mask of the baseline (mean of the first three frames) is compared with the
phantom's tissue classes. The last column is a digest of the mask, so two versions of
``ct_brain_mask`` can be compared case by case (run the script with ``PYTHONPATH`` pointing at
the other version's ``src``).

    .venv/bin/python benchmarks/bench_ct_brain_mask.py [--cohort DIR | --seeds 1000:1020]
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from phantom_cases import parse_cases, zyx
from strokeseg.masks.brain import ct_brain_mask
from strokeseg.phantom.anatomy import Tissue
from strokeseg.phantom.case import PhantomConfig, generate_case


def from_cohort(root: Path) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
    cases = sorted((p for p in root.glob("case_*") if p.is_dir()), key=lambda p: int(p.name.split("_")[1]))
    if not cases:
        raise SystemExit(f"{root}: no case_* folders (run benchmarks/bench_ct2d_cohort.py first, or pass --seeds)")
    for case in cases:
        series = zyx(next(case.glob("*4DPWI*/*.nii"))).astype(np.float32)
        yield case.name, series[..., :3].mean(axis=3), zyx(case / "strokeseg_truth" / "tissue.nii.gz")


def from_seeds(first: int, stop: int) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
    for seed in range(first, stop):
        c = generate_case(PhantomConfig(), seed)
        yield f"seed {seed}", c.series.data[..., :3].mean(axis=3), c.tissue


def main() -> None:
    cases = parse_cases(__doc__, from_cohort, from_seeds)
    t0 = time.perf_counter()
    print(f"{'case':>10} {'slices':>6} {'mask':>8} {'scalp+skull':>11} {'air':>5} {'% of mask':>9} {'parenchyma kept':>15}  digest")
    bad_cases = 0
    for name, baseline, tissue in cases:
        mask = ct_brain_mask(baseline)
        outside = int((mask & np.isin(tissue, (Tissue.SCALP, Tissue.SKULL))).sum())
        air = int((mask & (tissue == Tissue.AIR)).sum())
        par = np.isin(tissue, (Tissue.GM, Tissue.WM))
        kept = (mask & par).sum() / max(int(par.sum()), 1)
        bad_cases += outside + air > 0
        digest = hashlib.sha1(np.packbits(mask).tobytes()).hexdigest()[:10]
        print(
            f"{name:>10} {mask.shape[0]:6d} {int(mask.sum()):8d} {outside:11d} {air:5d} "
            f"{100 * (outside + air) / max(int(mask.sum()), 1):8.1f}% "
            f"{100 * kept:14.2f}%  {digest}",
            flush=True,
        )
    print(f"\n{bad_cases} case(s) with scalp, skull or air in the mask; {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
