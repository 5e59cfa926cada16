"""The run folder's records: written and read through their schemas; a damaged record is one clear error."""

from __future__ import annotations

import json

import pytest

from strokeseg.errors import InputError
from strokeseg.io.records import FORMAT, SCHEMAS, RecordError, read_record, validate, write_record

GOOD = {
    "readout": {
        "case_id": "c1",
        "maps": "given maps",
        "core_ml": 3.6,
        "hypoperfused_ml": 14.4,
        "penumbra_ml": 10.8,
        "mismatch_ratio": "inf",
        "tmax10_ml": 9.3,
        "hir": 0.64,
        "defuse3": False,
        "extend": None,
        "reference_cbf": 18.9,
        "perfusion": True,
        "notes": ["a note"],
        "warnings": [],
        "thresholds": {"tmax_hypoperfused": 6.0, "reference": "contralateral"},
        "clinical": {"age": 71, "nihss": None, "age_from": "patients.csv"},
        "eligibility": [{"trial": "DEFUSE-3", "eligible": False, "rule": "core < 70 ml"}],
        "seconds": 0.5,
    },
    "volumes": {"case_id": "c1", "core_ml": 20.5, "penumbra_ml": None, "threshold": 0.5, "min_size": 1, "models": 2, "tta": False},
    "perfusion": {"source": "ctp.nii.gz", "frames": 30, "frame_interval_s": 1.5, "aif": {"voxels": 12, "curve": [0.0, 1.0]}},
    "summary": {"regions": ["core"], "protocol": "isles22", "cases": [{"case_id": "c1", "dice": 0.8}], "files": {}},
}


@pytest.mark.parametrize("kind", sorted(SCHEMAS))
def test_every_record_round_trips_with_its_format(kind, tmp_path):
    path = write_record(kind, tmp_path / f"{kind}.json", GOOD[kind])
    back = read_record(kind, path)
    assert back == {"format": FORMAT, **GOOD[kind]}


@pytest.mark.parametrize(
    ("kind", "edit", "names"),
    [
        ("readout", {"core_ml": "lots"}, "'core_ml' is str"),
        ("readout", {"core_ml": -1.0}, "'core_ml' is -1.0, outside"),
        ("readout", {"hir": 1.7}, "'hir' is 1.7"),
        ("readout", {"defuse3": "yes"}, "'defuse3' is str"),
        ("readout", {"mismatch_ratio": [1, 2]}, "'mismatch_ratio' is list"),
        ("readout", {"clinical": {"age": "old"}}, "'clinical.age' is str"),
        ("readout", {"eligibility": [{"eligible": True}]}, "'eligibility[0].trial' is missing"),
        ("readout", {"core_mls": 3.0}, "unknown key 'core_mls'"),
        ("readout", {"case_id": None}, "'case_id' is null"),
        ("volumes", {"models": True}, "'models' is True"),
        ("perfusion", {"frames": 0}, "'frames' is 0, outside"),
        ("summary", {"cases": [{"dice": 1.0}]}, "'cases[0].case_id' is missing"),
        ("summary", {"format": FORMAT + 1}, f"format {FORMAT + 1}, newer"),
    ],
)
def test_a_damaged_record_is_refused_naming_the_key(kind, edit, names, tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps({**GOOD[kind], **edit}), encoding="utf-8")
    with pytest.raises(InputError, match=r"r\.json") as err:
        read_record(kind, path)
    assert names in str(err.value) and "\n" not in str(err.value)


def test_non_objects_non_json_and_non_finite_numbers_are_refused(tmp_path):
    path = tmp_path / "r.json"
    for text, names in (("[1, 2]", "not a JSON object"), ("{", "not valid JSON"), ('{"case_id": "c", "core_ml": NaN}', "'core_ml' is nan")):
        path.write_text(text, encoding="utf-8")
        with pytest.raises(InputError, match=r"r\.json") as err:
            read_record("readout", path)
        assert names in str(err.value)
    with pytest.raises(RecordError):
        validate("readout", {"case_id": "c", "reference_cbf": float("inf")})


def test_a_producer_that_writes_an_unknown_key_fails_at_once(tmp_path):
    with pytest.raises(RecordError, match="unknown key 'colour'"):
        write_record("readout", tmp_path / "r.json", {**GOOD["readout"], "colour": "red"})
    assert not (tmp_path / "r.json").exists()
