"""Every real file in ../shared/data through the commands a user would run, as one table.

For each real dataset: the layout detected, the voxel spacing, what `threshold` reads out (core
and hypoperfused ml, or "not assessable"), Dice and |ΔV| against the expert mask where one
exists, and the warnings. The ISLES'24 row also gives the vendor's own Tmax > 6 s volume over
valid tissue; the DICOM rows give each file's transfer syntax, the modality its headers name
and the decoded value range. Writes ``docs/results/real_data.json`` and ``docs/results/real_data.md``.

    .venv/bin/python benchmarks/bench_real_data.py [--shared ../shared]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def run(*args: str) -> tuple[int, str, str]:
    from strokeseg.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


def readouts(folder: Path) -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*/*_readout.json"))]


def threshold_row(name: str, data: Path, tmp: Path, truth: Path | None = None) -> dict:
    from strokeseg.io.case import load_case
    from strokeseg.io.layouts import open_dataset

    ds = open_dataset(data)
    case = load_case(ds.cases[0])
    row = {
        "data": name,
        "layout": ds.layout.name,
        "spacing_mm": [round(s, 4) for s in case.geometry.spacing],
        "modalities": sorted(case.images),
        "header_notes": [n for n in case.notes if "disagrees" in n][:1],
    }
    if case.label is not None:
        row["expert_core_ml"] = round(float((case.label > 0).sum() * case.geometry.voxel_volume_ml), 2)
    t0 = time.perf_counter()
    args = ["threshold", data, "--out", tmp / name] + (["--truth", truth] if truth else [])
    code, _, err = run(*args)
    row["seconds"] = round(time.perf_counter() - t0, 2)
    if code != 0:
        row["threshold"] = f"exit {code}: {err.strip().splitlines()[-1] if err.strip() else ''}"
        return row
    ro = readouts(tmp / name)[0]
    row["core_ml"] = ro["core_ml"]
    why = "no Tmax" if "without Tmax" in str(ro.get("maps")) else "no perfusion"
    row["hypoperfused_ml"] = ro["hypoperfused_ml"] if ro.get("perfusion", True) else f"not assessable ({why})"
    if ro.get("implausible"):
        row["implausible"] = ro["implausible"]
    row["warnings"] = [n for n in ro["notes"] if n.startswith("warning")]
    ev = tmp / name / "evaluation" / "summary.json"
    if ev.exists():
        cases = json.loads(ev.read_text(encoding="utf-8"))["cases"]
        r = cases[0]
        row.update({"region": r["region"], "dice": round(r["dice"], 3), "abs_vol_diff_ml": round(abs(r["vol_diff_ml"]), 2)})
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=Path(os.environ.get("STROKESEG_SHARED", REPO.parent / "shared")))
    ap.add_argument("--json", type=Path, default=REPO / "docs" / "results" / "real_data.json")
    ap.add_argument("--md", type=Path, default=REPO / "docs" / "results" / "real_data.md")
    args = ap.parse_args()
    os.environ["STROKESEG_QUIET"] = "1"
    data = args.shared / "data"
    if not data.is_dir():
        print(f"no real data at {data}")
        return 1
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        rows.append(threshold_row("isles22/sub-strokecase0001", data / "isles22", tmp, truth=data / "isles22"))
        rows.append(threshold_row("real/isles2018/case_1", data / "real" / "isles2018", tmp, truth=data / "real" / "isles2018"))
        r24 = threshold_row("real/isles2024-vendor-maps", data / "real" / "isles2024-vendor-maps", tmp)
        import nibabel as nib

        maps = {
            m: np.asanyarray(nib.load(str(next((data / "real" / "isles2024-vendor-maps").rglob(f"*_{m}.nii.gz")))).dataobj)
            for m in ("cbf", "cbv", "mtt", "tmax")
        }
        valid = (maps["cbf"] > 1e-5) & (maps["tmax"] >= 0) & (maps["mtt"] >= 0) & (maps["cbv"] >= 0)
        r24["vendor_tmax6_ml_over_valid_tissue"] = round(float(((maps["tmax"] > 6) & valid).sum() * 4 / 1000), 1)
        if isinstance(r24.get("hypoperfused_ml"), float):
            r24["hypoperfused_vs_vendor"] = round(r24["hypoperfused_ml"] / r24["vendor_tmax6_ml_over_valid_tissue"], 3)
        rows.append(r24)
        rows.append(threshold_row("real/isles2022-grand-challenge", data / "real" / "isles2022-grand-challenge", tmp))
        from strokeseg.io.dicom import _read_tags, describe_transfer_syntax, modality_from_headers
        from strokeseg.io.read import read_image

        for f in sorted((data / "real" / "unitobrain-dicom").glob("*.dcm")):
            d = tmp / "dicom" / f.stem
            d.mkdir(parents=True)
            shutil.copy(f, d / f.name)
            vol = read_image(d)
            rows.append(
                {
                    "data": f"real/unitobrain-dicom/{f.name}",
                    "layout": "dicom",
                    "transfer_syntax": describe_transfer_syntax(f),
                    "modality_from_headers": modality_from_headers(_read_tags([str(f)])[0], False),
                    "spacing_mm": [round(s, 4) for s in vol.geometry.spacing],
                    "range": [float(vol.array.min()), float(vol.array.max())],
                }
            )
    from strokeseg import __version__

    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"strokeseg": __version__, "rows": rows}, indent=2) + "\n", encoding="utf-8")
    cols = [
        "data",
        "layout",
        "spacing_mm",
        "core_ml",
        "hypoperfused_ml",
        "expert_core_ml",
        "dice",
        "abs_vol_diff_ml",
        "vendor_tmax6_ml_over_valid_tissue",
        "hypoperfused_vs_vendor",
        "transfer_syntax",
        "modality_from_headers",
        "threshold",
        "implausible",
        "warnings",
    ]

    def cell(v) -> str:
        if isinstance(v, float):
            return f"{v:.2f}"
        if isinstance(v, list):
            return "; ".join(map(str, v)) if v and isinstance(v[0], str) else "×".join(f"{x:g}" for x in v)
        return "" if v is None else str(v)

    md = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    md += ["| " + " | ".join(cell(r.get(c)) for c in cols) + " |" for r in rows]
    table = "\n".join(md)
    print(table)
    args.md.write_text(
        "<!-- generated by benchmarks/bench_real_data.py from real_data.json; do not edit -->\n"
        "# strokeseg on the real files of ../shared/data\n\n" + table + "\n",
        encoding="utf-8",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
