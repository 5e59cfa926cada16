"""Cohort throughput: `strokeseg perfusion` and `threshold` over a phantom cohort with 1, 2 and 4 workers.

A cohort of ``--cases`` CT phantoms (256×256×16, 40 frames) is processed from the raw 4D series
(`perfusion`, then `threshold` on its output) serially, on the local process pool and on a Dask
``LocalCluster`` with 2 and 4 workers. Reported: wall time of the fresh process, cases per
minute, and the scaling efficiency (throughput / (workers × serial throughput)). On a machine with
fewer cores than workers the efficiency must fall; the row says how many cores there were.
Writes ``docs/results/cohort_throughput.{json,md}``.

    .venv/bin/python benchmarks/bench_cohort.py [--cases 8]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import write_results

MAKE = """
import sys
from pathlib import Path
from strokeseg.phantom.case import PhantomConfig
from strokeseg.workflows.phantom import CohortSpec, write_phantom_cohort
cfg = PhantomConfig(slices=16, matrix=(256, 256), frames=40, p_no_stroke=0.0)
write_phantom_cohort(Path(sys.argv[1]), CohortSpec(int(sys.argv[2]), cfg, "isles2018", seed=17))
"""


def timed(args: list[str]) -> float:
    env = {**os.environ, "STROKESEG_QUIET": "1"}
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "strokeseg", *args], check=True, env=env, capture_output=True)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=8)
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        cohort = tmp / "cohort"
        subprocess.run([sys.executable, "-c", MAKE, str(cohort), str(args.cases)], check=True)
        for kind, jobs in (("serial", 1), ("local", 2), ("local", 4), ("dask", 2), ("dask", 4)):
            ex = ["--executor", kind, "--jobs", str(jobs)]
            maps, thr = tmp / f"m_{kind}{jobs}", tmp / f"t_{kind}{jobs}"
            w_maps = timed(["perfusion", str(cohort), "--out", str(maps), *ex])
            w_thr = timed(["threshold", str(maps), "--out", str(thr), *ex])
            rows.append({"executor": kind, "workers": jobs, "perfusion_s": w_maps, "threshold_s": w_thr})
            print(rows[-1], flush=True)
    base = rows[0]
    for r in rows:
        for k in ("perfusion", "threshold"):
            r[f"{k}_cases_per_min"] = 60.0 * args.cases / r[f"{k}_s"]
            r[f"{k}_efficiency"] = (base[f"{k}_s"] / r[f"{k}_s"]) / r["workers"]
    cores = os.cpu_count() or 1
    lines = [
        f"{args.cases} CT phantom cases (256×256×16, 40 frames) on {cores} cores; wall time of a fresh process, start-up included.",
        "",
        "| executor | workers | perfusion | cases/min | efficiency | threshold | cases/min | efficiency |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        cells = [f"{r['executor']} | {r['workers']}"]
        for k in ("perfusion", "threshold"):
            cells.append(f"{r[f'{k}_s']:.1f} s | {r[f'{k}_cases_per_min']:.0f} | {r[f'{k}_efficiency']:.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    write_results(
        "cohort_throughput",
        {"cores": cores, "cases": args.cases, "rows": rows},
        "Cohort throughput by executor and workers",
        "\n".join(lines),
        "bench_cohort.py",
    )
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
