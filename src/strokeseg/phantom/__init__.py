"""The strokeseg phantom: synthetic acute-stroke heads with known truth (maps, labels, series).

Generation (:mod:`~strokeseg.phantom.case`, :mod:`~strokeseg.phantom.grid`) knows nothing of the
analysis it is used to test; cohorts with vendor-style maps are written by
:func:`strokeseg.workflows.phantom.write_phantom_cohort`.
"""

from strokeseg.util.lazy import lazy_exports

#: the public names (imported on first use); every other module of the package is internal
_API = {
    "PhantomConfig": "strokeseg.phantom.case",
    "PhantomCase": "strokeseg.phantom.case",
    "generate_case": "strokeseg.phantom.case",
    "GridConfig": "strokeseg.phantom.grid",
    "generate_grid": "strokeseg.phantom.grid",
}
__all__ = sorted(_API)
__getattr__, __dir__ = lazy_exports(__name__, _API)
