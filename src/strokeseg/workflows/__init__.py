"""End-to-end workflows that chain the stages (above every stage, below the CLI)."""

from strokeseg.util.lazy import lazy_exports

#: the public names (imported on first use); every other module of the package is internal
_API = {
    "threshold_dataset": "strokeseg.workflows.threshold",
    "perfusion_dataset": "strokeseg.workflows.perfusion",
    "predict_dataset": "strokeseg.workflows.predict",
    "evaluate_to_folder": "strokeseg.workflows.evaluate",
    "report_run": "strokeseg.workflows.report",
    "write_phantom_cohort": "strokeseg.workflows.phantom",
    "export_nnunet": "strokeseg.workflows.export",
}
__all__ = sorted(_API)
__getattr__, __dir__ = lazy_exports(__name__, _API)
