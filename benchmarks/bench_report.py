"""Seconds per report page: case pages of phantom runs of three sizes and of the real files, and a 100-case cohort page.

* case pages: ``strokeseg threshold --truth`` on phantom CT cases of 8 slices at 128², 256² (ISLES'18 size)
  and 512² in-plane, then the report built in process; each page's seconds (reading the images,
  every montage, the overlap maps, the page) — median over the cases and ``--repeats`` builds;
* real files: threshold runs on the ISLES'24 vendor maps and ISLES'22 case 0001 (73 slices of DWI/ADC);
* cohort page: a threshold run of 4 phantom cases whose case folders and evaluation rows are
  replicated to 100 cases (same files, new ids), timing ``index.html`` alone (table, scatter,
  Bland–Altman, Dice per group) and the whole report.

Target (issue 22): a case page under 2 s on 2 cores. Writes ``docs/results/report_speed.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import write_results

SHARED = Path(os.environ.get("STROKESEG_SHARED", Path(__file__).resolve().parents[2] / "shared"))


def _phantom(root: Path, matrix: int, cases: int, seed: int) -> Path:
    from strokeseg.phantom.case import PhantomConfig
    from strokeseg.workflows.phantom import CohortSpec, write_phantom_cohort

    cfg = PhantomConfig(slices=8, matrix=(matrix, matrix), spacing_xy=0.9 * 256 / matrix, p_no_stroke=0.0)
    write_phantom_cohort(root, CohortSpec(cases, cfg, "isles2018", seed=seed, second_slab_fraction=0.0))
    return root


def _threshold(data: Path, out: Path, truth: bool) -> Path:
    from strokeseg.cli import main

    args = ["threshold", str(data), "--out", str(out)] + (["--truth", str(data)] if truth else [])
    if main(args) != 0:
        raise RuntimeError(f"threshold failed on {data}")
    return out


def _case_seconds(run_dir: Path, repeats: int) -> tuple[list[float], float]:
    from strokeseg.report.build import build_report
    from strokeseg.report.collect import collect_run

    per_page, totals = [], []
    for _ in range(repeats):
        view = collect_run(run_dir)
        with tempfile.TemporaryDirectory() as tmp:
            res = build_report(view, Path(tmp) / "report")
        per_page += [s for p, s in res.seconds.items() if p != "index.html"]
        totals.append(sum(res.seconds.values()))
    return per_page, statistics.median(totals)


def _replicate(run_dir: Path, n: int) -> Path:
    """The run's case folders and evaluation rows copied under new ids until there are ``n`` cases."""
    cases = sorted(p for p in run_dir.iterdir() if p.is_dir() and (p / f"{p.name}_readout.json").exists())
    ev_path = run_dir / "evaluation" / "summary.json"
    ev = json.loads(ev_path.read_text(encoding="utf-8"))
    rows, files = list(ev["cases"]), dict(ev.get("files", {}))
    i = 0
    while len(cases) + i < n:
        src = cases[i % len(cases)]
        cid = f"copy{i:03d}"
        dst = run_dir / cid
        shutil.copytree(src, dst)
        for f in list(dst.iterdir()):
            if f.name.startswith(src.name + "_"):
                f.rename(dst / f.name.replace(src.name, cid, 1))
        r = json.loads((dst / f"{cid}_readout.json").read_text(encoding="utf-8"))
        r["case_id"] = cid
        (dst / f"{cid}_readout.json").write_text(json.dumps(r), encoding="utf-8")
        rows += [{**row, "case_id": cid} for row in ev["cases"] if row["case_id"] == src.name]
        if src.name in files:
            files[cid] = {**files[src.name], "prediction": str(dst / f"{cid}_label.nii.gz")}
        i += 1
    ev["cases"], ev["files"] = rows, files
    ev_path.write_text(json.dumps(ev), encoding="utf-8")
    return run_dir


def _cohort_seconds(run_dir: Path, repeats: int) -> tuple[float, float]:
    from strokeseg.report.build import build_report
    from strokeseg.report.collect import collect_run

    index, total = [], []
    for _ in range(repeats):
        view = collect_run(run_dir)
        with tempfile.TemporaryDirectory() as tmp:
            res = build_report(view, Path(tmp) / "report")
        index.append(res.seconds["index.html"])
        total.append(sum(res.seconds.values()))
    return statistics.median(index), statistics.median(total)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--cases", type=int, default=3, help="phantom cases per size")
    args = ap.parse_args()
    os.environ.setdefault("STROKESEG_QUIET", "1")
    from strokeseg.util.threads import thread_count

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        for matrix in (128, 256, 512):
            data = _phantom(t / f"ph{matrix}", matrix, args.cases, seed=matrix)
            run_dir = _threshold(data, t / f"thr{matrix}", truth=True)
            pages, _ = _case_seconds(run_dir, args.repeats)
            rows.append(
                {"case": f"phantom CT {matrix}×{matrix}×8", "pages": len(pages), "median_s": statistics.median(pages), "max_s": max(pages)}
            )
        for name, path in (
            ("ISLES'24 vendor maps (sub-stroke0143)", SHARED / "data/real/isles2024-vendor-maps"),
            ("ISLES'22 case 0001 DWI/ADC", SHARED / "data/isles22/sub-strokecase0001"),
        ):
            if not path.exists():
                rows.append({"case": name, "pages": 0, "median_s": None, "max_s": None, "note": f"not found at {path}"})
                continue
            run_dir = _threshold(path, t / name.split()[0].replace("'", ""), truth=False)
            pages, _ = _case_seconds(run_dir, args.repeats)
            rows.append({"case": name, "pages": len(pages), "median_s": statistics.median(pages), "max_s": max(pages)})
        cohort_dir = _replicate(_threshold(_phantom(t / "coh", 256, 4, seed=7), t / "thr_coh", truth=True), 100)
        index_s, total_s = _cohort_seconds(cohort_dir, max(1, args.repeats - 2))
    data = {
        "machine": {"cores": os.cpu_count(), "threads": thread_count()},
        "target_case_page_s": 2.0,
        "case_pages": rows,
        "cohort": {"cases": 100, "index_page_s": index_s, "whole_report_s": total_s},
        "command": ".venv/bin/python benchmarks/bench_report.py",
    }
    table = "| case | pages timed | median s / page | max s |\n|---|---:|---:|---:|\n"
    for r in rows:
        med = "—" if r["median_s"] is None else f"{r['median_s']:.2f}"
        mx = "—" if r["max_s"] is None else f"{r['max_s']:.2f}"
        table += f"| {r['case']} | {r['pages']} | {med} | {mx} |\n"
    table += (
        f"\n100-case cohort page (4 phantom cases replicated): index.html **{index_s:.2f} s**, whole report "
        f"(100 case pages + index) {total_s:.1f} s. Target: a case page under 2 s. {data['machine']['cores']} cores."
    )
    write_results("report_speed", data, "Report speed", table, "bench_report.py")
    print(table)


if __name__ == "__main__":
    main()
