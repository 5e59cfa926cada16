"""Threshold segmentation of core and penumbra (pure functions on maps).

CT perfusion / PWI: hypoperfused = Tmax > 6 s; core = hypoperfused ∧ rCBF < 30 %, rCBF
relative to the median CBF of the healthy contralateral hemisphere (or of tissue with
Tmax < 4 s); penumbra = hypoperfused − core. CSF and large vessels are excluded, an in-plane
opening removes speckle, and components below a minimum volume are dropped.
MRI: the core from ADC and DWI together (:mod:`strokeseg.clinical.diffusion`), hypoperfused
from Tmax when perfusion maps exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from strokeseg.clinical.config import Reference, ThresholdConfig
from strokeseg.clinical.hemispheres import contralateral_mask, inplane_disk, lateral_coordinate
from strokeseg.diagnostics import warn
from strokeseg.errors import InputError
from strokeseg.io.geometry import Geometry
from strokeseg.io.labels import CORE, PENUMBRA


@dataclass
class ThresholdResult:
    """Label map (0/1/2) and the masks behind it."""

    labels: np.ndarray
    hypoperfused: np.ndarray  # Tmax > 6 s (after clean-up), core included
    severe: np.ndarray  # Tmax > 10 s
    core: np.ndarray
    tissue: np.ndarray  # brain minus CSF and vessels
    reference_cbf: float | None = None
    warnings: list[str] = field(default_factory=list)
    rdwi: np.ndarray | None = None  # MRI: DWI over its healthy median, where the diffusion core was read


def clean_mask(mask: np.ndarray, geometry: Geometry, opening_mm: float, min_ml: float) -> np.ndarray:
    """In-plane opening, then removal of 26-connected components smaller than ``min_ml``."""
    out = mask
    if opening_mm > 0 and out.any():
        out = ndimage.binary_opening(out, structure=inplane_disk(opening_mm, geometry))
    if min_ml > 0 and out.any():
        lab, _ = ndimage.label(out, structure=np.ones((3, 3, 3), bool))
        sizes = np.bincount(lab.ravel()) * geometry.voxel_volume_ml
        keep = sizes >= min_ml
        keep[0] = False
        out = keep[lab]
    return out


def reference_cbf(
    cbf: np.ndarray, tmax: np.ndarray, tissue: np.ndarray, hypo: np.ndarray, geometry: Geometry, cfg: ThresholdConfig
) -> float:
    """Median CBF of normal tissue (the rCBF denominator)."""
    if cfg.reference is Reference.NORMAL_TMAX:
        normal = tissue & (tmax < cfg.reference_tmax)
    else:
        normal = contralateral_mask(tissue, hypo, geometry) & (tmax <= cfg.tmax_hypoperfused)
    if normal.sum() < 20:
        normal = tissue & (tmax <= cfg.tmax_hypoperfused)
    if normal.sum() < 20:
        raise InputError("no normally perfused tissue to normalise CBF against")
    return float(np.median(cbf[normal]))


@dataclass(frozen=True)
class TissueMasks:
    """Which voxels a perfusion read-out may use, all ``(Z, Y, X)`` on the maps' grid.

    Attributes:
        brain: boolean, where the maps are valid.
        cbv: CBV map (ml/100 g), used to exclude large vessels (above ``vessel_rcbv`` × the brain's median).
        csf: boolean, voxels to exclude as CSF (from baseline HU or ADC).
        adc_core: boolean, MRI only — when given, the core is this diffusion core (within the brain)
            instead of rCBF < 30 %.
    """

    brain: np.ndarray
    cbv: np.ndarray | None = None
    csf: np.ndarray | None = None
    adc_core: np.ndarray | None = None


def threshold_perfusion(
    cbf: np.ndarray, tmax: np.ndarray, geometry: Geometry, masks: TissueMasks, cfg: ThresholdConfig | None = None
) -> ThresholdResult:
    """Core/penumbra from CBF (ml/100 g/min, any scale) and Tmax (s) maps, CT perfusion or PWI."""
    cfg = cfg or ThresholdConfig()
    brain, cbv, csf, adc_core = masks.brain, masks.cbv, masks.csf, masks.adc_core
    warnings: list[str] = []
    tissue = brain.copy()
    if csf is not None:
        tissue &= ~csf
    if cbv is not None and tissue.any():
        tissue &= ~(cbv > cfg.vessel_rcbv * float(np.median(cbv[tissue])))
    hypo_raw = tissue & (tmax > cfg.tmax_hypoperfused)
    hypo = clean_mask(hypo_raw, geometry, cfg.opening_mm, cfg.min_component_ml)
    ref = reference_cbf(cbf, tmax, tissue, hypo, geometry, cfg)
    if adc_core is None:
        core_raw = hypo & (cbf < cfg.rcbf_core * ref)
    else:
        core_raw = tissue & adc_core
    core = clean_mask(core_raw, geometry, cfg.opening_mm, cfg.min_component_ml)
    if adc_core is not None:
        hypo = hypo | core  # the diffusion core is part of the lesion even where Tmax is short
    severe = clean_mask(tissue & (tmax > cfg.tmax_severe), geometry, cfg.opening_mm, cfg.min_component_ml) & hypo
    labels = np.zeros(brain.shape, np.uint8)
    labels[hypo] = PENUMBRA
    labels[core] = CORE
    return ThresholdResult(labels, hypo, severe, core, tissue, ref, warnings)


def threshold_diffusion(
    adc_micro: np.ndarray, geometry: Geometry, brain: np.ndarray, cfg: ThresholdConfig | None = None, dwi: np.ndarray | None = None
) -> ThresholdResult:
    """MRI core from ADC (×10⁻⁶ mm²/s) and DWI together (:mod:`strokeseg.clinical.diffusion`).

    Without a DWI the core is ADC < ``adc_core`` alone (components ≥ ``diffusion_min_ml``), with a
    warning: on real scans that rule also marks healthy white matter.
    """
    from strokeseg.clinical.diffusion import diffusion_core, diffusion_tissue, prepare_diffusion

    cfg = cfg or ThresholdConfig()
    warnings: list[str] = []
    if dwi is not None:
        dc = diffusion_core(prepare_diffusion(dwi, adc_micro, brain, cfg.dwi_bias_correction), geometry, cfg)
        core, tissue, rdwi = dc.core, dc.tissue, dc.rdwi
    else:
        from strokeseg.clinical.diffusion import DiffusionInputs

        tissue = diffusion_tissue(DiffusionInputs(adc_micro, adc_micro, brain.astype(bool), False), geometry, cfg)
        core = clean_mask(tissue & (adc_micro < cfg.adc_core) & (adc_micro > 0), geometry, 0.0, cfg.diffusion_min_ml)
        rdwi = None
        warnings.append(
            warn(
                "adc-only-core",
                f"no DWI: the core is ADC < {cfg.adc_core:g}×10⁻⁶ mm²/s alone, which also marks healthy white matter "
                "on real scans; read the core with the DWI",
            )
        )
    labels = np.where(core, CORE, 0).astype(np.uint8)
    empty = np.zeros_like(core)
    return ThresholdResult(labels, core.copy(), empty, core, tissue, None, warnings, rdwi)


def threshold_cbf_only(cbf: np.ndarray, geometry: Geometry, masks: TissueMasks, cfg: ThresholdConfig | None = None) -> ThresholdResult:
    """CT core from CBF alone (no Tmax: the ISLES'18 release shape): rCBF < ``rcbf_core`` of the
    median CBF of the better-perfused hemisphere (the contralateral side, found as the hemisphere
    with the higher median CBF), CSF and large vessels excluded, cleaned as the Tmax path is.
    Hypoperfusion is unknown: the penumbra and everything built on it is not assessable."""
    cfg = cfg or ThresholdConfig()
    tissue = masks.brain.copy()
    if masks.csf is not None:
        tissue &= ~masks.csf
    if masks.cbv is not None and tissue.any():
        tissue &= ~(masks.cbv > cfg.vessel_rcbv * float(np.median(masks.cbv[tissue])))
    lat = lateral_coordinate(tissue, geometry)
    sides = [tissue & (lat < 0), tissue & (lat > 0)]
    medians = [float(np.median(cbf[s])) if s.sum() >= 20 else -np.inf for s in sides]
    if max(medians) == -np.inf:
        raise InputError("no tissue in either hemisphere to normalise CBF against")
    ref = max(medians)
    core = clean_mask(tissue & (cbf < cfg.rcbf_core * ref), geometry, cfg.opening_mm, cfg.min_component_ml)
    labels = np.where(core, CORE, 0).astype(np.uint8)
    return ThresholdResult(labels, core.copy(), np.zeros_like(core), core, tissue, ref, [])
