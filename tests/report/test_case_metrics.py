"""The report's metric tables: units in the headers, n/a (not 0) for a region the truth does not hold, no sd for one case."""

from strokeseg.evaluation.runner import TABLE_METRICS
from strokeseg.io.records import SummaryRecord
from strokeseg.report.case_page import NONE_IN_TRUTH, _metric_row
from strokeseg.report.cohort_page import summary_rows


def test_a_region_absent_from_the_truth_is_na_and_headers_carry_units():
    row = {"region": "penumbra", "dice": 0.0, "hd95": None, "abs_vol_diff_ml": 3.0, "vol_true_ml": 0.0, "vol_pred_ml": 3.0, "failure": True}
    cells = {c["key"]: c for c in _metric_row(row, TABLE_METRICS)}
    assert cells["dice"]["text"] == NONE_IN_TRUTH and cells["dice"]["value"] == 0.0  # the raw score stays in the data
    assert cells["abs_vol_diff_ml"]["text"] is None and cells["vol_pred_ml"]["value"] == 3.0  # volumes are still shown
    assert cells["hd95"]["head"] == "hd95 (mm)" and cells["vol_true_ml"]["head"] == "vol_true_ml (ml)"
    present = {c["key"]: c for c in _metric_row({**row, "vol_true_ml": 2.0}, TABLE_METRICS)}
    assert present["dice"]["text"] is None


def test_one_case_summary_shows_no_sd():
    class Run:
        row = {"region": "core", "group": "all", "n_cases": 1, "metrics": {"dice": {"mean": 0.5, "sd": None}}}
        evaluation = SummaryRecord(regions=["core"], cases=[], summary=[row])

    assert summary_rows(Run())[0]["dice"] == "0.500"  # type: ignore[arg-type]
