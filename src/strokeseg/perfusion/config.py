"""Perfusion analysis settings: one frozen dataclass, string options as StrEnums checked here."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any

from strokeseg.errors import ConfigError
from strokeseg.kinetics.constants import HEMATOCRIT_FACTOR, MR_SKIP_FRAMES, TISSUE_DENSITY


class Method(StrEnum):
    """Deconvolution method."""

    SSVD = "ssvd"  # standard truncated SVD, lower-triangular Toeplitz (delay-sensitive)
    CSVD = "csvd"  # block-circulant truncated SVD (Wu 2003), fixed threshold
    OSVD = "osvd"  # block-circulant with the per-voxel oscillation-index threshold (Wu 2003)
    TIKHONOV_GCV = "tikhonov-gcv"  # block-circulant Tikhonov, λ per voxel by generalised cross-validation
    TIKHONOV_LCURVE = "tikhonov-lcurve"  # block-circulant Tikhonov, λ per voxel at the L-curve corner
    PARAMETRIC = "parametric"  # least-squares fit of F·(C_a ⊗ exp(−t/m))(t − d) over an MTT × delay dictionary


class TmaxEstimator(StrEnum):
    """Where on the deconvolved residue Tmax is read.

    ``edge``: the sub-sample time at which the residue's leading edge reaches ``tmax_edge_fraction``
    (0.9) of its maximum; ``peak`` (default, the definition the clinical Tmax thresholds were set with):
    the vertex of the parabola through the maximum and its neighbours; ``onset``: the peak time less the delay
    that the voxel's own regularisation filter gives the peak of a sharp-onset reference residue of the same
    apparent MTT (:func:`strokeseg.perfusion.bias.onset_table`), i.e. the onset of an undispersed residue.
    ``onset`` removes the peak's late reading on an undispersed bolus and reads early where the bolus is
    dispersed, as in tissue (``benchmarks/bench_tmax_by_flow.py``, ``benchmarks/bench_perfusion_calibration.py``).
    """

    EDGE = "edge"
    PEAK = "peak"
    ONSET = "onset"


#: CT: brain voxels darker than this at baseline (HU) are CSF (or water); the read-out and the perfusion smoothing
#: share it (CSF is near 0–15 HU, white matter above 20)
CSF_HU = 20.0


class Modality(StrEnum):
    """The imaging modality of a perfusion series."""

    CT = "ct"  # signal in HU; concentration = HU − baseline
    MR = "mr"  # DSC signal; concentration = ΔR2* = −ln(S/S0)/TE


class Convolution(StrEnum):
    """How the data were formed, for the parametric fit: point samples of a continuous convolution (scanners, the
    phantom) or the discrete sum of simulation reference objects (OSIPI's DSC DRO)."""

    CONTINUOUS = "continuous"
    DISCRETE = "discrete"


class CbvEstimator(StrEnum):
    """How CBV is computed.

    ``auc``: (kH/ρ)·∫C_tissue/∫C_AIF — exact for sampled continuous curves (real scanners,
    the strokeseg phantom). ``residue``: (kH/ρ)·trapezoid area of the deconvolved residue —
    exact for data generated with the discrete convolution sum C[n] = Δt·CBF·Σ C_a[m]R[n−m]
    (the forward model of simulation DROs such as OSIPI's DSC reference object).
    """

    AUC = "auc"
    RESIDUE = "residue"


def _default_osvd_thresholds() -> tuple[float, ...]:
    return tuple(round(0.05 * i, 2) for i in range(1, 20))  # 5 %, 10 %, ..., 95 %


@dataclass(frozen=True)
class PerfusionConfig:
    """Settings of :func:`strokeseg.perfusion.maps.compute_maps`.

    Attributes:
        method: deconvolution method; the default, block-circulant Tikhonov with λ per voxel at the
            L-curve corner, is the one default of both ``strokeseg perfusion`` and ``strokeseg threshold``,
            chosen by measurement over the grid phantom, the OSIPI DRO and the threshold cohort
            (docs/explanation/perfusion-default.md).
        ssvd_threshold, csvd_threshold: relative singular-value truncation (0.2 and 0.1 by default).
        osvd_oi: oscillation-index target of oSVD (0.035); thresholds tried in ``osvd_thresholds``.
        density: brain tissue density ρ in g/ml (1.04).
        hematocrit_factor: kH = (1 − Hct_large)/(1 − Hct_small) (0.73).
        echo_time: DSC-MRI echo time TE in s (0.03).
        relaxivity_ratio: DSC-MRI ΔR2* per unit concentration in tissue relative to arterial blood
            (1 = the usual assumption of equal relaxivity; absolute DSC CBF/CBV scale with it).
        temporal_sigma: Gaussian temporal smoothing of the curves, s (0 = off).
        spatial_fwhm_mm: in-plane Gaussian smoothing of the concentration inside the brain, FWHM in mm
            (3 by default, 0 = off).
        smoothing_csf_hu: CT: brain voxels whose pre-contrast baseline is below this (HU; :data:`CSF_HU`, the
            read-out's CSF threshold too) are CSF or water. The in-plane smoothing leaves them out, so that they do
            not lower the cortex beside them; they keep their own, unsmoothed curve. None: smooth every brain
            voxel. Mixing CSF into the 3 mm smoothing read the head phantoms' grey-matter CBV and CBF low
            (``benchmarks/bench_perfusion_calibration.py``, head-phantom table). MR has no HU scale and smooths
            every brain voxel.
        baseline_frames: number of pre-bolus frames; None detects the bolus arrival.
        skip_frames: frames dropped at the start of the baseline (MR steady-state: 2).
        parametric_convolution: how the data were formed, for ``method="parametric"``: ``continuous`` (scanners,
            the phantom) or ``discrete`` (the discrete-sum forward model of simulation DROs such as OSIPI's).
        cbv_estimator: see :class:`CbvEstimator`.
        tmax_estimator, tmax_edge_fraction: see :class:`TmaxEstimator`.
        vof_correction: scale the AIF so its area equals the venous output function's (partial volume);
            None (the default) turns it on for CT and off for MR. Thin CT slabs often hold only small,
            partial-volume arteries, whose too-low AIF inflates CBF and CBV by the same factor; on the
            20-case CT-2D phantom cohort the AIF peak came within 15 % of the true arterial peak in 17
            cases with it and in 9 without (``benchmarks/bench_aif_cohort.py``). For DSC-MRI the
            signal of the large veins is too non-linear in concentration for an area match.
        peak_correction: divide each voxel's residue peak by the fraction of it that its own regularisation
            filter removes from a box residue of the same apparent MTT (:mod:`strokeseg.perfusion.bias`), so
            that the absolute CBF is not read low; the box loses the least peak of the monotone residues, so
            this is the smallest correction any residue shape needs, and it is capped at 1.3×. On by default: it
            brings the grid phantom's grey-matter CBF within ±20 % of the truth (benchmarks/bench_perfusion_calibration.py).
            It changes CBF (and so MTT = CBV/CBF), never Tmax or CBV; the parametric fit has no filter to undo.
        aif_voxels: how many voxels the AIF is averaged over (Mouridsen's final cluster is capped here).
        chunk_voxels: voxels deconvolved per batch (memory/speed trade-off).
    """

    modality: Modality = Modality.CT
    method: Method = Method.TIKHONOV_LCURVE
    ssvd_threshold: float = 0.2
    csvd_threshold: float = 0.1
    osvd_oi: float = 0.035
    osvd_thresholds: tuple[float, ...] = field(default_factory=_default_osvd_thresholds)
    density: float = TISSUE_DENSITY
    hematocrit_factor: float = HEMATOCRIT_FACTOR
    echo_time: float = 0.03
    relaxivity_ratio: float = 1.0
    temporal_sigma: float = 0.0
    spatial_fwhm_mm: float = 3.0
    smoothing_csf_hu: float | None = CSF_HU
    baseline_frames: int | None = None
    skip_frames: int = 0
    parametric_convolution: Convolution = Convolution.CONTINUOUS
    cbv_estimator: CbvEstimator = CbvEstimator.AUC
    tmax_estimator: TmaxEstimator = TmaxEstimator.PEAK
    tmax_edge_fraction: float = 0.9
    vof_correction: bool | None = None
    aif_voxels: int = 20
    chunk_voxels: int = 4096
    motion_correction: bool = True
    peak_correction: bool = True
    max_motion_mm: float = 10.0

    def __post_init__(self) -> None:
        enums = (
            ("modality", Modality),
            ("method", Method),
            ("cbv_estimator", CbvEstimator),
            ("tmax_estimator", TmaxEstimator),
            ("parametric_convolution", Convolution),
        )
        for name, enum in enums:
            value = getattr(self, name)
            try:
                object.__setattr__(self, name, enum(value))
            except ValueError:
                raise ConfigError(f"{name} must be one of {', '.join(e.value for e in enum)}, got {value!r}") from None
        for name in ("ssvd_threshold", "csvd_threshold"):
            if not 0 < getattr(self, name) < 1:
                raise ConfigError(f"{name} must lie in (0, 1)")
        if min(self.density, self.hematocrit_factor, self.echo_time, self.relaxivity_ratio) <= 0:
            raise ConfigError("density, hematocrit_factor, echo_time and relaxivity_ratio must be positive")
        if not self.max_motion_mm > 0:
            raise ConfigError("max_motion_mm must be positive")
        if not 0.5 <= self.tmax_edge_fraction < 1.0:
            raise ConfigError("tmax_edge_fraction must lie in [0.5, 1)")
        if not self.osvd_thresholds or any(not 0 < t < 1 for t in self.osvd_thresholds):
            raise ConfigError("osvd_thresholds must be fractions in (0, 1)")
        object.__setattr__(self, "osvd_thresholds", tuple(sorted(float(t) for t in self.osvd_thresholds)))

    @property
    def vof_enabled(self) -> bool:
        """Whether the AIF is VOF-scaled: ``vof_correction`` when given, else on for CT only (kept unresolved so
        that a config switched to another modality, as :func:`~strokeseg.perfusion.run.maps_for_series` does, follows it)."""
        return self.modality is Modality.CT if self.vof_correction is None else bool(self.vof_correction)

    @property
    def scale(self) -> float:
        """kH/ρ (÷ relaxivity ratio for MR): converts the AIF-relative volume fraction into ml/g."""
        ratio = self.relaxivity_ratio if self.modality is Modality.MR else 1.0
        return self.hematocrit_factor / self.density / ratio

    def with_(self, **changes: Any) -> PerfusionConfig:
        """A copy with ``changes`` applied (validated again)."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k, v in d.items():
            if isinstance(v, StrEnum):
                d[k] = v.value
        d["osvd_thresholds"] = list(self.osvd_thresholds)
        d["vof_correction"] = self.vof_enabled
        return d

    @classmethod
    def for_modality(cls, modality: Modality | str, **kw: Any) -> PerfusionConfig:
        """Defaults that suit the modality (MR drops the 2 first frames of its baseline)."""
        mod = Modality(modality)
        defaults: dict[str, Any] = {"modality": mod}
        if mod is Modality.MR:
            defaults["skip_frames"] = MR_SKIP_FRAMES
        defaults.update(kw)
        return cls(**defaults)
