"""DEFUSE-3, EXTEND and DAWN verdicts: the trial rules at their boundaries, and agreement with the read-out."""

import math

import numpy as np
import pytest

from strokeseg.clinical.config import ThresholdConfig
from strokeseg.clinical.eligibility import CLINICAL_CRITERIA, Patient, dawn, verdicts
from strokeseg.clinical.readout import compute_readout
from strokeseg.io.geometry import Geometry


@pytest.mark.parametrize(
    ("core", "age", "nihss", "eligible", "group"),
    [
        (20.9, 80, 10, True, "A"),
        (21.0, 80, 10, False, None),  # A needs core < 21 ml
        (10.0, 85, 9, False, None),  # A needs NIHSS >= 10
        (30.9, 79, 10, True, "B"),
        (31.0, 79, 10, False, None),  # B needs core < 31 ml; C needs NIHSS >= 20
        (31.0, 79, 20, True, "C"),
        (50.9, 60, 25, True, "C"),
        (51.0, 60, 25, False, None),  # C needs core < 51 ml
        (5.0, 17, 15, False, None),  # age >= 18
    ],
)
def test_dawn_groups_at_their_boundaries(core, age, nihss, eligible, group):
    v = dawn(core, age, nihss)
    assert v.eligible is eligible
    assert v.numbers.get("group") == group
    assert v.text == ("clinical–core criteria met" if eligible else "clinical–core criteria not met")


@pytest.mark.parametrize(("core", "age", "nihss", "missing"), [(10.0, None, 12, "age"), (10.0, 70, None, "NIHSS"), (None, 70, 12, "core")])
def test_dawn_without_age_nihss_or_core_is_not_assessable(core, age, nihss, missing):
    v = dawn(core, age, nihss)
    assert v.eligible is None and v.text == "not assessable" and missing in v.reason


def test_mismatch_verdicts_equal_the_readout_booleans_on_random_masks():
    rng = np.random.default_rng(3)
    g = Geometry((4, 30, 30), (2.0, 2.0, 5.0))
    cfg = ThresholdConfig()
    for _ in range(60):
        hyp = rng.random(g.shape) < rng.uniform(0, 0.4)
        core = hyp & (rng.random(g.shape) < rng.uniform(0, 1))
        r = compute_readout(core, hyp, hyp & (rng.random(g.shape) < 0.3), g, cfg).to_dict()
        d3, ext, dw = verdicts(r, None, None, cfg)
        assert d3.eligible is r["defuse3"] and ext.eligible is r["extend"]
        assert dw.eligible is None  # no age/NIHSS


def test_no_perfusion_mismatch_trials_not_assessable_dawn_still_decided():
    r = {"core_ml": 12.0, "hypoperfused_ml": None, "penumbra_ml": None, "mismatch_ratio": None, "perfusion": False}
    d3, ext, dw = verdicts(r, age=70, nihss=12)
    assert d3.eligible is None and ext.eligible is None and "no perfusion" in d3.reason
    assert dw.eligible is True and dw.numbers["group"] == "B"


def test_infinite_ratio_counts_as_a_mismatch_and_is_written_as_inf():
    r = {"core_ml": 0.0, "hypoperfused_ml": 30.0, "penumbra_ml": 30.0, "mismatch_ratio": "inf", "perfusion": True}
    d3 = verdicts(r)[0]
    assert d3.eligible is True and math.isinf(d3.numbers["mismatch_ratio"]) and d3.to_dict()["numbers"]["mismatch_ratio"] == "inf"


def test_an_imaging_verdict_never_says_eligible_and_lists_the_clinical_criteria_not_given():
    r = {"core_ml": 10.0, "hypoperfused_ml": 60.0, "penumbra_ml": 50.0, "mismatch_ratio": 6.0, "perfusion": True}
    d3, ext, dw = verdicts(r)
    assert (d3.text, ext.text) == ("imaging criteria met", "imaging criteria met") and "eligible" not in d3.text
    assert [c["criterion"] for c in d3.clinical] == [c[0] for c in CLINICAL_CRITERIA["DEFUSE-3"]]
    assert {c["status"] for c in d3.clinical + ext.clinical + dw.clinical} <= {"not assessed", "not assessed (not an input of strokeseg)"}
    assert d3.to_dict()["clinical"][0] == {"criterion": "age 18–90 years", "status": "not assessed", "value": None}


@pytest.mark.parametrize(
    ("patient", "trial", "want"),
    [
        (Patient(age=91, nihss=6, onset_h=6.0, mrs=2), "DEFUSE-3", ["not met", "met", "met", "met"]),  # age 18–90; bounds included
        (Patient(age=70, nihss=5, onset_h=16.5, mrs=3), "DEFUSE-3", ["met", "not met", "not met", "not met"]),
        (Patient(age=18, nihss=27, onset_h=4.5, mrs=1), "EXTEND", ["met", "not met", "met", "met"]),  # NIHSS 4–26
        (Patient(onset_h=24.0, mrs=2), "DAWN", ["met", "not met"]),
    ],
)
def test_clinical_criteria_at_their_boundaries(patient, trial, want):
    got = verdicts({"core_ml": 5.0}, patient=patient)
    v = next(x for x in got if x.trial == trial)
    assert [c["status"] for c in v.clinical if not c["status"].startswith("not assessed (")] == want
