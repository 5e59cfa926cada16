"""HTML reports (and DICOM exports) of a run folder: what a stroke team looks at.

:func:`~strokeseg.report.collect.collect_run` reads a run folder; :func:`~strokeseg.report.build.build_report`
writes the pages. The workflow :func:`strokeseg.workflows.report.report_run` stages the folder and
puts it in place atomically.
"""
