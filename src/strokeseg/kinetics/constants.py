"""The tissue model's constants, stated once for the phantom and the perfusion analysis."""

TISSUE_DENSITY = 1.04  # ρ, g/ml of brain tissue
HEMATOCRIT_FACTOR = 0.73  # kH = (1 − Hct_large)/(1 − Hct_small)
MR_SKIP_FRAMES = 2  # DSC-MRI frames before the signal reaches its steady state
