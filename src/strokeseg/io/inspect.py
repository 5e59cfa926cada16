"""Describe what a path holds (``strokeseg info``): layout, cases, modalities, labels, problems.

Problems are collected, not raised, so one run lists everything that is wrong.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from strokeseg.errors import InputError
from strokeseg.io.case import load_case
from strokeseg.io.labels import LABEL_NAMES
from strokeseg.io.layouts import open_dataset
from strokeseg.io.layouts.base import is_image_file
from strokeseg.io.read import read_image, read_series
from strokeseg.util.progress import progress


def _range(arr: np.ndarray) -> list[float]:
    return [float(np.min(arr)), float(np.max(arr))] if arr.size else [0.0, 0.0]


def describe_file(path: Path) -> dict[str, Any]:
    """One image or 4D series."""
    try:
        vol = read_image(path)
        return {
            "kind": "image",
            "path": str(path),
            "shape_xyz": list(vol.geometry.shape[::-1]),
            "spacing_mm": list(vol.geometry.spacing),
            "shear_deg": round(vol.geometry.shear_deg, 4),
            "range": _range(vol.array),
            "notes": vol.notes,
            "problems": [],
        }
    except InputError as exc:
        if "expected a 3D volume" not in str(exc):
            return {"kind": "image", "path": str(path), "problems": [str(exc)]}
    try:
        s = read_series(path)
        return {
            "kind": "series",
            "path": str(path),
            "shape_xyz": list(s.geometry.shape[::-1]),
            "spacing_mm": list(s.geometry.spacing),
            "shear_deg": round(s.geometry.shear_deg, 4),
            "frames": s.n_frames,
            "frame_interval_s": s.frame_interval,
            "range": _range(s.data),
            "notes": s.notes,
            "problems": [],
        }
    except InputError as exc:
        return {"kind": "series", "path": str(path), "problems": [str(exc)]}


class _ModalityStats:
    """Shapes, spacings and value ranges of one modality over the cases."""

    def __init__(self) -> None:
        self.cases, self.shapes, self.spacings = 0, Counter[str](), Counter[str]()
        self.lo, self.hi = np.inf, -np.inf

    def add(self, arr: np.ndarray, g: Any) -> None:
        self.cases += 1
        self.shapes["×".join(map(str, g.shape[::-1]))] += 1
        self.spacings["×".join(f"{s:g}" for s in np.round(g.spacing, 3))] += 1
        self.lo, self.hi = min(self.lo, float(arr.min())), max(self.hi, float(arr.max()))

    def to_dict(self) -> dict[str, Any]:
        return {"cases": self.cases, "shapes_xyz": dict(self.shapes), "spacings_mm": dict(self.spacings), "range": [self.lo, self.hi]}


def _case_geometry(entry: dict[str, Any], case: Any, notes: list[str]) -> None:
    g = case.geometry
    entry["shape_xyz"] = list(g.shape[::-1])
    entry["spacing_mm"] = [round(s, 4) for s in g.spacing]
    entry["shear_deg"] = round(g.shear_deg, 4)
    if g.shear_deg > 0.01:
        notes.append(
            f"{case.case_id}: the grid is sheared by {g.shear_deg:.2f}° (gantry tilt?); it is kept as it is "
            f"in every output, and volumes use the true voxel volume {g.voxel_volume_ml * 1000:.4g} mm³"
        )
    if case.label is not None:
        counts = np.bincount(case.label.ravel(), minlength=3)
        v = g.voxel_volume_ml
        entry["label_voxels"] = {LABEL_NAMES[k]: int(counts[k]) for k in range(3)}
        entry["volumes_ml"] = {
            "core": float(counts[2] * v),
            "penumbra": float(counts[1] * v),
            "hypoperfused": float((counts[1] + counts[2]) * v),
        }


def _case_series(entry: dict[str, Any], ref: Any, g: Any, problems: list[str]) -> None:
    for sname, spath in ref.series.items():
        try:
            s = read_series(spath, ref.frame_interval)
        except InputError as exc:
            problems.append(str(exc))
            continue
        entry.setdefault("series_info", {})[sname] = {"frames": s.n_frames, "frame_interval_s": s.frame_interval}
        if not s.geometry.same_grid(g, atol=1e-2):
            problems.append(f"{spath}: 4D series grid {s.geometry.describe()} does not match the case grid {g.describe()}")


def describe_path(
    path: Path, layout: str | None = None, label_map: Mapping[int, int] | None = None, series: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """A dataset / case folder / manifest (through its layout), or a single image file: what each case holds,
    per-modality shapes, spacings and value ranges, notes, and every problem by file."""
    if path.is_file() and is_image_file(path):
        return describe_file(path)
    ds = open_dataset(path, layout, label_map, series)
    problems: list[str] = []
    cases: list[dict[str, Any]] = []
    stats: dict[str, _ModalityStats] = defaultdict(_ModalityStats)
    all_mods = Counter(m for ref in ds.cases for m in ref.images)
    notes: list[str] = []
    for ref in progress(ds.cases, desc="reading cases", unit="case"):
        entry: dict[str, Any] = {
            "case_id": ref.case_id,
            "patient_id": ref.patient_id,
            "modalities": list(ref.images),
            "series": list(ref.series),
            "has_label": ref.label is not None,
            "clinical": dict(ref.clinical),
            "found": list(ref.found),
        }
        cases.append(entry)
        problems += [
            f"{ref.where}: case {ref.case_id} is missing modality {m} (present in {all_mods[m]} other case(s))"
            for m in sorted(set(all_mods) - set(ref.images))
        ]
        try:
            case = load_case(ref)
        except InputError as exc:
            problems.append(str(exc))
            entry["error"] = str(exc)
            continue
        notes += case.notes
        _case_geometry(entry, case, notes)
        for name, arr in case.images.items():
            stats[name].add(arr, case.geometry)
        _case_series(entry, ref, case.geometry, problems)
    return {
        "kind": "dataset",
        "path": str(path),
        "layout": ds.layout.name,
        "layout_description": ds.layout.description,
        "label_map": {str(k): LABEL_NAMES.get(v, str(v)) for k, v in ds.label_map.items()},
        "n_cases": len(ds),
        "n_patients": len(ds.patients),
        "n_labelled": sum(1 for c in ds.cases if c.label is not None),
        "modalities": {name: st.to_dict() for name, st in stats.items()},
        "cases": cases,
        "notes": notes,
        "problems": problems,
    }


def format_description(d: dict[str, Any]) -> str:
    """The text ``strokeseg info`` prints for a description."""
    lines: list[str] = []
    if d["kind"] in ("image", "series"):
        lines.append(f"{d['kind']}  {d['path']}")
        if "shape_xyz" in d:
            shear = f", sheared {d['shear_deg']:.2f}° (kept as it is in outputs)" if d.get("shear_deg", 0) > 0.01 else ""
            lines.append(
                f"  grid     {'×'.join(map(str, d['shape_xyz']))} voxels (x×y×z), spacing "
                f"{'×'.join(f'{s:g}' for s in d['spacing_mm'])} mm{shear}"
            )
            if d["kind"] == "series":
                lines.append(f"  frames   {d['frames']} at {d['frame_interval_s']:g} s")
            lines.append(f"  range    [{d['range'][0]:.4g}, {d['range'][1]:.4g}]")
        for n in d.get("notes", []):
            lines.append(f"note: {n}")
    else:
        lines.append(f"dataset   {d['path']}")
        lines.append(f"layout    {d['layout']} ({d['layout_description']})")
        lines.append(f"cases     {d['n_cases']}   patients {d['n_patients']}   with ground truth {d['n_labelled']}")
        lines.append("labels    " + ", ".join(f"{k} → {v}" for k, v in d["label_map"].items()))
        lines.append("")
        lines.append("modalities")
        for name, m in d["modalities"].items():
            shapes = ", ".join(f"{s} ({n})" for s, n in m["shapes_xyz"].items())
            sp = ", ".join(f"{s} mm ({n})" for s, n in m["spacings_mm"].items())
            lines.append(f"  {name:<6} {m['cases']} case(s)  grid {shapes}  spacing {sp}  range [{m['range'][0]:.4g}, {m['range'][1]:.4g}]")
        lines.append("")
        lines.append(f"{'case':<24} {'patient':<18} {'grid (x×y×z)':<14} {'core ml':>8} {'penumbra ml':>12}  series")
        for c in d["cases"]:
            grid = "×".join(map(str, c.get("shape_xyz", []))) or "unreadable"
            vols = c.get("volumes_ml")
            core = f"{vols['core']:.2f}" if vols else "-"
            pen = f"{vols['penumbra']:.2f}" if vols else "-"
            ser = ", ".join(f"{k} {v['frames']} frames @ {v['frame_interval_s']:g} s" for k, v in c.get("series_info", {}).items())
            lines.append(f"{c['case_id']:<24} {c['patient_id']:<18} {grid:<14} {core:>8} {pen:>12}  {ser}")
        found = [c for c in d["cases"] if c.get("found")]
        if found:
            lines += ["", "series found (role, series, why)"]
            for c in found:
                lines += [f"  {c['case_id']}", *(f"    {f}" for f in c["found"])]
        for n in d.get("notes", []):
            lines.append(f"note: {n}")
    probs = d.get("problems", [])
    lines.append("")
    lines.append(f"problems ({len(probs)})" if probs else "problems: none")
    lines += [f"  PROBLEM {p}" for p in probs]
    return "\n".join(lines)
