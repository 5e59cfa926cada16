"""Sim-to-real: a CT recipe trained on phantoms with only the channels ISLES'18 case_1 has, scored on it.

The real ISLES'18 case in ../shared has CT, CBF, CBV and the expert core (no MTT, Tmax or 4D
series), so the model sees exactly those three maps (and their symmetric copies). Steps, all
through the CLI a user would type:

1. ``strokeseg phantom`` — a CT phantom cohort (ISLES'18 layout, default phantom, seed 2026);
2. ``strokeseg train --recipe clerigues-ct-2d-fast --set modalities=[CT,CBF,CBV]`` — 3 folds;
3. ``strokeseg predict`` on ``real/isles2018`` and ``strokeseg evaluate`` against its OT mask.

The threshold method cannot read this case out (RAPID's core is rCBF < 30 % *inside* Tmax > 6 s,
and the case has no Tmax): that is reported as not assessable. The Dice measures how far the
phantom is from reality; it is not a target and nothing is tuned on it. Writes
``docs/results/sim_to_real.json``.

    .venv/bin/python benchmarks/bench_sim_to_real.py [--cases 20] [--epochs N] [--shared ../shared]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench-output" / "sim_to_real"


def run(*args: object) -> tuple[int, str, str]:
    from strokeseg.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    print(out.getvalue()[-2000:], err.getvalue()[-2000:], sep="\n", flush=True)
    if code != 0:
        raise SystemExit(f"{args[0]} failed with exit {code}")
    return code, out.getvalue(), err.getvalue()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=20)
    ap.add_argument("--epochs", type=int, default=None, help="maximum epochs (default: the recipe's, 40 with patience 10)")
    ap.add_argument("--folds", type=int, default=3)
    ap.add_argument("--shared", type=Path, default=Path(os.environ.get("STROKESEG_SHARED", REPO.parent / "shared")))
    ap.add_argument("--json", type=Path, default=REPO / "docs" / "results" / "sim_to_real.json")
    args = ap.parse_args()
    os.environ.setdefault("STROKESEG_QUIET", "1")
    real = args.shared / "data" / "real" / "isles2018"
    t0 = time.perf_counter()
    phantoms = OUT / f"phantoms_{args.cases}"
    if not (phantoms / "patients.csv").exists():
        run("phantom", "--out", phantoms, "--cases", args.cases, "--seed", 2026, "--overwrite")
    model = OUT / f"model_{args.cases}_{args.epochs or 'recipe'}"
    run(
        "train",
        "--recipe",
        "clerigues-ct-2d-fast",
        "--data",
        phantoms,
        "--out",
        model,
        "--folds",
        args.folds,
        *(["--epochs", args.epochs] if args.epochs else []),
        "--set",
        "modalities=[CT,CBF,CBV]",
        *(["--resume"] if (model / "run.json").exists() else []),
    )
    import csv

    # the sum of the epoch times in the fold logs (a resumed run's own wall time would hide the training)
    t_train = sum(float(r["seconds"]) for f in sorted(model.glob("fold_*/log.csv")) for r in csv.DictReader(f.open(encoding="utf-8")))
    run("predict", "--model", model, "--input", real, "--out", OUT / "pred", "--overwrite")
    run("evaluate", "--pred", OUT / "pred", "--truth", real, "--out", OUT / "eval", "--overwrite")
    rows = json.loads((OUT / "eval" / "summary.json").read_text(encoding="utf-8"))["cases"]
    core = next(r for r in rows if r["region"] == "core")
    cv = json.loads((model / "cv" / "summary.json").read_text(encoding="utf-8"))["summary"]
    cv_core = next(s for s in cv if s["region"] == "core" and s["group"] == "all")
    res = {
        "recipe": "clerigues-ct-2d-fast",
        "channels": ["CT", "CBF", "CBV"],
        "phantom_cases": args.cases,
        "folds": args.folds,
        "epochs": args.epochs or "recipe",
        "train_epoch_seconds": round(t_train, 1),
        "wall_seconds_this_run": round(time.perf_counter() - t0, 1),
        "phantom_cv_core_dice": cv_core["metrics"]["dice"]["mean"],
        "real_isles18_case1": {"dice": core["dice"], "pred_ml": core["vol_pred_ml"], "truth_ml": core["vol_true_ml"], "hd_mm": core["hd"]},
        "threshold_method": "not assessable (case_1 has no Tmax or 4D series)",
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
