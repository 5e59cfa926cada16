"""The preprocessing stage's configuration: which images become channels, and how."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from strokeseg.io.labels import Target


class BrainMask(StrEnum):
    """Where a case's brain mask comes from."""

    MAPS = "maps"  # non-zero sum of the perfusion maps (MRI: an intensity threshold)
    MIP = "mip"  # the CT brain mask of the CTP maximum-intensity projection


class Normalization(StrEnum):
    """Whose statistics whiten a channel."""

    DATASET = "dataset"  # the training cases' statistics, stored in the bundle
    CASE = "case"  # each case's own
    NONE = "none"  # the raw values (masked to the brain); the training statistics are still kept for the input guard


class SymmetryTransform(StrEnum):
    """How the mirrored reference modality is registered back onto the original."""

    RIGID = "rigid"  # rotation and translation (SimpleITK Euler2D in-plane for slabs, Euler3D otherwise)
    AFFINE = "affine"  # also scaling and shear, as FSL FLIRT in the Clèrigues papers (in-plane for slabs)


@dataclass(frozen=True)
class PrepareConfig:
    """How a loaded case becomes network input (:func:`strokeseg.preprocessing.prepare.prepare_case`).

    Attributes:
        name: the owning recipe's name, for messages.
        modalities: input modalities in channel order; empty: every modality the case has.
        target: what the label is turned into (:class:`Target`).
        symmetric: append a left–right registered mirror of every modality as extra channels.
        reference: modality driving the symmetric registration.
        symmetric_transform: :class:`SymmetryTransform` of that registration.
        skull_strip: modalities multiplied by the brain mask.
        brain_mask: :class:`BrainMask`.
        normalization: :class:`Normalization`.
        intensity_clip: brain-voxel percentiles each channel is clipped to before whitening, or None.
        clinical_inputs: scalar inputs added as constant channels (``["NIHSS"]``).
        nihss_impute: NIHSS used where a case has none; None makes a missing score an error.
    """

    name: str = "custom"
    modalities: tuple[str, ...] = ()
    target: Target = Target.CORE
    symmetric: bool = True
    reference: str = "CT"
    skull_strip: tuple[str, ...] = ()
    brain_mask: BrainMask = BrainMask.MAPS
    normalization: Normalization = Normalization.DATASET
    intensity_clip: tuple[float, float] | None = field(default=(0.5, 99.5))
    clinical_inputs: tuple[str, ...] = ()
    nihss_impute: float | None = None
    symmetric_transform: SymmetryTransform = SymmetryTransform.RIGID
