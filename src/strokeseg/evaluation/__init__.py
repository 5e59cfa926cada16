"""ISLES-exact evaluation: pure metric functions, cohort summaries, folder runner.

See ``docs/explanation/evaluation.md`` for definitions and the empty-mask rules.
"""

from strokeseg.util.lazy import lazy_exports

#: the public names (imported on first use, so that the light modules below stay light)
_API = {
    "assd": "strokeseg.evaluation.surface",
    "assd_pooled": "strokeseg.evaluation.surface",
    "binary_metrics": "strokeseg.evaluation.metrics",
    "BinaryMetrics": "strokeseg.evaluation.metrics",
    "dice": "strokeseg.evaluation.overlap",
    "evaluate_labels": "strokeseg.evaluation.metrics",
    "hausdorff": "strokeseg.evaluation.surface",
    "hd95": "strokeseg.evaluation.surface",
    "HD_MAX_MM": "strokeseg.evaluation.metrics",
    "isles15_score": "strokeseg.evaluation.metrics",
    "lesion_counts": "strokeseg.evaluation.lesionwise",
    "lesion_f1": "strokeseg.evaluation.lesionwise",
    "precision": "strokeseg.evaluation.overlap",
    "r_squared": "strokeseg.evaluation.cohort",
    "sensitivity": "strokeseg.evaluation.overlap",
    "summarise": "strokeseg.evaluation.cohort",
    "surface_distances": "strokeseg.evaluation.surface",
}
__all__ = sorted(_API)
__getattr__, __dir__ = lazy_exports(__name__, _API)
