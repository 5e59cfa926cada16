"""Wall time and peak memory of `strokeseg perfusion`, from the command to the written maps.

A CT phantom series of 256×256×16×50 (x×y×z×t) stored as int16 ``.nii.gz`` (as scanners and
ISLES'18 store CTP) is processed by the CLI in a fresh process each time: the wall time the user
waits (interpreter start and imports included) and the process's peak resident memory, the
median of ``--repeats`` runs. With ``--base COMMIT`` the same command of that commit (a temporary
git worktree) is timed interleaved with this checkout's, and every written map is compared
voxel by voxel. The per-step seconds come from ``perfusion.json``; the gzip backends are timed
on the same file; and the scaling rows repeat the run at 1×, 4× and 16× the voxels
(128², 256², 512² in-plane). Writes ``docs/results/perfusion_speed.{json,md}``.

    .venv/bin/python benchmarks/bench_perfusion_speed.py [--repeats 5] [--base 194e884] [--no-scaling]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import base_checkout, run_strokeseg, write_results

REPO = Path(__file__).resolve().parents[1]
MAPS = ("CBF", "CBV", "MTT", "Tmax", "TTP")


def _write_series(path: Path, matrix: int, slices: int = 16, frames: int = 50) -> None:
    from strokeseg.io.nifti import write_nifti
    from strokeseg.phantom.case import PhantomConfig, generate_case

    s = generate_case(PhantomConfig(slices=slices, frames=frames, frame_interval=1.0, matrix=(matrix, matrix)), seed=4).series
    write_nifti(path, np.round(s.data).astype(np.int16), s.geometry, frame_interval=s.frame_interval)


def make_series(path: Path, matrix: int, slices: int = 16, frames: int = 50) -> int:
    """Write a CT phantom series as int16 NIfTI (in a child process); returns its float32 size in bytes.

    In a child, so that this process stays small.
    """
    subprocess.run([sys.executable, __file__, "--make-series", str(path), str(matrix), str(slices), str(frames)], check=True)
    return matrix * matrix * slices * frames * 4


def run_cli(src: Path, series: Path, out: Path) -> tuple[float, float]:
    """(wall s, peak RSS MB) of one `strokeseg perfusion` in a fresh process using ``src``."""
    env = {**os.environ, "PYTHONPATH": str(src), "STROKESEG_QUIET": "1"}
    wall, peak, _ = run_strokeseg(["perfusion", str(series), "--out", str(out), "--overwrite"], env)
    return wall, peak


def compare_maps(a: Path, b: Path) -> dict[str, dict[str, float]]:
    import nibabel as nib

    out = {}
    for name in (*MAPS, "brain_mask"):
        x = np.asanyarray(nib.load(str(a / f"{name}.nii.gz")).dataobj).astype(np.float64)
        y = np.asanyarray(nib.load(str(b / f"{name}.nii.gz")).dataobj).astype(np.float64)
        d = np.abs(x - y)
        rel = d / np.maximum(np.abs(x), 1e-3)
        out[name] = {"max_abs": float(d.max()), "voxels_over_1e-6": int((rel > 1e-6).sum()), "voxels": int((x != 0).sum())}
    return out


def gzip_backends(series: Path) -> dict[str, dict[str, float]]:
    import gzip
    import zlib

    raw = series.read_bytes()
    data = zlib.decompress(raw, 31)
    rows = {}
    try:
        from isal import igzip
    except ImportError:  # pragma: no cover
        igzip = None
    for name, mod in (("zlib", gzip), ("isal", igzip)):
        if mod is None:
            continue
        t0 = time.perf_counter()
        mod.decompress(raw)
        t_in = time.perf_counter() - t0
        t0 = time.perf_counter()
        packed = mod.compress(data, compresslevel=1)
        rows[name] = {"inflate_s": t_in, "deflate_level1_s": time.perf_counter() - t0, "ratio": len(data) / len(packed)}
    return rows


def timed(src: Path, series: Path, out: Path, repeats: int) -> dict[str, float]:
    walls, peaks = zip(*(run_cli(src, series, out) for _ in range(repeats)))
    info = json.loads((out / "perfusion.json").read_text(encoding="utf-8"))
    return {
        "wall_s": statistics.median(walls),
        "wall_min_s": min(walls),
        "peak_mb": statistics.median(peaks),
        "steps_s": info["timings_s"],
        "threads": info.get("threads"),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--base", default="194e884", help="commit to compare with ('' to skip)")
    ap.add_argument("--no-scaling", action="store_true")
    ap.add_argument("--make-series", nargs=4, metavar=("PATH", "MATRIX", "SLICES", "FRAMES"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.make_series:
        _write_series(Path(args.make_series[0]), *map(int, args.make_series[1:]))
        return 0
    from strokeseg.util.threads import usable_cores

    here = REPO / "src"
    result: dict = {"machine": f"{platform.processor() or platform.machine()}, {usable_cores()} cores"}
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        series = tmp / "ctp.nii.gz"
        f32 = make_series(series, 256)
        result["series"] = {"shape_xyzt": [256, 256, 16, 50], "stored": "int16 .nii.gz", "float32_mb": f32 / 2**20}
        now: list[dict] = []
        before: list[dict] = []
        with base_checkout(args.base, tmp / "base") if args.base else contextlib.nullcontext() as base_src:
            for _ in range(args.repeats):  # interleaved, one run each per round
                now.append(timed(here, series, tmp / "now", 1))
                if base_src is not None:
                    before.append(timed(base_src, series, tmp / "before", 1))
            result["now"] = _merge(now)
            result["now"]["peak_over_series"] = result["now"]["peak_mb"] / result["series"]["float32_mb"]
            if base_src is not None:
                result["base"] = {"commit": args.base, **_merge(before)}
                result["maps_vs_base"] = compare_maps(tmp / "before", tmp / "now")
        result["gzip"] = gzip_backends(series)
        if not args.no_scaling:
            rows = []
            for m in (128, 256, 512):
                p = tmp / f"s{m}.nii.gz"
                size = make_series(p, m)
                r = timed(here, p, tmp / f"o{m}", max(1, args.repeats // 2))
                rows.append({"matrix": m, "voxels_rel": (m / 128) ** 2, "float32_mb": size / 2**20, **r})
                p.unlink()
            result["scaling"] = rows
    write_results("perfusion_speed", result, "`strokeseg perfusion` wall time and peak memory", _table(result), "bench_perfusion_speed.py")
    print(_table(result))
    return 0


def _merge(runs: list[dict]) -> dict:
    return {
        "wall_s": statistics.median(r["wall_s"] for r in runs),
        "wall_min_s": min(r["wall_s"] for r in runs),
        "peak_mb": statistics.median(r["peak_mb"] for r in runs),
        "steps_s": runs[-1]["steps_s"],
        "threads": runs[-1].get("threads"),
        "runs": len(runs),
    }


def _table(r: dict) -> str:
    n = r["now"]
    lines = [
        f"Machine: {r['machine']}; strokeseg used {n.get('threads')} threads. Series 256×256×16×50 stored as {r['series']['stored']} "
        f"({r['series']['float32_mb']:.0f} MB as float32).",
        "",
        "| | wall (median) | peak memory | peak / float32 series |",
        "|---|---:|---:|---:|",
        f"| this checkout | {n['wall_s']:.2f} s | {n['peak_mb']:.0f} MB | {n['peak_over_series']:.2f}× |",
    ]
    if "base" in r:
        b = r["base"]
        lines.append(
            f"| commit {b['commit']} | {b['wall_s']:.2f} s | {b['peak_mb']:.0f} MB | {b['peak_mb'] / r['series']['float32_mb']:.2f}× |"
        )
    lines += ["", "Steps inside `compute_maps` (s): " + ", ".join(f"{k} {v:.2f}" for k, v in n["steps_s"].items())]
    if "base" in r:
        lines += ["", "Steps at the base commit (s): " + ", ".join(f"{k} {v:.2f}" for k, v in r["base"]["steps_s"].items())]
        lines += ["", "| map vs base | max abs difference | voxels differing > 1e-6 (relative) | brain voxels |", "|---|---:|---:|---:|"]
        for k, v in r["maps_vs_base"].items():
            lines.append(f"| {k} | {v['max_abs']:.3g} | {v['voxels_over_1e-6']} | {v['voxels']} |")
    lines += ["", "| gzip backend | inflate the series | deflate it (level 1) | ratio |", "|---|---:|---:|---:|"]
    for k, v in r["gzip"].items():
        lines.append(f"| {k} | {v['inflate_s']:.2f} s | {v['deflate_level1_s']:.2f} s | {v['ratio']:.2f} |")
    if "scaling" in r:
        lines += ["", "| in-plane matrix | voxels | float32 series | wall | peak memory |", "|---|---:|---:|---:|---:|"]
        for s in r["scaling"]:
            size = f"{s['matrix']}² × 16 × 50 | {s['voxels_rel']:.0f}× | {s['float32_mb']:.0f} MB"
            lines.append(f"| {size} | {s['wall_s']:.2f} s | {s['peak_mb']:.0f} MB |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
