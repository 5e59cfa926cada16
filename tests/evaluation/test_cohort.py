import math

import numpy as np
import pytest

from strokeseg.evaluation.cohort import r_squared, summarise, summarise_values
from strokeseg.evaluation.metrics import METRIC_NAMES


def row(case, dice, hd, vt, vp, group="", failure=False, region="core"):
    r = {name: 0.0 for name in METRIC_NAMES}
    r.update(case_id=case, region=region, group=group, dice=dice, hd=hd, vol_true_ml=vt, vol_pred_ml=vp, failure=failure)
    return r


def test_r_squared_matches_definition():
    t = [10.0, 20.0, 30.0, 40.0]
    p = [12.0, 18.0, 33.0, 41.0]
    expect = 1 - sum((a - b) ** 2 for a, b in zip(t, p)) / sum((a - 25.0) ** 2 for a in t)
    assert r_squared(t, p) == pytest.approx(expect)
    assert math.isnan(r_squared([1.0], [1.0]))


def test_summary_counts_failures_and_missing():
    rows = [row("a", 0.8, 10.0, 10, 12), row("b", 0.6, 30.0, 20, 15), row("c", 0.0, float("nan"), 5, 0, failure=True)]
    s = summarise(rows)[0]
    assert s.n_cases == 3 and s.n_failures == 1
    assert s.metrics["dice"].mean == pytest.approx(0.4667, abs=1e-4)  # failures keep Dice 0 in the mean
    assert s.metrics["hd"].n == 2 and s.metrics["hd"].missing == 1
    assert s.metrics["hd"].mean == pytest.approx(20.0)
    assert s.metrics["dice"].sd == pytest.approx(np.std([0.8, 0.6, 0.0], ddof=1))
    # cohort score: mean Dice with mean HD where the failure counts as 200 mm
    mean_hd = (10 + 30 + 200) / 3
    h = 1 - mean_hd / 200
    assert s.isles15_cohort_score == pytest.approx(s.metrics["dice"].mean * h / (s.metrics["dice"].mean + h))


def test_per_group_summaries():
    rows = [row("a", 0.8, 10, 10, 12, "LVO"), row("b", 0.6, 30, 20, 15, "LVO"), row("c", 0.4, 5, 3, 4, "non-LVO")]
    out = summarise(rows)
    assert [(s.region, s.group, s.n_cases) for s in out] == [("core", "all", 3), ("core", "LVO", 2), ("core", "non-LVO", 1)]


def test_summarise_values_median():
    s = summarise_values([1.0, 5.0, 2.0, float("nan")])
    assert (s.n, s.median, s.missing) == (3, 2.0, 1)
