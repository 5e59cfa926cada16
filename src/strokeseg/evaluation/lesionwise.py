"""Lesion-wise detection scores, ISLES'22 style (26-connected components, any overlap detects).

A truth component that shares at least one voxel with the prediction is a true positive,
otherwise a false negative; a predicted component with no truth voxel is a false positive.
F1 = tp / (tp + (fp + fn) / 2), and 1 when both masks are empty (ISLES'22's ``empty_value``).
Counting is vectorised with ``np.unique`` over component labels (no loop over lesions).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage


def components(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """Full-connectivity components (26 in 3D, 8 in 2D) of a boolean mask."""
    structure = np.ones((3,) * mask.ndim, dtype=bool)
    labels, n = ndimage.label(np.asarray(mask, dtype=bool), structure=structure)
    return labels, int(n)


@dataclass(frozen=True)
class LesionCounts:
    """Connected-component counts of a prediction against its truth (ISLES'22 lesion-wise scores)."""

    n_truth: int
    n_pred: int
    tp: int
    fp: int
    fn: int

    @property
    def f1(self) -> float:
        denom = self.tp + (self.fp + self.fn) / 2.0
        return 1.0 if denom == 0 else self.tp / denom

    @property
    def count_difference(self) -> int:
        """|n_pred − n_truth| (ISLES'22 "absolute lesion count difference")."""
        return abs(self.n_pred - self.n_truth)


def lesion_counts(pred: np.ndarray, truth: np.ndarray) -> LesionCounts:
    """Truth and predicted lesions (26-connected components), true positives (truth lesions touched), false positives and negatives."""
    p = np.asarray(pred, dtype=bool)
    t = np.asarray(truth, dtype=bool)
    t_lab, n_t = components(t)
    p_lab, n_p = components(p)
    overlap = p & t
    tp = int(np.unique(t_lab[overlap]).size)  # truth components touched by the prediction
    touched_pred = int(np.unique(p_lab[overlap]).size)  # predicted components touching the truth
    return LesionCounts(n_truth=n_t, n_pred=n_p, tp=tp, fp=n_p - touched_pred, fn=n_t - tp)


def lesion_f1(pred: np.ndarray, truth: np.ndarray) -> float:
    """The lesion-wise F1 score of ``pred`` against ``truth`` (1 when both are empty)."""
    return lesion_counts(pred, truth).f1
