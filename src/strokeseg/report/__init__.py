"""HTML reports (and DICOM exports) of a run folder: what a stroke team looks at.

:func:`~strokeseg.report.collect.collect_run` reads a run folder; :func:`~strokeseg.report.build.build_report`
writes the pages. The workflow :func:`strokeseg.workflows.report.report_run` stages the folder and
puts it in place atomically.
"""

from strokeseg.util.lazy import lazy_exports

#: the public names (imported on first use); every other module of the package is internal
_API = {"build_report": "strokeseg.report.build", "collect_run": "strokeseg.report.collect", "export_run": "strokeseg.report.dicom_export"}
__all__ = sorted(_API)
__getattr__, __dir__ = lazy_exports(__name__, _API)
