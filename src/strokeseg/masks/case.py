"""Brain masks for learning: a given mask wins; CT perfusion cases use the non-zero voxels of
the sum of the perfusion maps (which vendors leave at 0 outside the brain, Clèrigues 2019), or,
where a recipe asks for it, the CT brain mask of the CTP maximum-intensity projection (Tomasetti:
"a binary mask of the entire brain slice is created based on the MIP image"); a CT alone (an image in
HU, e.g. an nnU-Net model's only channel) the CT brain mask; MRI a robust threshold with holes filled."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from strokeseg.errors import InputError
from strokeseg.io.case import Case
from strokeseg.masks.brain import ct_brain_mask, mr_brain_mask

PERFUSION_MAPS = ("CBF", "CBV", "MTT", "Tmax", "TTP")
HU_IMAGES = ("CT", "CTA", "MIP")


def case_brain_mask(case: Case, reference: str | None = None, source: str = "maps") -> np.ndarray:
    """The brain mask a learned method uses for ``case``.

    ``source="mip"``: the CT brain mask (skull ring, soft-tissue window, largest component, holes
    filled) of the case's ``MIP`` image in HU; the MIP's bright vessels inside the brain are filled.
    """
    if case.brain_mask is not None:
        return case.brain_mask.astype(bool)
    if source == "mip":
        if "MIP" not in case.images:
            raise InputError(f"case {case.case_id}: the recipe takes its brain mask from the CTP MIP, which the case lacks")
        return ct_brain_mask(case.images["MIP"])
    maps = [case.images[m] for m in PERFUSION_MAPS if m in case.images]
    if maps:
        mask = np.abs(np.sum(maps, axis=0)) > 0
        return ndimage.binary_fill_holes(mask) if mask.ndim == 2 else np.stack([ndimage.binary_fill_holes(s) for s in mask])
    ref = reference if reference in case.images else next(iter(case.images))
    if ref in HU_IMAGES:  # a CT in Hounsfield units: the skull-ring CT mask, not an MRI intensity threshold
        return ct_brain_mask(case.images[ref])
    return mr_brain_mask(case.images[ref])
