"""The run folder's records: written and read through their schemas; a damaged record is one clear error."""

from __future__ import annotations

import json

import pytest

from strokeseg.errors import InputError
from strokeseg.io.records import (
    FORMAT,
    RECORDS,
    SCHEMAS,
    PerfusionRecord,
    ReadoutRecord,
    RecordError,
    SummaryRecord,
    VolumesRecord,
    read_record,
    validate,
    write_record,
)

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
    "maps-summary": {"cases": [{"case_id": "c1", "modality": "ct", "method": "tikhonov-lcurve", "brain_voxels": 900, "warnings": []}]},
}


@pytest.mark.parametrize("kind", sorted(SCHEMAS))
def test_every_record_round_trips_with_its_format(kind, tmp_path):
    path = write_record(kind, tmp_path / f"{kind}.json", GOOD[kind])
    back = read_record(kind, path)
    assert isinstance(back, RECORDS[kind])
    assert back.to_json() == {"format": FORMAT, **GOOD[kind]}
    assert back == {"format": FORMAT, **GOOD[kind]}  # a read-only mapping of its JSON form too
    assert RECORDS[kind].from_json(json.loads(path.read_text(encoding="utf-8"))).to_json() == back.to_json()


def test_a_record_is_a_frozen_dataclass_read_by_attribute():
    rec = ReadoutRecord.from_json(GOOD["readout"])
    assert (rec.case_id, rec.core_ml, rec.mismatch_ratio, rec.extend, rec.eligibility[0]["trial"]) == ("c1", 3.6, "inf", None, "DEFUSE-3")
    assert rec.format == FORMAT and rec.tmax10_ml == 9.3
    with pytest.raises(AttributeError):
        rec.core_ml = 1.0  # type: ignore[misc]
    assert set(ReadoutRecord.schema().keys) == set(ReadoutRecord.field_names()) == set(SCHEMAS["readout"].keys)


def test_a_null_stays_apart_from_an_absent_key():
    rec = VolumesRecord.from_json(GOOD["volumes"])
    assert rec.penumbra_ml is None and "penumbra_ml" in rec and "penumbra_ml" in rec.to_json()
    assert rec.hypoperfused_ml is None and "hypoperfused_ml" not in rec and "hypoperfused_ml" not in rec.to_json()
    assert rec.get("hypoperfused_ml", "absent") == "absent"


def test_a_consumer_asking_a_closed_record_for_an_unknown_key_fails():
    rec = ReadoutRecord.from_json(GOOD["readout"])
    assert rec.get("hypoperfused_ml") == 14.4
    with pytest.raises(RecordError, match="no key 'core_volume'"):
        rec.get("core_volume")
    with pytest.raises(RecordError, match="no key 'regionz'"):
        SummaryRecord.from_json(GOOD["summary"])["regionz"]


def test_an_open_record_keeps_the_keys_beyond_its_schema():
    rec = PerfusionRecord.from_json({**GOOD["perfusion"], "config": {"method": "osvd"}})
    assert rec.frames == 30 and rec.extra == {"config": {"method": "osvd"}} and rec["config"] == {"method": "osvd"}
    assert rec.to_json()["config"] == {"method": "osvd"} and rec.get("anything") is None


def test_a_record_built_in_code_is_checked_as_a_read_one_is():
    assert ReadoutRecord(case_id="c1", core_ml=2.0).to_json() == {"format": FORMAT, "case_id": "c1", "core_ml": 2.0}
    with pytest.raises(RecordError, match=r"'core_ml' is -2\.0"):
        ReadoutRecord(case_id="c1", core_ml=-2.0)
    with pytest.raises(RecordError, match="'case_id' is missing"):
        VolumesRecord(core_ml=1.0)


def test_a_record_written_before_the_format_key_reads_as_format_1(tmp_path):
    path = tmp_path / "perfusion.json"
    path.write_text(json.dumps(GOOD["perfusion"]), encoding="utf-8")
    assert PerfusionRecord.read(path).format == 1


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
        ("maps-summary", {"cases": [{"case_id": "c1", "aif_voxels": -3}]}, "'cases[0].aif_voxels' is -3"),
        ("maps-summary", {"cases": [{"case_id": "c1", "colour": 1}]}, "unknown key 'cases[0].colour'"),
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
