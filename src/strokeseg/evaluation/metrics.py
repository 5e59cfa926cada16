"""All per-case metrics of one region, with the empty-mask rules applied in one place.

Empty-mask rules (followed exactly, see docs/explanation/evaluation.md):

* both masks empty → Dice 1, precision 1, sensitivity 1, HD = HD95 = ASSD = 0, volume error 0,
  lesion F1 1, not a failure;
* exactly one mask empty → Dice 0, precision 0, sensitivity 0, HD/HD95/ASSD (both kinds) missing (NaN) and
  the case counted as a **failure**; volume errors and lesion counts are still computed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from strokeseg.evaluation.lesionwise import lesion_counts
from strokeseg.evaluation.overlap import confusion
from strokeseg.evaluation.surface import assd_from, assd_pooled_from, hausdorff_from, hd95_from, surface_distances, union_bbox
from strokeseg.io.labels import Region, region_mask

HD_MAX_MM = 200.0  # ISLES'15 normalisation of the Hausdorff distance in the combined score

METRIC_NAMES = (
    "dice",
    "precision",
    "sensitivity",
    "hd",
    "hd95",
    "assd",
    "assd_pooled",
    "vol_true_ml",
    "vol_pred_ml",
    "vol_diff_ml",
    "abs_vol_diff_ml",
    "lesion_f1",
    "n_lesions_true",
    "n_lesions_pred",
    "lesion_count_diff",
    "isles15_score",
)


def isles15_score(dsc: float, hd: float, hd_max: float = HD_MAX_MM) -> float:
    """ISLES'15 combined score DSC·(1−HD/HDmax) / (DSC + 1−HD/HDmax), with 1−HD/HDmax clipped at 0.

    A missing HD (NaN) scores 0. Note the formula peaks at 0.5 (DSC = 1, HD = 0), as published.
    """
    if not np.isfinite(hd):
        return 0.0
    h = max(0.0, 1.0 - hd / hd_max)
    return 0.0 if dsc + h == 0 else dsc * h / (dsc + h)


@dataclass(frozen=True)
class BinaryMetrics:
    """The ISLES metrics of one binary prediction against its truth (distances in mm, volumes in ml)."""

    dice: float
    precision: float
    sensitivity: float
    hd: float
    hd95: float
    assd: float
    assd_pooled: float
    vol_true_ml: float
    vol_pred_ml: float
    vol_diff_ml: float
    abs_vol_diff_ml: float
    lesion_f1: float
    n_lesions_true: int
    n_lesions_pred: int
    lesion_count_diff: int
    isles15_score: float
    failure: bool

    def as_dict(self) -> dict:
        """The metrics by name, as the per-case CSV writes them."""
        return asdict(self)


def binary_metrics(pred: np.ndarray, truth: np.ndarray, spacing: Sequence[float], protocol: str = "isles22") -> BinaryMetrics:
    """Every metric of one binary prediction against one binary truth.

    Args:
        spacing: voxel size per array axis in mm (``Geometry.spacing_zyx``).
        protocol: the lesion matching of the lesion-wise F1 (``isles22`` or ``isles24``).
    """
    p = np.asarray(pred, dtype=bool)
    t = np.asarray(truth, dtype=bool)
    if p.shape != t.shape:
        raise ValueError(f"prediction shape {p.shape} differs from truth shape {t.shape}")
    voxel_ml = float(np.prod(spacing)) / 1000.0
    box = union_bbox(p, t, margin=0)
    if box is not None:  # every count below is decided inside the box holding both masks
        p, t = p[box], t[box]
    tp, fp, fn = confusion(p, t)
    n_p, n_t = tp + fp, tp + fn
    vol_p, vol_t = n_p * voxel_ml, n_t * voxel_ml
    lc = lesion_counts(p, t, protocol)
    common: dict[str, Any] = dict(
        vol_true_ml=vol_t,
        vol_pred_ml=vol_p,
        vol_diff_ml=vol_p - vol_t,
        abs_vol_diff_ml=abs(vol_p - vol_t),
        lesion_f1=lc.f1,
        n_lesions_true=lc.n_truth,
        n_lesions_pred=lc.n_pred,
        lesion_count_diff=lc.count_difference,
    )
    if n_p == 0 and n_t == 0:
        return BinaryMetrics(1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, isles15_score=isles15_score(1.0, 0.0), failure=False, **common)
    if n_p == 0 or n_t == 0:
        nan = float("nan")
        return BinaryMetrics(0.0, 0.0, 0.0, nan, nan, nan, nan, isles15_score=0.0, failure=True, **common)
    d_pt, d_tp = surface_distances(p, t, spacing)
    dsc = 2.0 * tp / (n_p + n_t)
    hd = hausdorff_from(d_pt, d_tp)
    return BinaryMetrics(
        dice=dsc,
        precision=tp / n_p,
        sensitivity=tp / n_t,
        hd=hd,
        hd95=hd95_from(d_pt, d_tp),
        assd=assd_from(d_pt, d_tp),
        assd_pooled=assd_pooled_from(d_pt, d_tp),
        isles15_score=isles15_score(dsc, hd),
        failure=False,
        **common,
    )


def evaluate_labels(
    pred_labels: np.ndarray,
    truth_labels: np.ndarray,
    spacing: Sequence[float],
    regions: Iterable[Region | str] = tuple(Region),
    protocol: str = "isles22",
) -> dict[str, BinaryMetrics]:
    """Metrics per region of two canonical label maps (0 background, 1 penumbra, 2 core)."""
    out = {}
    for r in regions:
        reg = Region.parse(r) if isinstance(r, str) else r
        out[reg.value] = binary_metrics(region_mask(pred_labels, reg), region_mask(truth_labels, reg), spacing, protocol)
    return out
