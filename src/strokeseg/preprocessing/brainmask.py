"""Brain masks for learning: a given mask wins; CT perfusion cases use the non-zero voxels of
the sum of the perfusion maps (which vendors leave at 0 outside the brain, Clèrigues 2019);
MRI uses a robust threshold with holes filled."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from strokeseg.io.case import Case
from strokeseg.perfusion.brainmask import mr_brain_mask

PERFUSION_MAPS = ("CBF", "CBV", "MTT", "Tmax", "TTP")


def case_brain_mask(case: Case, reference: str | None = None) -> np.ndarray:
    """The brain mask a learned method uses for ``case``."""
    if case.brain_mask is not None:
        return case.brain_mask.astype(bool)
    maps = [case.images[m] for m in PERFUSION_MAPS if m in case.images]
    if maps:
        mask = np.abs(np.sum(maps, axis=0)) > 0
        return ndimage.binary_fill_holes(mask) if mask.ndim == 2 else np.stack([ndimage.binary_fill_holes(s) for s in mask])
    ref = reference if reference in case.images else next(iter(case.images))
    return mr_brain_mask(case.images[ref])
