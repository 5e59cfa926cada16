"""strokeseg: acute ischaemic stroke imaging from raw 4D perfusion to a clinical read-out.

The public API, each name importable from ``strokeseg`` (loaded on first use, so that
``import strokeseg`` stays light):

=====================  ==============================================================
``open_dataset``       find the cases of a folder in any supported layout
``load_case``          read one case: images on one grid, label, series, geometry
``compute_maps``       CBF, CBV, MTT, Tmax, TTP from a 4D series
``threshold_case``     RAPID-style core, penumbra and read-out of one case
``evaluate_folder``    ISLES-exact metrics of a folder of predictions against a truth
``load_recipe``        a published method's configuration (shipped name or YAML file)
``train``              cross-validate a recipe on a dataset into a model bundle
``ModelBundle``        a trained method on disk (``ModelBundle.load(folder)``)
``load_model``         a trained nnU-Net v2 results folder (run natively) or a bundle
``predict_case``       segment one loaded case with a bundle or an nnU-Net model
``generate_phantom``   a synthetic cohort with known truth
=====================  ==============================================================

Axis convention (the whole package): 3D volumes are NumPy arrays indexed ``(Z, Y, X)``
(SimpleITK's array order; X is the fastest axis), multi-channel volumes ``(C, Z, Y, X)``, and 4D
perfusion series ``(Z, Y, X, T)`` with time last. Geometry is kept beside the arrays in
:class:`strokeseg.io.Geometry` (ITK/LPS convention, spacing in mm).

Examples (a phantom cohort → its cases → maps from the raw series → a read-out → scores):
    >>> import tempfile
    >>> import strokeseg
    >>> from strokeseg.phantom.case import PhantomConfig
    >>> root = tempfile.mkdtemp()
    >>> rows = strokeseg.generate_phantom(root, n_cases=1, config=PhantomConfig(slices=2, matrix=(48, 48), frames=30))
    >>> ds = strokeseg.open_dataset(root)
    >>> ds.layout.name, len(ds)
    ('isles2018', 1)
    >>> case = strokeseg.load_case(ds.cases[0], with_series=True)
    >>> case.series["CTP"].data.shape[-1]  # (Z, Y, X, T): 30 frames
    30
    >>> maps = strokeseg.compute_maps(case.series["CTP"], show_progress=False).maps
    >>> sorted(maps)
    ['CBF', 'CBV', 'MTT', 'TTP', 'Tmax']
    >>> read = strokeseg.threshold_case(case)
    >>> read.readout.core_ml >= 0 and read.result.labels.shape == case.geometry.shape
    True
    >>> recipe = strokeseg.load_recipe("clerigues-ct-2d-fast")
    >>> str(recipe.prepare.target), recipe.window().window
    ('core', (1, 32, 32))
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    __version__: str  # read on first use (module ``__getattr__``)

_API = {
    "open_dataset": "strokeseg.io.layouts",
    "load_case": "strokeseg.io.case",
    "compute_maps": "strokeseg.perfusion.maps",
    "threshold_case": "strokeseg.clinical.pipeline",
    "evaluate_folder": "strokeseg.evaluation.runner",
    "load_recipe": "strokeseg.recipes.recipe",
    "train": "strokeseg.workflows.train",
    "ModelBundle": "strokeseg.bundle",
    "predict_case": "strokeseg.prediction.engine",
    "load_model": "strokeseg.prediction.nnunet",
    "generate_phantom": "strokeseg.workflows.phantom",
}

__all__ = [
    "ModelBundle",
    "__version__",
    "compute_maps",
    "evaluate_folder",
    "generate_phantom",
    "load_case",
    "load_model",
    "load_recipe",
    "open_dataset",
    "predict_case",
    "threshold_case",
    "train",
]


def _version() -> str:
    """The installed distribution's version (``importlib.metadata`` costs 50 ms, so it is read on first use)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("strokeseg")
    except PackageNotFoundError:  # a source tree on PYTHONPATH without installed metadata
        return "0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        globals()[name] = _version()
        return globals()[name]
    if name in _API:
        value = getattr(importlib.import_module(_API[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'strokeseg' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
