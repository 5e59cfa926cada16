"""The input and export modes a command offers, as StrEnums in a module free of NumPy (the CLI's choices come
from here without making ``--help`` slow)."""

from __future__ import annotations

from enum import StrEnum


class NonFinitePolicy(StrEnum):
    """What to do with NaN/Inf voxels: refuse the file (default) or set them to 0 and say so."""

    ERROR = "error"
    ZERO = "zero"


class ExportTarget(StrEnum):
    """What an exported dataset (``strokeseg export nnunet``, ``nnunet-baseline``) teaches: the core, any lesion
    (the hypoperfused region), or core and penumbra as nnU-Net regions."""

    CORE = "core"
    LESION = "lesion"
    REGIONS = "regions"


__all__ = ["ExportTarget", "NonFinitePolicy"]
