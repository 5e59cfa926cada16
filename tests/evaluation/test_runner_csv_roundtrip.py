"""per_case.csv written by the runner reads back to the same rows (missing distances as NaN)."""

import math

import numpy as np

from strokeseg.evaluation.cohort import summarise
from strokeseg.evaluation.runner import evaluate_case_arrays, rows_from_csv, rows_to_csv
from strokeseg.io.geometry import Geometry
from strokeseg.io.labels import Region


def test_rows_round_trip_and_summaries_agree():
    g = Geometry((3, 20, 20), (1.0, 1.0, 2.0))
    truth = np.zeros((3, 20, 20), np.uint8)
    truth[1, 5:10, 5:10] = 2
    pred = np.zeros_like(truth)
    pred[1, 6:11, 5:10] = 2
    rows = evaluate_case_arrays("a", pred, truth, g, [Region.CORE], "LVO")
    rows += evaluate_case_arrays("b", np.zeros_like(truth), truth, g, [Region.CORE], "non-LVO")  # a failure: HD missing
    back = rows_from_csv(rows_to_csv(rows))
    assert [r["case_id"] for r in back] == ["a", "b"] and back[1]["failure"] is True and math.isnan(back[1]["hd"])
    assert back[0]["dice"] == rows[0]["dice"] and back[0]["group"] == "LVO"
    s1 = next(s for s in summarise(rows) if s.group == "all")
    s2 = next(s for s in summarise(back) if s.group == "all")
    assert s1.metrics["dice"].mean == s2.metrics["dice"].mean and s1.n_failures == s2.n_failures == 1
