"""Surface distances in mm from Euclidean distance transforms of the mask surfaces.

The surface of a mask is the mask minus its erosion by the face-connected (6-neighbour)
structuring element, exactly as MedPy defines it, so Hausdorff and HD95 equal ``medpy.metric.binary.hd/hd95``, ASSD
equals the ISLES definition ½(ASD(P,T)+ASD(T,P)) (MedPy's ``asd`` both ways), and the pooled ASSD
equals MedPy 0.5's ``assd``. Speed comes from computing the two distance
transforms once, and only inside the bounding box of both masks (plus one voxel): every
surface voxel lies inside that box, so the distances are exact.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import ndimage


def _bbox(mask: np.ndarray) -> tuple[slice, ...]:
    slices = []
    for ax in range(mask.ndim):
        other = tuple(i for i in range(mask.ndim) if i != ax)
        hit = np.flatnonzero(mask.any(axis=other))
        lo, hi = int(hit[0]), int(hit[-1])
        slices.append(slice(max(lo - 1, 0), min(hi + 2, mask.shape[ax])))
    return tuple(slices)


def surface_distances(pred: np.ndarray, truth: np.ndarray, spacing: Sequence[float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Distances (mm) from every surface voxel of ``pred`` to the surface of ``truth``, and back.

    Args:
        pred, truth: boolean masks of the same shape, both non-empty.
        spacing: voxel size per array axis (``Geometry.spacing_zyx``); 1 when None.

    Returns:
        ``(d_pred_to_truth, d_truth_to_pred)``, 1D float arrays.
    """
    p = np.asarray(pred, dtype=bool)
    t = np.asarray(truth, dtype=bool)
    if p.shape != t.shape:
        raise ValueError(f"shape mismatch {p.shape} vs {t.shape}")
    if not p.any() or not t.any():
        raise ValueError("surface distances need two non-empty masks")
    box = _bbox(p | t)
    p, t = p[box], t[box]
    footprint = ndimage.generate_binary_structure(p.ndim, 1)
    p_border = p ^ ndimage.binary_erosion(p, structure=footprint, iterations=1)
    t_border = t ^ ndimage.binary_erosion(t, structure=footprint, iterations=1)
    sampling = None if spacing is None else [float(s) for s in spacing]
    dt_to_t = ndimage.distance_transform_edt(~t_border, sampling=sampling)
    dt_to_p = ndimage.distance_transform_edt(~p_border, sampling=sampling)
    return dt_to_t[p_border], dt_to_p[t_border]


def hausdorff_from(d_pt: np.ndarray, d_tp: np.ndarray) -> float:
    """The (maximum) Hausdorff distance from the two directed surface-distance sets, in mm."""
    return float(max(d_pt.max(), d_tp.max()))


def hd95_from(d_pt: np.ndarray, d_tp: np.ndarray) -> float:
    """The 95th-percentile Hausdorff distance from the two directed surface-distance sets, in mm."""
    return float(np.percentile(np.hstack((d_pt, d_tp)), 95))


def assd_from(d_pt: np.ndarray, d_tp: np.ndarray) -> float:
    """ISLES definition: ½ (ASD(P, T) + ASD(T, P)), the mean of the two directed mean distances."""
    return float((d_pt.mean() + d_tp.mean()) / 2.0)


def assd_pooled_from(d_pt: np.ndarray, d_tp: np.ndarray) -> float:
    """Mean over the pooled distances of both directions (MedPy ≥ 0.5's ``assd``)."""
    return float(np.concatenate([d_pt, d_tp]).mean())


def hausdorff(pred: np.ndarray, truth: np.ndarray, spacing: Sequence[float] | None = None) -> float:
    """Symmetric (maximum) Hausdorff distance in mm."""
    return hausdorff_from(*surface_distances(pred, truth, spacing))


def hd95(pred: np.ndarray, truth: np.ndarray, spacing: Sequence[float] | None = None) -> float:
    """95th percentile of the pooled surface distances in both directions (MedPy's definition)."""
    return hd95_from(*surface_distances(pred, truth, spacing))


def assd(pred: np.ndarray, truth: np.ndarray, spacing: Sequence[float] | None = None) -> float:
    """Average symmetric surface distance as ISLES scores it: mean of the two directed mean distances.

    This is MedPy ≤ 0.4's ``assd`` and ``mean(medpy.asd(p, t), medpy.asd(t, p))`` in any MedPy.
    MedPy 0.5 changed ``assd`` to the pooled mean; see :func:`assd_pooled`.
    """
    return assd_from(*surface_distances(pred, truth, spacing))


def assd_pooled(pred: np.ndarray, truth: np.ndarray, spacing: Sequence[float] | None = None) -> float:
    """Average surface distance over the pooled distances of both directions (MedPy ≥ 0.5 ``assd``)."""
    return assd_pooled_from(*surface_distances(pred, truth, spacing))
