"""Clinical threshold settings (RAPID-style), printed with every read-out."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from typing import Any

from strokeseg.errors import ConfigError
from strokeseg.perfusion.config import CSF_HU


class Reference(StrEnum):
    """Denominator of relative CBF."""

    CONTRALATERAL = "contralateral"  # median CBF of the healthy (Tmax < 6 s) contralateral hemisphere
    NORMAL_TMAX = "tmax"  # median CBF of all tissue with Tmax below ``reference_tmax``


@dataclass(frozen=True)
class ThresholdConfig:
    """Thresholds of the clinical read-out (all configurable from the CLI).

    Attributes:
        tmax_hypoperfused: Tmax (s) above which tissue is hypoperfused (6 s).
        tmax_severe: Tmax (s) for the severe-hypoperfusion volume in the HIR (10 s).
        rcbf_core: relative CBF below which hypoperfused tissue is core (0.30).
        reference: how relative CBF is normalised.
        reference_tmax: Tmax (s) below which tissue counts as normal for ``reference = tmax`` (4 s).
        adc_core: ADC (×10⁻⁶ mm²/s) below which tissue is core on MRI (620; Purushotham 2015).
        dwi_ratio: ... and DWI above this multiple of the healthy-tissue median (the diffusion core,
            :mod:`strokeseg.clinical.diffusion`; chosen by leave-one-out on real ISLES'22 cases).
        dwi_subacute_ratio: tissue brighter than this multiple on DWI is core also where its ADC
            has pseudo-normalised (subacute), when its ADC is below ``subacute_adc_ratio`` × the
            healthy median (0 = off).
        subacute_adc_ratio: see ``dwi_subacute_ratio``.
        diffusion_min_ml: diffusion-core components smaller than this are removed (ml).
        diffusion_edge_mm: the brain's rim of this width is never diffusion core (mm, 0 = off).
        dwi_smoothing_mm: Gaussian σ of the DWI before its ratio is taken (mm, 0 = off).
        dwi_reference_mm: the healthy DWI median of each slice is taken over the slab within this distance
            (mm; 0 = one median for the whole brain): DWI brightness drifts along z and the posterior fossa
            is brighter than the cerebrum.
        dwi_asymmetry: diffusion core also needs DWI above this multiple of its contralateral twin's (mirrored
            across the mid-sagittal line; 0 = off): bilateral symmetric brightness (susceptibility at the skull
            base, the cerebellum) is not an infarct.
        dwi_asymmetry_mm: the twin is the brightest voxel of the other hemisphere within this in-plane radius of
            the mirror point (mm; 0 = the mirror point itself): the mirror line is the brain's principal axis, good
            to a few mm, and bilateral artefacts are alike on both sides, not voxel for voxel.
        dwi_bias_correction: N4 bias-field correction of the DWI before its ratio is taken.
        csf_hu: CT voxels darker than this at baseline are CSF (:data:`~strokeseg.perfusion.config.CSF_HU`, 20 HU).
        csf_adc: MR voxels with ADC above this (×10⁻⁶ mm²/s) are CSF (1600).
        csf_margin_voxels: the diffusion core also excludes this many voxels around CSF (partial volume; 0 = only
            the CSF itself, the leave-one-out choice). On the real ISLES'22 cases a one-voxel (2 mm) margin left
            only a third to three quarters of the expert's lesion voxels where core may lie: the lesions lie
            against the cortex and the ventricles (``docs/results/mri_core_real.md``).
        vessel_rcbv: voxels whose CBV exceeds this multiple of the normal-tissue median are large
            vessels (4; relative, because absolute CBV scales with the AIF's partial volume).
        min_component_ml: connected components smaller than this are removed (0.2 ml).
        opening_mm: in-plane morphological opening radius before the component filter (mm, 0 = off).
        defuse3_*, extend_*: eligibility criteria.
    """

    tmax_hypoperfused: float = 6.0
    tmax_severe: float = 10.0
    rcbf_core: float = 0.30
    reference: Reference = Reference.CONTRALATERAL
    reference_tmax: float = 4.0
    adc_core: float = 620.0
    dwi_ratio: float = 1.1
    dwi_subacute_ratio: float = 1.5
    subacute_adc_ratio: float = 1.2
    diffusion_min_ml: float = 0.2
    diffusion_edge_mm: float = 0.0
    dwi_smoothing_mm: float = 1.2
    dwi_reference_mm: float = 10.0
    dwi_asymmetry: float = 1.02
    dwi_asymmetry_mm: float = 16.0
    dwi_bias_correction: bool = True
    csf_hu: float = CSF_HU
    csf_adc: float = 1600.0
    csf_margin_voxels: int = 0
    vessel_rcbv: float = 4.0
    min_component_ml: float = 0.2
    opening_mm: float = 1.0
    defuse3_core_ml: float = 70.0
    defuse3_ratio: float = 1.8
    defuse3_mismatch_ml: float = 15.0
    extend_core_ml: float = 70.0
    extend_ratio: float = 1.2
    extend_mismatch_ml: float = 10.0

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "reference", Reference(self.reference))
        except ValueError:
            raise ConfigError(f"reference must be one of {', '.join(r.value for r in Reference)}") from None
        if not 0 < self.rcbf_core < 1:
            raise ConfigError("rcbf_core must lie in (0, 1)")
        if self.tmax_severe <= self.tmax_hypoperfused:
            raise ConfigError("tmax_severe must exceed tmax_hypoperfused")
        if int(self.csf_margin_voxels) != self.csf_margin_voxels or self.csf_margin_voxels < 0:
            raise ConfigError("csf_margin_voxels must be a whole number ≥ 0")
        object.__setattr__(self, "csf_margin_voxels", int(self.csf_margin_voxels))

    def with_(self, **changes: Any) -> ThresholdConfig:
        """A copy with ``changes`` applied (validated again)."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["reference"] = self.reference.value
        return d
