"""One case's page: summary box, montages, perfusion QC, metrics against the truth, provenance.

:func:`case_context` writes the case's PNGs into its folder and returns the values the template
shows. Numbers are the read-out JSON's, formatted; each summary cell also carries the raw JSON
value (``data-value``) so that a test can compare page and read-out exactly.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from strokeseg.clinical.config import ThresholdConfig
from strokeseg.clinical.eligibility import Patient, Verdict, given_values, patient_of, verdicts
from strokeseg.clinical.readout import why_not_assessable
from strokeseg.clinical.units import OWN_MAPS
from strokeseg.io.records import PerfusionRecord, ReadoutRecord, VolumesRecord
from strokeseg.report import display, figures
from strokeseg.report.collect import MAPS, STRUCTURAL, CaseView, RunView
from strokeseg.report.volumes import DisplayVolumes, load_display

NOT_GIVEN = "n/a (not given by this method)"
SUMMARY_FIELDS = (
    ("core_ml", "Core", "ml"),
    ("hypoperfused_ml", "Tmax > 6 s", "ml"),
    ("penumbra_ml", "Mismatch volume", "ml"),
    ("mismatch_ratio", "Mismatch ratio", ""),
    ("tmax10_ml", "Tmax > 10 s", "ml"),
    ("hir", "HIR (Tmax>10 / Tmax>6)", ""),
)


def _cell(readout: ReadoutRecord, key: str) -> tuple[str, Any]:
    """(text, raw JSON value) of one summary number."""
    v = getattr(readout, key)
    if v is None:
        if readout.perfusion is False and key != "core_ml":
            return why_not_assessable(readout.reference_cbf), None
        if key in (readout.not_assessable or []):
            return NOT_GIVEN, None
        return "—", None
    if v == "inf":
        return "∞", v
    digits = 2 if key in ("mismatch_ratio", "hir") else 1
    return f"{float(v):.{digits}f}", v


def core_definition(readout: ReadoutRecord, run: RunView, case: CaseView) -> str:
    """How the core was defined, in words."""
    th = readout.thresholds or run.thresholds or {}
    maps = readout.maps or ""
    if maps.startswith("model"):
        v = case.volumes
        t = "?" if v is None or v.threshold is None else v.threshold
        smin = "?" if v is None or v.min_size is None else v.min_size
        return f"learned model {maps[6:]}: lesion probability ≥ T = {t}, components ≥ S_min = {smin} voxels"
    ref, tmax = th.get("reference", "contralateral"), float(th.get("tmax_hypoperfused", 6))
    rcbf = f"rCBF < {float(th.get('rcbf_core', 0.3)):.0%} (reference: {ref}) within Tmax > {tmax:g} s"
    adc = f"ADC < {th.get('adc_core', 620):g}×10⁻⁶ mm²/s"
    if "DWI/ADC" in maps or ("ADC" in maps and "DWI" in ((readout.inputs or {}).get("images") or {})):
        adc = (
            f"(ADC < {th.get('adc_core', 620):g}×10⁻⁶ mm²/s and DWI > {th.get('dwi_ratio', 1.1):g}× healthy) or "
            f"(DWI > {th.get('dwi_subacute_ratio', 1.5):g}× and ADC < {th.get('subacute_adc_ratio', 1.2):g}× healthy), "
            f"components ≥ {th.get('diffusion_min_ml', 0.1):g} ml"
        )
        if float(th.get("dwi_asymmetry", 0) or 0) > 0:
            r = float(th.get("dwi_asymmetry_mm", 0) or 0)
            twin = f"the brightest contralateral voxel within {r:g} mm of its mirror" if r > 0 else "its mirror across the midline"
            adc += f", DWI > {float(th['dwi_asymmetry']):g}× {twin}"
    if "without Tmax" in maps:
        return f"rCBF < {float(th.get('rcbf_core', 0.3)):.0%} of the better-perfused hemisphere (no Tmax)"
    if readout.perfusion is False:
        return adc
    return f"{rcbf}, or {adc}" if "ADC" in maps else rcbf


def case_verdicts(case: CaseView, patient: Patient | None) -> list[Verdict]:
    """The read-out's verdicts; recomputed (same rules) when the report is given patient values or the read-out predates them."""
    readout = case.readout or ReadoutRecord(case_id=case.case_id)
    stored = readout.eligibility
    if stored and not given_values(patient) and all("clinical" in v for v in stored):
        return [
            Verdict(v["trial"], v["eligible"], v["rule"], v.get("numbers", {}), v.get("reason", ""), tuple(v["clinical"])) for v in stored
        ]
    th = readout.thresholds
    cfg = ThresholdConfig(**th) if th else None
    return verdicts(readout, cfg=cfg, patient=patient_of(readout.clinical or {}, patient))


def _grey_base(vols: DisplayVolumes) -> np.ndarray | None:
    for name in (*STRUCTURAL, "CBV", "CBF"):
        if name in vols.slices:
            arr = vols.slices[name]
            scale = display.fit_scale(name if name == "CT" else "", arr, vols.slices.get("brain_mask", arr != 0) > 0)
            return display.colourise(arr, display.Scale("gray", scale.vmin, scale.vmax, scale.unit))
    return None


def _contours(rgb: np.ndarray, vols: DisplayVolumes, kind: str, perfusion: bool) -> list[tuple[str, tuple[int, int, int]]]:
    lab = vols.slices.get("label")
    if lab is None or kind == "perfusion":
        return []
    legend = []
    if (lab == 1).any() or (kind == "threshold" and perfusion):
        display.draw(rgb, display.contour(lab >= 1), display.HYPO_RGB)
        legend.append(("Tmax > 6 s", display.HYPO_RGB))
    display.draw(rgb, display.contour(lab == 2), display.CORE_RGB)
    legend.insert(0, ("core", display.CORE_RGB))
    return legend


def _valid(vols: DisplayVolumes) -> np.ndarray | None:
    """Where the maps are shown: the run's brain mask, else where every map is valid (vendor sentinels, NaN, CBF ≤ 0 out)."""
    if "brain_mask" in vols.slices:
        return vols.slices["brain_mask"] > 0
    maps = {m: vols.slices[m] for m in MAPS if m in vols.slices}
    if not maps:
        return None
    from strokeseg.masks.brain import valid_map_mask

    return valid_map_mask(maps)[0]


def _montages(case: CaseView, vols: DisplayVolumes, folder: Path, kind: str) -> list[dict[str, Any]]:
    out = []
    names = [n for n in (*STRUCTURAL, *MAPS, "probability", "variance", "entropy") if n in vols.slices]
    brain = _valid(vols)
    # strokeseg's own maps (ml/100 g/min, s): computed from the series in this run (its perfusion record), or the
    # read-out says so
    own = case.perfusion is not None or (case.readout is not None and (case.readout.maps or "").startswith(OWN_MAPS))
    for name in names:
        arr = vols.slices[name]
        valid = brain if name in MAPS else None
        scale = display.fit_scale(name, arr, valid, own=own and name in MAPS)
        rgb = display.colourise(arr, scale, valid)
        legend = _contours(rgb, vols, kind, case.readout is None or case.readout.perfusion is not False)
        png = figures.montage(display.tile(rgb), folder / f"{name}.png", f"{case.case_id} — {name}", scale, legend, vols.aspect)
        out.append(
            {
                "name": name,
                "src": png.name,
                "unit": scale.unit,
                "from_data": str(scale.from_data).lower(),
                "viewer": _viewer(rgb.shape, vols, bool(legend)),
            }
        )
    return out


def _viewer(shape: tuple[int, ...], vols: DisplayVolumes, legend: bool) -> dict[str, Any]:
    """Where each slice lies in its montage PNG (pixels), for the page's one-slice viewer."""
    s, h, w = shape[:3]
    cols = display.columns_for(s, h, w)
    rows = -(-s // cols)
    mh, mw = rows * (h + display.GAP) - display.GAP, cols * (w + display.GAP) - display.GAP
    box = figures.montage_box(mh, mw, vols.aspect, True, legend)
    return {**box, "cols": cols, "tw": w, "th": h * vols.aspect, "gap": display.GAP, "gapy": display.GAP * vols.aspect}


def _overlap(case: CaseView, vols: DisplayVolumes, folder: Path, run: RunView) -> list[dict[str, str]]:
    lab, truth = vols.slices.get("label"), vols.slices.get("truth")
    if lab is None or truth is None or run.kind == "perfusion":
        return []
    base = _grey_base(vols)
    base = base if base is not None else np.zeros((*lab.shape, 3), np.uint8)
    regions = [("core", lab == 2, truth == 2)] if (truth == 2).any() or (lab == 2).any() else []
    if (lab == 1).any() and (truth == 1).any():
        regions.append(("hypoperfused", lab >= 1, truth >= 1))
    if not regions:
        regions = [("lesion", lab > 0, truth > 0)]
    out = []
    legend = list(display.OVERLAP_RGB.items())
    for region, p, t in regions:
        rgb = display.overlap_rgb(base, p, t)
        png = figures.montage(
            display.tile(rgb), folder / f"overlap_{region}.png", f"{case.case_id} — {region}: TP / FP / FN", None, legend, vols.aspect
        )
        out.append({"name": region, "src": png.name})
    return out


def _qc(case: CaseView, vols: DisplayVolumes | None, folder: Path) -> dict[str, Any] | None:
    info = case.perfusion
    if info is None:
        return None
    aif = info.aif or {}
    times = info.aif_times_s or []
    dt = float(info.frame_interval_s or 0.0)
    arrival = info.bolus_arrival_frame
    named = [("AIF", aif.get("curve") or [], "#d62728")]
    vof = aif.get("vof")
    if vof:
        named.append(("VOF", vof.get("curve") or [], "#1f77b4"))
    marks = [(times[arrival], "bolus arrival")] if arrival is not None and times and arrival < len(times) else []
    curve_png = figures.curves(times, named, folder / "aif_vof.png", marks, ylabel="ΔHU" if info.modality == "ct" else "ΔR2* (s⁻¹)")
    loc_png = None
    if vols is not None and aif.get("location"):
        s, r, c = vols.display_index(tuple(aif["location"]))
        base = _grey_base(vols)
        if base is not None:
            points = [(r, c, "AIF", "#ff3030")]
            if vof and vof.get("location"):
                vs, vr, vc = vols.display_index(tuple(vof["location"]))
                if vs == s:
                    points.append((vr, vc, "VOF", "#30a0ff"))
            loc_png = figures.location(
                base[s], points, folder / "aif_location.png", f"AIF (and VOF) centroid, slice {s + 1}", vols.aspect
            ).name
    qc = info.qc or {}
    flags = [{"name": k.replace("_", " "), **v} for k, v in qc.items() if isinstance(v, dict) and "flagged" in v]
    motion = info.motion or {}
    motion_png = None
    if motion.get("displacement_mm") and times:
        motion_png = figures.curves(
            times,
            [("estimated head motion (before correction)", motion["displacement_mm"], "#d62728")],
            folder / "motion.png",
            [(times[int(motion["reference_frame"])], "reference frame")] if int(motion.get("reference_frame", 0)) < len(times) else [],
            ylabel="largest displacement (mm)",
        ).name
    return {
        "curves": curve_png.name,
        "location": loc_png,
        "aif_voxels": aif.get("voxels"),
        "vof_voxels": (vof or {}).get("voxels"),
        "frame_interval_s": dt,
        "frames": info.frames,
        "bolus_arrival_frame": arrival,
        "bolus_arrival_s": times[int(arrival)] if marks and arrival is not None else None,
        "method": info.method,
        "modality": info.modality,
        "flags": flags,
        "motion_mm": qc.get("motion_mm"),
        "motion": motion,
        "motion_png": motion_png,
    }


def _provenance(case: CaseView, run: RunView) -> dict[str, Any]:
    readout = case.readout or ReadoutRecord(case_id=case.case_id)
    perf = case.perfusion or PerfusionRecord()
    prov = readout.provenance or {}
    inputs = readout.inputs or {}
    files = {**(inputs.get("images") or {}), **{f"series {k}": v for k, v in (inputs.get("series") or {}).items()}}
    if inputs.get("label"):
        files["label"] = inputs["label"]
    if perf.source:
        files.setdefault("series", perf.source)
    v = case.volumes or VolumesRecord(case_id=case.case_id)
    seconds = v.seconds or readout.seconds or (perf.timings_s or {}).get("total")
    model = None
    if run.kind == "predict":
        settings = run.marker.get("settings") or {}
        model = {
            "bundle": settings.get("model"),
            "recipe": v.recipe,
            "T": v.threshold,
            "S_min": v.min_size,
            "models": v.models,
            "mc_passes": v.mc_passes,
            "tta": v.tta,
        }
    from strokeseg import __version__

    return {
        "files": files,
        "version": prov.get("strokeseg") or (run.bundle or {}).get("strokeseg") or __version__,
        "command": prov.get("command") or run.kind,
        "maps": readout.maps or perf.method,
        "settings": prov.get("settings") or run.marker.get("settings") or {},
        "thresholds": readout.thresholds,
        "perfusion_config": perf.get("config"),
        "model": model,
        "seconds": seconds,
    }


def _clinical(readout: ReadoutRecord, patient: Patient | None) -> dict[str, Any]:
    """The read-out's clinical values with those given to the report in their place."""
    out = dict(readout.clinical or {})
    for k, v in given_values(patient).items():
        out[k], out[f"{k}_from"] = v, "report command line"
    return out


#: the unit of each metric column (the tables' headers say it)
METRIC_UNITS = {"hd": "mm", "hd95": "mm", "assd": "mm", "abs_vol_diff_ml": "ml", "vol_true_ml": "ml", "vol_pred_ml": "ml"}
NONE_IN_TRUTH = "n/a (none in the truth)"


def _metric_row(r: dict[str, Any], columns: tuple[str, ...]) -> list[dict[str, Any]]:
    """One region's cells (key, header with unit, raw value, text); overlap and distance metrics of a
    region the truth does not hold are n/a, not 0 (its volumes stay)."""
    empty = r.get("vol_true_ml") == 0
    cells = []
    for k in ("region", *columns, "vol_true_ml", "vol_pred_ml", "failure"):
        v = r.get(k)
        text = NONE_IN_TRUTH if empty and k in columns and k != "abs_vol_diff_ml" else None
        head = f"{k} ({METRIC_UNITS[k]})" if k in METRIC_UNITS else k
        cells.append({"key": k, "head": head, "value": v, "text": text})
    return cells


def case_context(case: CaseView, run: RunView, folder: Path, patient: Patient | None = None) -> dict[str, Any]:
    """Write the case's pictures into ``folder`` and return the template values."""
    folder.mkdir(parents=True, exist_ok=True)
    vols = load_display(case.images, case.truth_label_map)
    readout = case.readout
    summary = None
    if readout is not None:
        cells = []
        for key, label, unit in SUMMARY_FIELDS:
            text, raw = _cell(readout, key)
            cells.append({"key": key, "label": label, "unit": unit, "text": text, "raw": "" if raw is None else str(raw)})
        summary = {
            "cells": cells,
            "core_definition": core_definition(readout, run, case),
            "verdicts": [{**v.to_dict(), "text": v.text} for v in case_verdicts(case, patient)],
            "clinical": _clinical(readout, patient),
            "perfusion": readout.perfusion is not False,
            "missing": "No Tmax map" if readout.reference_cbf is not None else "No perfusion imaging",
            "not_assessable": why_not_assessable(readout.reference_cbf),
        }
    from strokeseg.evaluation.runner import TABLE_METRICS  # the columns of every evaluation summary

    metrics = [_metric_row(r, TABLE_METRICS) for r in case.metrics]
    return {
        "case_id": case.case_id,
        "summary": summary,
        "montages": _montages(case, vols, folder, run.kind) if vols else [],
        "overlap": _overlap(case, vols, folder, run) if vols else [],
        "qc": _qc(case, vols, folder),
        "given_maps": case.perfusion is None and any(m in case.images for m in MAPS),
        "metrics": metrics,
        "warnings": case.warnings,
        "notes": [n for n in ((readout.notes if readout is not None else None) or []) if isinstance(n, str)] + (vols.notes if vols else []),
        "provenance": _provenance(case, run),
        "slices": int(vols.slices[next(iter(vols.slices))].shape[0]) if vols else 0,
    }


def fmt(v: Any, digits: int = 3) -> str:
    """A metric for a table: numbers rounded, missing values as ``—``."""
    if v is None or v == "":
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    if math.isnan(f):
        return "—"
    return "∞" if math.isinf(f) else f"{f:.{digits}f}"


__all__ = ["case_context", "case_verdicts", "core_definition", "fmt"]
