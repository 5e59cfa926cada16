"""The sampling stage's configuration: which training samples are drawn and how they are augmented."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class SamplingMode(StrEnum):
    """How training samples are drawn."""

    PATCHES = "patches"  # balanced patch sampling around lesion and brain voxels
    SLICES = "slices"  # whole slices (or slabs) of the patch size


class AugmentTarget(StrEnum):
    """Which lesion samples are augmented."""

    REPEATS = "repeats"  # only lesion centres that had to be repeated
    LESION = "lesion"  # every lesion-centred sample
    ALL = "all"  # every sample


@dataclass(frozen=True)
class SamplingConfig:
    """Training samples per case (the recipe's ``sampling:`` block).

    ``patch_size`` is ``(Z, Y, X)`` voxels (Z = 1 for 2D recipes); ``offset`` shifts lesion
    centres randomly by up to half a patch along ``offset_axes``.
    """

    patch_size: list[int] = field(default_factory=lambda: [1, 64, 64])
    patches_per_case: int = 4000
    lesion_fraction: float = 0.5
    offset: bool = True
    offset_axes: list[int] = field(default_factory=lambda: [1, 2])
    augment_repeats: bool = True
    mode: SamplingMode = SamplingMode.PATCHES


@dataclass(frozen=True)
class AugmentConfig:
    """Batch augmentation (the recipe's ``augmentation:`` block).

    ``elastic``: ``{"alpha": 2.5, "sigma": 0.12}`` (fractions of the patch size); ``affine``:
    ``{"rotate_deg": 10, "translate": 0.1, "scale": [0.9, 1.1], "flip": true}``; ``rot90``:
    random 90/180/270° in-plane rotations.
    """

    elastic: dict[str, float] | None = None
    sagittal_flip: bool = False
    rot90: bool = False
    apply_to: AugmentTarget = AugmentTarget.REPEATS
    affine: dict[str, Any] | None = None


@dataclass(frozen=True)
class SamplingPlan:
    """What the training sample set needs: sampling, augmentation, and the lesion-class loss weight
    of cases by group (``{"non-LVO": 2.0}``; 1 for any other group)."""

    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    augmentation: AugmentConfig = field(default_factory=AugmentConfig)
    group_penalty: dict[str, float] = field(default_factory=dict)
