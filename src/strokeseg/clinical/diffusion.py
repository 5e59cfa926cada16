"""The MRI core from DWI and ADC together.

ADC < 620×10⁻⁶ mm²/s alone (Purushotham 2015, the RAPID threshold) marks healthy white
matter as core on real ISLES'22 scans (noise and partial volume put the white-matter ADC
tail below the threshold), and misses subacute lesions whose ADC has pseudo-normalised. Infarcted
tissue is also DWI-hyperintense against the patient's own healthy tissue; healthy tissue with a
low ADC is not. So the core is

    tissue ∧ DWI/DWI_twin > dwi_asymmetry
           ∧ [(ADC < adc_core ∧ rDWI > dwi_ratio) ∨ (rDWI > dwi_subacute_ratio ∧ rADC < subacute_adc_ratio)]

with connected components (26-neighbourhood) of at least ``diffusion_min_ml`` kept. rDWI is the
DWI, corrected for the coil's bias field (N4, Tustison 2010) and smoothed by ``dwi_smoothing_mm``
(noise), over the median of the healthy tissue in its own slab (``dwi_reference_mm`` either side:
DWI brightness drifts along z, and the posterior fossa is brighter than the cerebrum); rADC is over
the whole brain's median. DWI_twin is the DWI mirrored across the mid-sagittal line, taken as the
brightest voxel of the other hemisphere within ``dwi_asymmetry_mm`` of the mirror point: on the real
cases the false core lay in the cerebellum and at the skull base's susceptibility artefacts, both
bilateral and alike on both sides (though not voxel for voxel), which an infarct rarely is. The second term is the subacute
lesion: still bright on DWI while its ADC is back to normal, but never the T2 shine-through of
oedema or old damage, whose ADC is raised. Tissue is the brain (:func:`diffusion_brain_mask`)
eroded by ``diffusion_edge_mm`` (the brain's rim, where partial volume with CSF and the skull
lowers the ADC) without CSF (ADC ≥ ``csf_adc``, dilated by ``csf_margin_voxels``).

The constants come from the literature (620, 1600, N4) and from leave-one-out over the three
real ISLES'22 cases in ``../shared`` (``benchmarks/bench_mri_core_real.py``, which measures the
choice and writes ``docs/results/mri_core_real.{json,md}``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from strokeseg.clinical.config import ThresholdConfig
from strokeseg.clinical.hemispheres import inplane_disk, lateral_coordinate, mirrored
from strokeseg.io.geometry import Geometry
from strokeseg.masks.brain import ellipsoid


@dataclass(frozen=True)
class DiffusionInputs:
    """What the diffusion core is computed from, all ``(Z, Y, X)`` on one grid.

    Attributes:
        adc: ADC in ×10⁻⁶ mm²/s.
        dwi: DWI (b ≈ 1000, any scale), bias-corrected when asked.
        brain: boolean brain mask.
        bias_corrected: whether N4 ran.
    """

    adc: np.ndarray
    dwi: np.ndarray
    brain: np.ndarray
    bias_corrected: bool


def n4_bias_corrected(dwi: np.ndarray, brain: np.ndarray, iterations: int = 20) -> np.ndarray:
    """``dwi`` divided by its N4 bias field estimated inside ``brain`` (SimpleITK), on a grid
    shrunk to at most about 64 voxels per axis; one thread, so the result never depends on free cores."""
    import SimpleITK as sitk

    img = sitk.GetImageFromArray(np.ascontiguousarray(dwi, dtype=np.float32))
    mask = sitk.GetImageFromArray(brain.astype(np.uint8))
    shrink = [max(1, int(np.ceil(n / 64))) for n in dwi.shape[::-1]]
    f = sitk.N4BiasFieldCorrectionImageFilter()
    f.SetMaximumNumberOfIterations([iterations, iterations])
    f.SetNumberOfThreads(1)
    f.Execute(sitk.Shrink(img, shrink), sitk.Shrink(mask, shrink))
    log_bias = sitk.GetArrayFromImage(f.GetLogBiasFieldAsImage(img))
    result: np.ndarray = (dwi / np.exp(log_bias)).astype(np.float32)
    return result


def prepare_diffusion(dwi: np.ndarray, adc_micro: np.ndarray, brain: np.ndarray, bias_correction: bool = True) -> DiffusionInputs:
    """The inputs of :func:`diffusion_core`: the DWI bias-corrected inside ``brain`` (when asked and possible)."""
    dwi = np.nan_to_num(dwi.astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    adc = np.nan_to_num(adc_micro.astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    corrected = bool(bias_correction and brain.sum() >= 1000 and min(dwi.shape) >= 4)
    if corrected:
        dwi = n4_bias_corrected(dwi, brain)
    return DiffusionInputs(adc, dwi, brain.astype(bool), corrected)


def diffusion_tissue(inp: DiffusionInputs, geometry: Geometry, cfg: ThresholdConfig) -> np.ndarray:
    """The brain eroded by ``diffusion_edge_mm``, CSF (ADC ≥ ``csf_adc``, dilated by ``csf_margin_voxels``) excluded."""
    tissue = inp.brain
    if cfg.diffusion_edge_mm > 0:
        tissue = ndimage.binary_erosion(tissue, structure=ellipsoid(cfg.diffusion_edge_mm, geometry.spacing))
    csf = inp.brain & (inp.adc >= cfg.csf_adc)
    if cfg.csf_margin_voxels > 0:
        csf = ndimage.binary_dilation(csf, structure=np.ones((3, 3, 3), bool), iterations=cfg.csf_margin_voxels)
    result: np.ndarray = tissue & ~csf
    return result


@dataclass(frozen=True)
class DiffusionCore:
    """The diffusion core and the numbers behind it.

    Attributes:
        core: boolean ``(Z, Y, X)``.
        tissue: where the core may lie.
        rdwi: DWI over the healthy median (after bias correction and smoothing), ``(Z, Y, X)``.
        dwi_reference: the healthy DWI median (the image's units).
        adc_reference: the healthy ADC median (×10⁻⁶ mm²/s).
    """

    core: np.ndarray
    tissue: np.ndarray
    rdwi: np.ndarray
    dwi_reference: float
    adc_reference: float


def diffusion_core(inp: DiffusionInputs, geometry: Geometry, cfg: ThresholdConfig | None = None) -> DiffusionCore:
    """The core from ADC and DWI together (see the module's docstring for the rule)."""
    cfg = cfg or ThresholdConfig()
    tissue = diffusion_tissue(inp, geometry, cfg)
    dwi = smoothed_dwi(inp.dwi, geometry, cfg.dwi_smoothing_mm)
    empty = np.zeros(inp.brain.shape, bool)
    if tissue.sum() < 20:
        return DiffusionCore(empty, tissue, np.zeros(dwi.shape, np.float32), float("nan"), float("nan"))
    d_ref = float(np.median(dwi[tissue]))
    a_ref = float(np.median(inp.adc[tissue]))
    ref = slab_reference(dwi, tissue, geometry, cfg.dwi_reference_mm) if cfg.dwi_reference_mm > 0 else np.full(dwi.shape[0], d_ref)
    rdwi = (dwi / np.maximum(ref, 1e-12)[:, None, None]).astype(np.float32)
    asym = asymmetry_ratio(dwi, inp.brain, geometry, d_ref, cfg.dwi_asymmetry_mm) if cfg.dwi_asymmetry > 0 else None
    return DiffusionCore(core_rule(rdwi, inp.adc, tissue, a_ref, geometry, cfg, asym), tissue, rdwi, d_ref, a_ref)


def smoothed_dwi(dwi: np.ndarray, geometry: Geometry, sigma_mm: float) -> np.ndarray:
    """The DWI ``(Z, Y, X)`` smoothed by a Gaussian of ``sigma_mm`` (itself when 0)."""
    if sigma_mm <= 0:
        return dwi
    result: np.ndarray = ndimage.gaussian_filter(dwi, [sigma_mm / s for s in geometry.spacing[::-1]])
    return result


def asymmetry_ratio(dwi: np.ndarray, brain: np.ndarray, geometry: Geometry, reference: float, radius_mm: float = 0.0) -> np.ndarray:
    """DWI over its contralateral twin's ``(Z, Y, X)`` (:func:`~strokeseg.clinical.hemispheres.mirrored`); the twin is
    floored at 1e-3 × ``reference`` (the healthy DWI median), so that a twin outside the brain gives a finite ratio.

    With ``radius_mm`` > 0 the twin is the brightest voxel of the *other* hemisphere within that in-plane radius of
    the mirror point: the mirror line (the brain mask's principal axis, no registration) is good to a few mm, and
    the bilateral brightness of the skull base is alike on both sides, not voxel for voxel. Only the other side's
    voxels count, so a lesion along the midline (the falx, the pons) is never compared with itself.
    """
    if radius_mm <= 0:
        twin = mirrored(dwi, brain, geometry)
    else:
        right = lateral_coordinate(brain, geometry) > 0  # outside the brain (0) counts as the left: no core lies there
        disk = inplane_disk(radius_mm, geometry)
        left_max = ndimage.maximum_filter(np.where(right, 0.0, dwi), footprint=disk)
        right_max = ndimage.maximum_filter(np.where(right, dwi, 0.0), footprint=disk)
        twin = np.where(right, mirrored(left_max, brain, geometry), mirrored(right_max, brain, geometry))
    result: np.ndarray = dwi / np.maximum(twin, 1e-3 * reference)
    return result


#: fewer healthy-tissue voxels than this in a slab: its median is noise, and the whole brain's is used
MIN_SLAB_VOXELS = 100


def slab_reference(dwi: np.ndarray, tissue: np.ndarray, geometry: Geometry, half_mm: float) -> np.ndarray:
    """Per axial slice ``(Z,)``: the median DWI of the tissue in the slab of slices within ``half_mm`` of it.

    DWI brightness drifts along z (slice profile, coil coverage) and the posterior fossa's tissue is brighter
    than the cerebrum's; against one whole-brain median, both read as lesion. A lesion fills a small part of
    its slab, so the slab's median is still healthy tissue."""
    k = int(half_mm // geometry.spacing[2])
    whole = float(np.median(dwi[tissue]))
    out = np.full(dwi.shape[0], whole)
    for z in range(dwi.shape[0]):  # one median per slice (not per voxel)
        lo, hi = max(0, z - k), min(dwi.shape[0], z + k + 1)
        vals = dwi[lo:hi][tissue[lo:hi]]
        if vals.size >= MIN_SLAB_VOXELS:
            out[z] = float(np.median(vals))
    return out


def candidate_core(
    rdwi: np.ndarray, adc: np.ndarray, tissue: np.ndarray, adc_reference: float, cfg: ThresholdConfig, asymmetry: np.ndarray | None = None
) -> np.ndarray:
    """The rule's voxels before the component filter, boolean ``(Z, Y, X)``: rDWI (DWI over its healthy median),
    ADC (×10⁻⁶ mm²/s), the tissue mask and the healthy ADC median; where ``cfg.dwi_asymmetry`` > 0, also DWI over
    its contralateral twin's (``asymmetry``) above it."""
    cand = (adc > 0) & (adc < cfg.adc_core) & (rdwi > cfg.dwi_ratio)
    if cfg.dwi_subacute_ratio > 0:
        cand |= (rdwi > cfg.dwi_subacute_ratio) & (adc < cfg.subacute_adc_ratio * adc_reference)
    cand &= tissue
    if cfg.dwi_asymmetry > 0 and asymmetry is not None:
        cand &= asymmetry > cfg.dwi_asymmetry  # a bilateral, mirror-symmetric brightness is anatomy or artefact
    return cand


def core_rule(
    rdwi: np.ndarray,
    adc: np.ndarray,
    tissue: np.ndarray,
    adc_reference: float,
    geometry: Geometry,
    cfg: ThresholdConfig,
    asymmetry: np.ndarray | None = None,
) -> np.ndarray:
    """:func:`candidate_core`'s voxels in connected components (26-neighbourhood) of at least ``diffusion_min_ml``."""
    cand = candidate_core(rdwi, adc, tissue, adc_reference, cfg, asymmetry)
    if not cand.any():
        return cand
    lab, _ = ndimage.label(cand, structure=np.ones((3, 3, 3), bool))
    keep = np.bincount(lab.ravel()) * geometry.voxel_volume_ml >= cfg.diffusion_min_ml
    keep[0] = False
    result: np.ndarray = keep[lab]
    return result
