"""The threshold read-out for one case: find or compute the maps, threshold, read out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from strokeseg.clinical.config import ThresholdConfig
from strokeseg.clinical.readout import Readout, compute_readout
from strokeseg.clinical.thresholds import ThresholdResult, threshold_diffusion, threshold_perfusion
from strokeseg.clinical.units import adc_to_micro
from strokeseg.errors import InputError
from strokeseg.io.case import Case
from strokeseg.perfusion.config import Method, PerfusionConfig


@dataclass
class CaseReadout:
    case_id: str
    result: ThresholdResult
    readout: Readout
    source: str  # which maps were used
    notes: list[str] = field(default_factory=list)

    def to_dict(self, cfg: ThresholdConfig) -> dict[str, Any]:
        return {"case_id": self.case_id, "maps": self.source, **self.readout.to_dict(), "thresholds": cfg.to_dict(),
                "notes": self.notes + self.result.warnings}


def threshold_case(case: Case, cfg: ThresholdConfig | None = None, perfusion: PerfusionConfig | None = None,
                   show_progress: bool = False) -> CaseReadout:
    """Core/penumbra for a case from its perfusion maps (computed from its 4D series when absent) or ADC.

    Maps computed here use block-circulant Tikhonov (L-curve) by default: on the phantom cohort it
    gives the best core and hypoperfused Dice of the five methods (benchmarks/bench_threshold_cohort.py).
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
        res = maps_for_series(series, perfusion or PerfusionConfig(method=Method.TIKHONOV_LCURVE), name=name, brain_mask=brain, show_progress=show_progress)
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
            brain = (sum(np.abs(maps[m]) for m in maps) > 0) & np.isfinite(maps["CBF"])
            notes.append("brain mask: non-zero voxels of the perfusion maps")
        if csf is None:
            if adc is not None:
                csf = adc > cfg.csf_adc
            elif "CT" in case.images:
                csf = case.images["CT"] < cfg.csf_hu
        adc_core = (adc < cfg.adc_core) & (adc > 0) if adc is not None else None
        if adc_core is not None:
            source += " + ADC core"
        result = threshold_perfusion(maps["CBF"], maps["Tmax"], case.geometry, brain, cfg, cbv=maps.get("CBV"), csf=csf, adc_core=adc_core)
    elif adc is not None:
        if brain is None:
            brain = adc > 0
        dwi = case.images.get("DWI")
        result = threshold_diffusion(adc, case.geometry, brain, cfg, dwi=dwi)
        source = "ADC (no perfusion: core only)"
    else:
        raise InputError(f"case {case.case_id}: no CBF+Tmax maps, no 4D series and no ADC to threshold")
    perfusion_used = not source.startswith("ADC (no perfusion")
    if not perfusion_used:
        notes.append("no perfusion imaging: Tmax, penumbra, mismatch, HIR, DEFUSE-3 and EXTEND are not assessable")
    readout = compute_readout(result.core, result.hypoperfused, result.severe, case.geometry, cfg, result.reference_cbf,
                              perfusion=perfusion_used)
    return CaseReadout(case.case_id, result, readout, source, notes)
