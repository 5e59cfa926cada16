"""The phantom's layout and residue choices, as StrEnums in a module free of NumPy (the ``phantom`` command's
choices come from here without making ``--help`` slow)."""

from __future__ import annotations

from enum import StrEnum

from strokeseg.kinetics.modes import Residue


class PhantomLayout(StrEnum):
    """The folder layouts a phantom cohort is written in."""

    ISLES2018 = "isles2018"
    ISLES2015_SPES = "isles2015-spes"
    MANIFEST = "manifest"


#: ``residue`` of :class:`~strokeseg.phantom.case.PhantomConfig`: one residue function, or ``mixed``
#: (exponential or gamma per case)
MIXED = "mixed"
RESIDUE_CHOICES = (MIXED, *(r.value for r in Residue))

__all__ = ["MIXED", "RESIDUE_CHOICES", "PhantomLayout"]
