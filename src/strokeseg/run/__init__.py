"""The commands as Python calls (``threshold``, ``perfusion``, ``predict``, ``evaluate``, ``train``, ``report``,
``sweep``, ``export``, ``nnunet_baseline``, ``compare``, ``demo``, ``phantom`` (and ``grid_phantom``), ``info``,
``cv_report``):
each does what its ``strokeseg`` command does, and the command is argument parsing plus that call (above the
workflows, below the CLI).

A call opens the run folder (``--out``: new, overwrite or resume; never inside the inputs unless allowed),
reads the input in any layout, protects the input files, runs the workflow, writes the report when asked,
and raises a :class:`~strokeseg.errors.CaseFailures` naming the cases that failed after the others are
written. What the command prints (notes, the read-out table, where the outputs went) goes to
:attr:`RunOptions.echo` (nothing when it is None).

Examples:
    >>> import tempfile
    >>> from pathlib import Path
    >>> import strokeseg
    >>> from strokeseg.phantom.case import PhantomConfig
    >>> from strokeseg.run import RunOptions, threshold
    >>> root = Path(tempfile.mkdtemp())
    >>> _ = strokeseg.generate_phantom(root / "data", n_cases=1, config=PhantomConfig(slices=2, matrix=(48, 48), frames=30))
    >>> res = threshold(root / "data", root / "out", options=RunOptions())
    >>> [r.case_id for r in res.rows], (root / "out" / "readout.csv").exists()
    (['case_1'], True)
"""

from strokeseg.util.lazy import lazy_exports

_API = {
    "ReadOptions": "strokeseg.run.options",
    "RunOptions": "strokeseg.run.options",
    "threshold": "strokeseg.run.commands",
    "perfusion": "strokeseg.run.commands",
    "predict": "strokeseg.run.commands",
    "evaluate": "strokeseg.run.commands",
    "train": "strokeseg.run.training",
    "report": "strokeseg.run.training",
    "sweep": "strokeseg.run.training",
    "export": "strokeseg.run.datasets",
    "nnunet_baseline": "strokeseg.run.datasets",
    "compare": "strokeseg.run.datasets",
    "demo": "strokeseg.run.tools",
    "phantom": "strokeseg.run.tools",
    "grid_phantom": "strokeseg.run.tools",
    "info": "strokeseg.run.tools",
    "cv_report": "strokeseg.run.tools",
}
__all__ = sorted(_API)
__getattr__, __dir__ = lazy_exports(__name__, _API)
