"""Training: recipes, grouped folds, patch data, the fold trainer, cross-validation, bundles."""

from strokeseg.util.lazy import lazy_exports

#: the public names (imported on first use); every other module of the package is internal
_API = {
    "cross_validate": "strokeseg.training.cv",
    "fit": "strokeseg.training.trainer",
    "FitOptions": "strokeseg.training.trainer",
    "grouped_folds": "strokeseg.training.folds",
    "read_split": "strokeseg.training.split",
    "SplitFold": "strokeseg.training.split",
    "DistContext": "strokeseg.training.distributed",
    "launch_local": "strokeseg.training.launch",
}
__all__ = sorted(_API)
__getattr__, __dir__ = lazy_exports(__name__, _API)
