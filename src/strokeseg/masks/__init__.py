"""Brain masks, one module for every method: perfusion analysis, clinical thresholds and learned
preprocessing all take a case's mask from here, so they see the same brain for the same case.

* :func:`ct_brain_mask` / :func:`mr_brain_mask`: from a CT image in HU or an MR image;
* :func:`diffusion_brain_mask`: from DWI + ADC, skull-stripped or not;
* :func:`valid_map_mask`: where every given perfusion map is valid (vendor sentinels excluded);
* :func:`case_brain_mask`: the mask a learned method uses for a loaded case.
"""

from strokeseg.masks.brain import background_value, ct_brain_mask, diffusion_brain_mask, mr_brain_mask, valid_map_mask
from strokeseg.masks.case import case_brain_mask

__all__ = ["background_value", "case_brain_mask", "ct_brain_mask", "diffusion_brain_mask", "mr_brain_mask", "valid_map_mask"]
