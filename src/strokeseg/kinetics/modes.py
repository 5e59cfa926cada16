"""The residue-function choice as a StrEnum in a module free of NumPy (the phantom command offers it)."""

from __future__ import annotations

from enum import StrEnum


class Residue(StrEnum):
    """The tissue residue functions the phantom and the parametric fit use."""

    EXPONENTIAL = "exponential"
    BOX = "box"
    GAMMA = "gamma"


__all__ = ["Residue"]
