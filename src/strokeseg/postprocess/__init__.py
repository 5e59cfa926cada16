"""Post-processing: thresholding, small-component removal, and the T × S_min grid search."""

from strokeseg.postprocess.components import binarize
from strokeseg.postprocess.gridsearch import GridTable, grid_table

__all__ = ["GridTable", "binarize", "grid_table"]
