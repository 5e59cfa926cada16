"""`strokeseg predict` and one training epoch on an idle machine and beside a busy process.

The "busy process" is one CPU-bound Python loop (what another user's job looks like on a
2-core machine). Each command runs in a fresh process, idle and loaded, for several thread
policies:

* ``auto`` — strokeseg's default: threads = free cores (``strokeseg.util.threads``);
* ``all cores`` — ``--threads`` set to every core (the behaviour before that policy);
* each of those with OpenMP's wait policy ``PASSIVE`` (threads sleep at once when idle) and
  ``ACTIVE`` (they spin), set through ``OMP_WAIT_POLICY``.

The case is an ISLES'18-sized phantom slab (256×256×8, 10 channels) with a one-fold CT-2D
bundle (random weights; speed does not depend on them), 3 MC passes; the epoch is one
CT-2D training epoch on 4 small phantom cases. Writes ``docs/results/shared_machine.{json,md}``.

    .venv/bin/python benchmarks/bench_shared_machine.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import write_results

REPO = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
TRAIN = ["--folds", "2", "--epochs", "1", "--set", "sampling.patches_per_case=64", "--set", "batch_size=16", "--set", "patience=1"]


def run(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, capture_output=True)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    cores = os.cpu_count() or 1
    rows = []
    with tempfile.TemporaryDirectory() as t:
        root = Path(t)
        subprocess.run(
            [sys.executable, str(HERE / "predict_case.py"), str(root), "1", "cohort"],
            check=True,
            env={**os.environ, "STROKESEG_QUIET": "1"},
        )
        base = {**os.environ, "STROKESEG_QUIET": "1", "STROKESEG_CACHE": str(root / "cache")}
        commands = {
            "predict": [
                sys.executable,
                "-m",
                "strokeseg",
                "predict",
                str(root / "data"),
                "--model",
                str(root / "bundle1"),
                "--out",
                str(root / "p"),
                "--overwrite",
            ],
            "train epoch": [
                sys.executable,
                "-m",
                "strokeseg",
                "train",
                str(root / "cohort"),
                "--recipe",
                "clerigues-ct-2d",
                "--out",
                str(root / "t"),
                "--overwrite",
                *TRAIN,
            ],
        }
        for cmd in commands.values():  # warm the caches (symmetric channels, prepared cases)
            run(cmd, base)
        policies = {
            "auto": {},
            "all cores": {"STROKESEG_THREADS": str(cores)},
            "auto, PASSIVE": {"OMP_WAIT_POLICY": "PASSIVE"},
            "all cores, PASSIVE": {"STROKESEG_THREADS": str(cores), "OMP_WAIT_POLICY": "PASSIVE"},
            "all cores, ACTIVE": {"STROKESEG_THREADS": str(cores), "OMP_WAIT_POLICY": "ACTIVE"},
        }
        for what, cmd in commands.items():
            for name, extra in policies.items():
                if (what == "train epoch" and "PASSIVE" in name) or (what == "train epoch" and "ACTIVE" in name):
                    continue  # the wait policies are measured on predict; training runs the two thread policies
                env = {**base, **extra}
                idle = statistics.median(run(cmd, env) for _ in range(args.repeats))
                hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
                try:
                    time.sleep(1.0)
                    loaded = statistics.median(run(cmd, env) for _ in range(args.repeats))
                finally:
                    hog.kill()
                    hog.wait()
                rows.append({"command": what, "policy": name, "idle_s": idle, "loaded_s": loaded, "slowdown": loaded / idle})
                print(json.dumps(rows[-1]), flush=True)
    res = {"cores": cores, "rows": rows}
    lines = [
        f"{cores} cores; the load is one CPU-bound process. Wall time of a fresh `strokeseg` process, median of {args.repeats}.",
        "",
        "| command | thread policy | idle | beside a busy process | slowdown |",
        "|---|---|---:|---:|---:|",
    ]
    lines += [f"| {r['command']} | {r['policy']} | {r['idle_s']:.2f} s | {r['loaded_s']:.2f} s | {r['slowdown']:.2f}× |" for r in rows]
    write_results("shared_machine", res, "Predict and training beside a busy process", "\n".join(lines), "bench_shared_machine.py")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
