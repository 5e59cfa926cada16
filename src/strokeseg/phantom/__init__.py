"""The strokeseg phantom: synthetic acute-stroke heads with known truth (maps, labels, series).

Generation (:mod:`~strokeseg.phantom.case`, :mod:`~strokeseg.phantom.grid`) knows nothing of the
analysis it is used to test; cohorts with vendor-style maps are written by
:func:`strokeseg.workflows.phantom.write_phantom_cohort`.
"""
