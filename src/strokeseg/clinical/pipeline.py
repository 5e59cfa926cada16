"""The threshold read-out for one case: find or compute the maps, threshold, read out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import ndimage

from strokeseg.clinical.config import ThresholdConfig
from strokeseg.clinical.plausibility import plausibility_warnings
from strokeseg.clinical.readout import Readout, compute_readout, with_implausible
from strokeseg.clinical.thresholds import ThresholdResult, TissueMasks, threshold_cbf_only, threshold_diffusion, threshold_perfusion
from strokeseg.clinical.units import OWN_MAPS, PLAUSIBLE_REFERENCE_CBF, adc_to_micro, tmax_to_seconds
from strokeseg.diagnostics import DataWarning, warn, warnings_of
from strokeseg.errors import InputError
from strokeseg.io.case import Case
from strokeseg.io.geometry import Geometry
from strokeseg.perfusion.config import PerfusionConfig


@dataclass
class CaseReadout:
    """One case's threshold read-out: labels and masks, the read-out numbers, which maps were used, notes and warnings."""

    case_id: str
    result: ThresholdResult
    readout: Readout
    source: str  # which maps were used
    geometry: Geometry  # the grid of the labels
    notes: list[str] = field(default_factory=list)
    perfusion: Any = None  # the PerfusionResult when the maps were computed here from the 4D series

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
    """The warnings a reader wants before trusting a perfusion read-out (the size and place of the
    lesion are checked for every read-out by :mod:`strokeseg.clinical.plausibility`)."""
    out = []
    tissue_ml = float(result.tissue.sum() * voxel_ml)
    if tissue_ml < 10.0:
        out.append(
            warn(
                "little-valid-tissue",
                f"only {tissue_ml:.1f} ml of valid tissue in the maps (even a 5 mm slab of brain holds about "
                "50 ml); check the maps' coverage and background values",
            )
        )
    lo, hi = PLAUSIBLE_REFERENCE_CBF
    ref = result.reference_cbf
    if ref is not None and not lo <= ref <= hi:
        if source == "given maps":
            scale = " (given maps: the CBF map is probably on a vendor scale; rCBF and the core are scale-free)"
        elif ref < lo:  # strokeseg's own maps are in ml/100 g/min: a low reference is its absolute CBF reading low
            scale = (
                " (strokeseg's own maps: its absolute CBF reads low where the bolus is dispersed or the AIF is too high, "
                "docs/explanation/perfusion-default.md; rCBF and the core are scale-free)"
            )
        else:
            scale = " (strokeseg's own maps: the AIF is probably too low, e.g. partial volume; rCBF and the core are scale-free)"
        out.append(
            warn("reference-cbf-implausible", f"reference CBF {ref:.3g} is outside the {lo:g}–{hi:g} ml/100 g/min of healthy tissue{scale}")
        )
    return out


@dataclass
class _Inputs:
    """What a read-out is computed from, gathered step by step."""

    maps: dict[str, np.ndarray]
    brain: np.ndarray | None
    csf: np.ndarray | None = None
    adc: np.ndarray | None = None
    adc_brain: np.ndarray | None = None  # the brain of the DWI/ADC when no mask came with the case
    source: str = "given maps"
    notes: list[str] = field(default_factory=list)
    computed: Any = None  # the PerfusionResult of maps computed from the series


def _maps_from_series(case: Case, inp: _Inputs, cfg: ThresholdConfig, perfusion: PerfusionConfig | None, modality: str | None) -> None:
    """Compute the maps from the case's 4D series (the brain mask and, for CT, the CSF of its baseline come too)."""
    from strokeseg.perfusion.run import case_series, maps_for_series

    name, series = case_series(case)
    res = maps_for_series(series, perfusion or PerfusionConfig(), name=name, modality=modality, brain_mask=inp.brain, show_progress=False)
    inp.maps = {m: res.maps[m] for m in ("CBF", "CBV", "Tmax")}
    inp.brain, inp.computed = res.brain_mask, res
    inp.source = f"{OWN_MAPS} {name} ({res.info['method']})"
    inp.notes += res.warnings
    if res.info["modality"] == "ct":
        lo, hi = res.info["baseline_frames"]
        inp.csf = series.data[..., lo:hi].mean(axis=3) < cfg.csf_hu


def _read_adc(case: Case, inp: _Inputs) -> None:
    """The ADC in ×10⁻⁶ mm²/s, its unit found from the brain's median; without a given mask the brain
    is found on the DWI and ADC (:func:`~strokeseg.masks.brain.diffusion_brain_mask`: skull-stripped or not)."""
    from strokeseg.masks.brain import diffusion_brain_mask

    adc = case.images["ADC"]
    brain = inp.brain
    if brain is None:
        if "DWI" in case.images:
            brain = diffusion_brain_mask(case.images["DWI"], adc, case.geometry.spacing)
            inp.notes.append(f"brain mask: {brain.sum() * case.geometry.voxel_volume_ml:.0f} ml, found on the DWI and ADC")
        else:
            brain = ndimage.binary_fill_holes(np.isfinite(adc) & (adc > 0))
        inp.adc_brain = brain
    inp.adc, unit = adc_to_micro(adc, brain)
    inp.notes.append(f"ADC read in {unit}")


def _valid_brain(case: Case, inp: _Inputs) -> np.ndarray:
    """Where every given map is valid (vendor sentinels, NaN and impossible values excluded), with a note."""
    from strokeseg.masks.brain import valid_map_mask

    given: dict[str, np.ndarray] = {m: case.images[m] for m in ("CBF", "CBV", "MTT", "Tmax", "TTP") if m in case.images}
    brain, dropped = valid_map_mask(given or inp.maps)
    bad = "; invalid per map: " + ", ".join(f"{k} {v}" for k, v in dropped.items() if v) if any(dropped.values()) else ""
    inp.notes.append(
        f"brain mask: the {int(brain.sum())} voxels ({brain.sum() * case.geometry.voxel_volume_ml:.0f} ml) "
        "where every map is valid (finite, not the background sentinel, CBF > 0, CBV, MTT and Tmax ≥ 0)" + bad
    )
    return brain


def _perfusion_result(case: Case, inp: _Inputs, cfg: ThresholdConfig) -> ThresholdResult:
    brain = inp.brain if inp.brain is not None else _valid_brain(case, inp)
    csf = inp.csf
    if csf is None:
        if inp.adc is not None:
            csf = inp.adc > cfg.csf_adc
        elif "CT" in case.images:
            csf = case.images["CT"] < cfg.csf_hu
    tmax, tmax_unit = tmax_to_seconds(inp.maps["Tmax"], brain)
    if tmax_unit != "s":
        inp.notes.append(f"Tmax read in {tmax_unit} (valid-tissue median above 100) and converted to s")
    diffusion = None
    if inp.adc is not None:
        diffusion = threshold_diffusion(
            inp.adc, case.geometry, inp.adc_brain if inp.adc_brain is not None else brain, cfg, dwi=case.images.get("DWI")
        )
        inp.source += " + DWI/ADC core" if "DWI" in case.images else " + ADC core"
    masks = TissueMasks(brain, cbv=inp.maps.get("CBV"), csf=csf, adc_core=None if diffusion is None else diffusion.core)
    result = threshold_perfusion(inp.maps["CBF"], tmax, case.geometry, masks, cfg)
    if diffusion is not None:
        result.rdwi = diffusion.rdwi
        result.warnings += diffusion.warnings
    return result


def _cbf_only_result(case: Case, inp: _Inputs, cfg: ThresholdConfig) -> ThresholdResult:
    brain = inp.brain if inp.brain is not None else _valid_brain(case, inp)
    csf = inp.csf if inp.csf is not None else (case.images["CT"] < cfg.csf_hu if "CT" in case.images else None)
    return threshold_cbf_only(inp.maps["CBF"], case.geometry, TissueMasks(brain, cbv=inp.maps.get("CBV"), csf=csf), cfg)


def threshold_case(
    case: Case, cfg: ThresholdConfig | None = None, perfusion: PerfusionConfig | None = None, modality: str | None = None
) -> CaseReadout:
    """Core/penumbra for a case from its perfusion maps (computed from its 4D series when absent) or ADC.

    Maps computed here use the package's one perfusion default (:class:`PerfusionConfig`) unless
    ``perfusion`` is given; ``modality`` (``ct``/``mr``) overrides what the series' values suggest.
    Without perfusion imaging only the core is read out; the rest is not assessable.
    """
    cfg = cfg or ThresholdConfig()
    inp = _Inputs(
        {m: case.images[m] for m in ("CBF", "CBV", "Tmax") if m in case.images}, case.brain_mask, notes=list(case.notes)
    )  # what loading did: NaN/Inf clean-up, resampling
    if ("CBF" not in inp.maps or "Tmax" not in inp.maps) and case.series:
        _maps_from_series(case, inp, cfg, perfusion, modality)
    if "ADC" in case.images:
        _read_adc(case, inp)
    if "CBF" in inp.maps and "Tmax" in inp.maps:
        result = _perfusion_result(case, inp, cfg)
        inp.notes += perfusion_qc(result, case.geometry.voxel_volume_ml, inp.source)
        perfusion_used = True
    elif inp.adc is not None:
        brain = inp.brain if inp.brain is not None else inp.adc_brain
        assert brain is not None
        result = threshold_diffusion(inp.adc, case.geometry, brain, cfg, dwi=case.images.get("DWI"))
        inp.source, perfusion_used = f"{'DWI/ADC' if 'DWI' in case.images else 'ADC'} (no perfusion: core only)", False
        inp.notes.append("no perfusion imaging: Tmax, penumbra, mismatch, HIR, DEFUSE-3 and EXTEND are not assessable")
    elif "CBF" in inp.maps:
        result = _cbf_only_result(case, inp, cfg)
        inp.notes += perfusion_qc(result, case.geometry.voxel_volume_ml, inp.source)
        inp.source, perfusion_used = f"{inp.source}: CBF without Tmax (core only)", False
        inp.notes.append(
            "no Tmax map and no 4D series: the core is rCBF < 30 % of the better-perfused hemisphere; "
            "Tmax, penumbra, mismatch, HIR, DEFUSE-3 and EXTEND are not assessable (no Tmax)"
        )
    else:
        raise InputError(f"case {case.case_id}: no CBF map, no 4D series and no ADC to threshold")
    readout = compute_readout(
        result.core, result.hypoperfused, result.severe, case.geometry, cfg, result.reference_cbf, perfusion=perfusion_used
    )
    brain = inp.brain if inp.brain is not None else inp.adc_brain
    guard = plausibility_warnings(
        result.core,
        brain if brain is not None else result.tissue,
        case.geometry,
        hypoperfused=result.hypoperfused if perfusion_used else None,
        rdwi=result.rdwi,
    )
    inp.notes += guard
    readout = with_implausible(readout, [w.message for w in guard])
    return CaseReadout(case.case_id, result, readout, inp.source, case.geometry, inp.notes, inp.computed)
