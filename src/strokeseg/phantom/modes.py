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

#: each real-file quirk the phantom can reproduce (:mod:`strokeseg.phantom.quirks`), with what it writes
QUIRK_DESCRIPTIONS = {
    "isles2018-headers": "identity sform, code 2, voxel size only in pixdim; isles2018 layout",
    "vendor-sentinels": "map backgrounds hold CBF 1e-6, Tmax −30 s, MTT ≈ −3·10⁴, CBV 0 or negative",
    "subacute-mri": "MR: lesion bright on DWI with ADC near normal",
    "dwi-bias-field": "MR: smooth ±20 % bias on DWI",
    "not-skull-stripped": "MR: scalp, bone and air kept, as a scanner writes DWI/ADC",
    "adc-mm2s": "MR: ADC written in mm²/s",
    "adc-1e-3mm2s": "MR: ADC written in 10⁻³ mm²/s",
    "emboli-shower": "the core replaced by 8–25 small embolic lesions in one hemisphere",
    "wm-adc-near-threshold": "MR: white-matter ADC spread around 700, a tenth of it below 620",
    "head-motion": "rigid head motion (up to 2° and 3 mm) on a third of the 4D series' frames",
}
QUIRKS = tuple(QUIRK_DESCRIPTIONS)

__all__ = ["MIXED", "QUIRKS", "QUIRK_DESCRIPTIONS", "RESIDUE_CHOICES", "PhantomLayout"]
