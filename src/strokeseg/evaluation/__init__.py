"""ISLES-exact evaluation: pure metric functions, cohort summaries, folder runner.

See ``docs/explanation/evaluation.md`` for definitions and the empty-mask rules.
"""

from strokeseg.evaluation.cohort import r_squared, summarise
from strokeseg.evaluation.lesionwise import lesion_counts, lesion_f1
from strokeseg.evaluation.metrics import HD_MAX_MM, BinaryMetrics, binary_metrics, evaluate_labels, isles15_score
from strokeseg.evaluation.overlap import dice, precision, sensitivity
from strokeseg.evaluation.surface import assd, assd_pooled, hausdorff, hd95, surface_distances

__all__ = [
    "HD_MAX_MM",
    "BinaryMetrics",
    "assd",
    "assd_pooled",
    "binary_metrics",
    "dice",
    "evaluate_labels",
    "hausdorff",
    "hd95",
    "isles15_score",
    "lesion_counts",
    "lesion_f1",
    "precision",
    "r_squared",
    "sensitivity",
    "summarise",
    "surface_distances",
]
