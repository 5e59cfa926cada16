"""One recipe trained in a few variants on the same phantom CT cohort and folds, then paired by ``strokeseg compare``.

Shared by the benchmarks that measure one recipe setting against another (bench_adversarial_objective.py,
bench_symmetric_transform.py, bench_intensity_scaling.py; :func:`variant_benchmark` is each one's whole run): the
12-case phantom CT cohort of bench_method_comparison.py (seed 2026), the same patient-grouped folds for every
variant, a run kept when it is already complete.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

from bench_method_comparison import cohort, done, strokeseg


def train_variants(
    recipe: str, variants: dict[str, list[str]], out: Path, epochs: int, folds: int, extra: list[str] | None = None
) -> tuple[dict[str, Any], str, dict[str, float]]:
    """Train ``recipe`` once per variant (name → ``--set`` overrides, on top of ``extra``) into ``out/<name>_<epochs>``;
    compare them against the first. Returns the comparison JSON, its Markdown and the seconds of the runs trained now."""
    data = cohort("ct", 12, "ct")
    seconds: dict[str, float] = {}
    runs = []
    for name, sets in variants.items():
        run = out / f"{name}_{epochs}"
        if not done(run):
            shutil.rmtree(run, ignore_errors=True)
            print(f"training {recipe}, {name} ({folds} folds × {epochs} epochs)", flush=True)
            args = [a for s in [*(extra or []), *sets] for a in ("--set", s)]
            t0 = time.perf_counter()
            strokeseg("train", "--recipe", recipe, "--input", data, "--out", run, "--folds", str(folds), "--epochs", str(epochs), *args)
            seconds[name] = time.perf_counter() - t0
        runs.append(f"{name}={run}")
    strokeseg("compare", *runs, "--out", out / "compare", "--reference", next(iter(variants)), "--overwrite")
    comparison = json.loads((out / "compare" / "comparison.json").read_text(encoding="utf-8"))
    return comparison, (out / "compare" / "comparison.md").read_text(encoding="utf-8"), seconds


def variant_benchmark(
    name: str, title: str, recipe: str, variants: dict[str, list[str]], head: str, epochs: int, extra: list[str] | None = None
) -> None:
    """The whole benchmark of one recipe setting (``bench_<name>.py``): ``--epochs``/``--folds`` from the command line,
    the variants trained and compared, ``docs/results/<name>.{json,md}`` written under ``title``. ``head`` is the
    page's first paragraph, formatted with ``{folds}`` and ``{epochs}``."""
    import argparse

    from bench_method_comparison import OUT
    from results import write_results

    ap = argparse.ArgumentParser(description=title)
    ap.add_argument("--epochs", type=int, default=epochs)
    ap.add_argument("--folds", type=int, default=3)
    args = ap.parse_args()
    comparison, md, seconds = train_variants(recipe, variants, OUT / name, args.epochs, args.folds, extra)
    text = head.format(folds=args.folds, epochs=args.epochs) + "\n\n"
    data_out = {"epochs": args.epochs, "folds": args.folds, "cases": 12, "seconds": seconds, "comparison": comparison}
    write_results(name, data_out, title, text + md, f"bench_{name}.py")
    print(text + md)
