"""The threshold read-out for one case: find or compute the maps, threshold, read out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from strokeseg.clinical.config import ThresholdConfig
from strokeseg.clinical.readout import Readout, compute_readout
from strokeseg.clinical.thresholds import ThresholdResult, threshold_diffusion, threshold_perfusion
from strokeseg.clinical.units import PLAUSIBLE_REFERENCE_CBF, adc_to_micro, tmax_to_seconds
from strokeseg.diagnostics import DataWarning, warn, warnings_of
from strokeseg.errors import InputError
from strokeseg.io.case import Case
from strokeseg.io.geometry import Geometry
from strokeseg.perfusion.config import PerfusionConfig


@dataclass
class CaseReadout:
    case_id: str
    result: ThresholdResult
    readout: Readout
    source: str  # which maps were used
    notes: list[str] = field(default_factory=list)

    geometry: Geometry | None = None

    @property
    def warnings(self) -> list[DataWarning]:
        """The data warnings of loading, the maps and the read-out."""
        return warnings_of([*self.notes, *self.result.warnings])

    def to_dict(self, cfg: ThresholdConfig) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "maps": self.source,
            **self.readout.to_dict(),
            "thresholds": cfg.to_dict(),
            "notes": self.notes + self.result.warnings,
            "warnings": [w.to_dict() for w in self.warnings],
        }


def perfusion_qc(result: ThresholdResult, voxel_ml: float, source: str) -> list[DataWarning]:
    """The warnings a reader wants before trusting a perfusion read-out."""
    out = []
    tissue_ml = float(result.tissue.sum() * voxel_ml)
    hyp_ml = float(result.hypoperfused.sum() * voxel_ml)
    if tissue_ml < 10.0:
        out.append(
            warn(
                "little-valid-tissue",
                f"only {tissue_ml:.1f} ml of valid tissue in the maps (even a 5 mm slab of brain holds about "
                "50 ml); check the maps' coverage and background values",
            )
        )
    if tissue_ml > 0 and hyp_ml > 0.5 * tissue_ml:
        out.append(
            warn(
                "hypoperfusion-too-large",
                f"hypoperfused volume {hyp_ml:.0f} ml is more than half the valid tissue ({tissue_ml:.0f} ml), "
                "larger than a hemisphere: check the AIF, the Tmax map's units and its background",
            )
        )
    lo, hi = PLAUSIBLE_REFERENCE_CBF
    ref = result.reference_cbf
    if ref is not None and not lo <= ref <= hi:
        scale = (
            " (given maps: the CBF map is probably on a vendor scale; rCBF and the core are scale-free)"
            if source == "given maps"
            else ""
        )
        out.append(
            warn(
                "reference-cbf-implausible",
                f"reference CBF {ref:.3g} is outside the {lo:g}–{hi:g} ml/100 g/min of healthy tissue{scale}",
            )
        )
    return out


def threshold_case(
    case: Case,
    cfg: ThresholdConfig | None = None,
    perfusion: PerfusionConfig | None = None,
    show_progress: bool = False,
) -> CaseReadout:
    """Core/penumbra for a case from its perfusion maps (computed from its 4D series when absent) or ADC.

    Maps computed here use the package's one perfusion default (:class:`PerfusionConfig`).
    """
    cfg = cfg or ThresholdConfig()
    notes: list[str] = list(case.notes)  # what loading did: NaN/Inf clean-up, resampling
    maps: dict[str, np.ndarray] = {m: case.images[m] for m in ("CBF", "CBV", "Tmax") if m in case.images}
    brain = case.brain_mask
    csf = None
    source = "given maps"
    if ("CBF" not in maps or "Tmax" not in maps) and case.series:
        from strokeseg.perfusion.run import case_series, maps_for_series

        name, series = case_series(case)
        res = maps_for_series(
            series, perfusion or PerfusionConfig(), name=name, brain_mask=brain, show_progress=show_progress
        )
        maps = {m: res.maps[m] for m in ("CBF", "CBV", "Tmax")}
        brain = res.brain_mask
        source = f"computed from {name} ({res.info['method']})"
        notes += res.warnings
        if res.info["modality"] == "ct":
            base = series.data[..., res.info["baseline_frames"][0] : res.info["baseline_frames"][1]].mean(axis=3)
            csf = base < cfg.csf_hu
    adc = None
    if "ADC" in case.images:
        adc, unit = adc_to_micro(case.images["ADC"], brain if brain is not None else None)
        notes.append(f"ADC read in {unit}")
    if "CBF" in maps and "Tmax" in maps:
        if brain is None:
            from strokeseg.masks.brain import valid_map_mask

            given: dict[str, np.ndarray] = {
                m: case.images[m] for m in ("CBF", "CBV", "MTT", "Tmax", "TTP") if m in case.images
            }
            brain, dropped = valid_map_mask(given or maps)
            notes.append(
                f"brain mask: the {int(brain.sum())} voxels ({brain.sum() * case.geometry.voxel_volume_ml:.0f} ml) "
                "where every map is valid (finite, not the background sentinel, CBF > 0, CBV, MTT and Tmax "
                "≥ 0)"
                + (
                    "; invalid per map: " + ", ".join(f"{k} {v}" for k, v in dropped.items() if v)
                    if any(dropped.values())
                    else ""
                )
            )
        if csf is None:
            if adc is not None:
                csf = adc > cfg.csf_adc
            elif "CT" in case.images:
                csf = case.images["CT"] < cfg.csf_hu
        maps["Tmax"], tmax_unit = tmax_to_seconds(maps["Tmax"], brain)
        if tmax_unit != "s":
            notes.append(f"Tmax read in {tmax_unit} (valid-tissue median above 100) and converted to s")
        adc_core = (adc < cfg.adc_core) & (adc > 0) if adc is not None else None
        if adc_core is not None:
            source += " + ADC core"
        result = threshold_perfusion(
            maps["CBF"], maps["Tmax"], case.geometry, brain, cfg, cbv=maps.get("CBV"), csf=csf, adc_core=adc_core
        )
    elif adc is not None:
        if brain is None:
            brain = adc > 0
        dwi = case.images.get("DWI")
        result = threshold_diffusion(adc, case.geometry, brain, cfg, dwi=dwi)
        source = "ADC (no perfusion: core only)"
    else:
        raise InputError(f"case {case.case_id}: no CBF+Tmax maps, no 4D series and no ADC to threshold")
    perfusion_used = not source.startswith("ADC (no perfusion")
    if perfusion_used:
        notes += perfusion_qc(result, case.geometry.voxel_volume_ml, source)
    if not perfusion_used:
        notes.append("no perfusion imaging: Tmax, penumbra, mismatch, HIR, DEFUSE-3 and EXTEND are not assessable")
    readout = compute_readout(
        result.core,
        result.hypoperfused,
        result.severe,
        case.geometry,
        cfg,
        result.reference_cbf,
        perfusion=perfusion_used,
    )
    return CaseReadout(case.case_id, result, readout, source, notes, case.geometry)
