"""Reading a label map into canonical labels (``apply_label_map``), the step that dominated ``strokeseg evaluate``
on folders of float-stored masks: float32 and uint8 masks at 1×, 8× and 64× a 75×128×128 volume, against the
sort-based version (``np.unique`` on the rounded values, then a sorted lookup). Writes ``docs/results/label_map.{json,md}``.

    .venv/bin/python benchmarks/bench_label_map.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import write_results
from strokeseg.io.labels import apply_label_map


def sort_based(labels: np.ndarray, label_map: dict[int, int]) -> tuple[np.ndarray, set[int]]:
    """The previous implementation, for the comparison."""
    rounded = np.rint(labels)
    ints = rounded.astype(np.int64)
    present = np.unique(ints)
    unknown = {int(v) for v in present if int(v) not in label_map}
    keys = np.array(sorted(label_map), dtype=np.int64)
    vals = np.array([label_map[k] for k in sorted(label_map)], dtype=np.uint8)
    idx = np.clip(np.searchsorted(keys, ints), 0, len(keys) - 1)
    return np.where(keys[idx] == ints, vals[idx], 0).astype(np.uint8), unknown


def best(fn, arr: np.ndarray, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(arr, {0: 0, 1: 2})
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    rows = []
    for shape in ((75, 128, 128), (150, 256, 256), (300, 512, 512)):  # 1×, 8× and 64× the voxels
        mask = rng.random(shape) > 0.97
        for dtype in (np.float32, np.uint8):
            arr = mask.astype(dtype)
            a, b = apply_label_map(arr, {0: 0, 1: 2}), sort_based(arr, {0: 0, 1: 2})
            assert np.array_equal(a[0], b[0]) and a[1] == b[1]
            now, before = best(apply_label_map, arr, args.repeats), best(sort_based, arr, args.repeats)
            rows.append(
                {
                    "shape": list(shape),
                    "voxels": int(arr.size),
                    "dtype": np.dtype(dtype).name,
                    "seconds": now,
                    "sort_based_seconds": before,
                    "speed_up": before / now,
                }
            )
    table = "\n".join(
        [
            "| shape (Z, Y, X) | dtype | strokeseg (s) | sort-based (s) | speed-up |",
            "|---|---|---|---|---|",
            *[
                f"| {'×'.join(map(str, r['shape']))} | {r['dtype']} | {r['seconds']:.3f} | {r['sort_based_seconds']:.3f} "
                f"| {r['speed_up']:.1f}× |"
                for r in rows
            ],
        ]
    )
    write_results(
        "label_map",
        {"machine": "2 CPU cores", "repeats": args.repeats, "rows": rows},
        "Label maps to canonical labels",
        table,
        "bench_label_map.py",
    )
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
