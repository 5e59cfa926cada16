"""The ISLES'22 grand-challenge container layout: images/<slug>/<uuid>.mha plus parameter JSON."""

from __future__ import annotations

import json

import numpy as np

from strokeseg.io.case import load_case
from strokeseg.io.geometry import Geometry
from strokeseg.io.itk import write_itk
from strokeseg.io.layouts import open_dataset
from tests.helpers import SHARED, shared_or_skip

REAL = SHARED / "data" / "real" / "isles2022-grand-challenge"


def make_case(folder, uid="1234abcd-0000-1111-2222-333344445555"):
    g = Geometry((6, 10, 9), (1.8, 1.8, 4.8))
    flair_g = Geometry((12, 20, 18), (0.9, 0.9, 2.4))
    for slug, geom, val in (("dwi", g, 300.0), ("adc", g, 800.0), ("flair", flair_g, 200.0)):
        d = folder / "images" / f"{slug}-brain-mri"
        d.mkdir(parents=True)
        name = uid if slug == "dwi" else f"{slug}{uid[len(slug) :]}"  # each interface has its own uuid
        write_itk(d / f"{name}.mha", np.full(geom.shape, val, np.float32), geom)
    (folder / "dwi-mri-acquisition-parameters.json").write_text(json.dumps({"PatientAge": "071Y", "PatientSex": "M"}), encoding="utf-8")
    return uid


def test_a_grand_challenge_case_is_detected_and_read(tmp_path):
    uid = make_case(tmp_path / "gc")
    ds = open_dataset(tmp_path / "gc")
    assert ds.layout.name == "isles2022-grand-challenge" and [c.case_id for c in ds.cases] == [uid]
    case = load_case(ds.cases[0])
    assert sorted(case.images) == ["ADC", "DWI", "FLAIR"] and case.geometry.shape == (6, 10, 9)
    assert case.clinical == {"age": 71, "sex": "M"}
    assert any("FLAIR" in n or "flair" in n for n in case.notes)  # resampled onto the DWI grid


def test_several_grand_challenge_cases_in_one_folder(tmp_path):
    a = make_case(tmp_path / "all" / "one", "aaaaaaaa-0000-1111-2222-333344445555")
    b = make_case(tmp_path / "all" / "two", "bbbbbbbb-0000-1111-2222-333344445555")
    assert [c.case_id for c in open_dataset(tmp_path / "all").cases] == [a, b]


def test_the_real_grand_challenge_case(tmp_path, capsys):
    ds = open_dataset(shared_or_skip(REAL))
    assert ds.layout.name == "isles2022-grand-challenge"
    case = load_case(ds.cases[0])
    assert case.case_id == "33f8cf8d-ea3b-45ec-ac0d-6965fcd3093c"  # the DWI uuid, as expected_output.json names it
    assert case.geometry.shape == (25, 128, 128)
    np.testing.assert_allclose(case.geometry.spacing, (1.797, 1.797, 4.8), atol=1e-3)
    assert sorted(case.images) == ["ADC", "DWI", "FLAIR"] and case.clinical.get("age") == 88
    from strokeseg.cli import main

    assert main(["threshold", str(REAL), "--out", str(tmp_path / "o")]) == 0
    assert "n/a (no perfusion)" in capsys.readouterr().out
