"""A hospital's DICOM export as a dataset: cases by patient and study, series by their headers, the
CTP series by its time points, ambiguities one line each and resolved with chosen series."""

from __future__ import annotations

import numpy as np
import pytest
from pydicom.uid import generate_uid

from strokeseg.errors import InputError
from strokeseg.io.case import load_case
from strokeseg.io.dicom import SeriesHeaders, write_dicom_series
from strokeseg.io.geometry import Geometry
from strokeseg.io.layouts import open_dataset

G = Geometry((3, 16, 16), (1.5, 1.5, 5.0))


def _study(folder, patient: str, tag: str, flat: bool, extra_ctp: bool = False) -> str:
    """NCCT + CTP (8 frames) + a vendor CBF map of one study, flat in ``folder`` or one sub-folder per series."""
    study = generate_uid()
    rng = np.random.default_rng(len(tag))

    def where(name: str):
        return folder if flat else folder / name

    write_dicom_series(where("ncct"), rng.normal(40, 5, G.shape), G, headers=SeriesHeaders("Head 5mm", patient, study, prefix=f"{tag}nc"))
    ctp = rng.normal(40, 5, (*G.shape, 8))
    write_dicom_series(where("ctp"), ctp, G, np.arange(8) * 1.5, SeriesHeaders("PERFUSION 8CM", patient, study, prefix=f"{tag}ctp"))
    if extra_ctp:  # a short test-bolus series: fewer time points, not the perfusion series
        write_dicom_series(
            where("bolus"), ctp[..., :3], G, np.arange(3) * 2.0, SeriesHeaders("TEST BOLUS", patient, study, prefix=f"{tag}tb")
        )
    write_dicom_series(
        where("cbf"), rng.uniform(10, 60, G.shape), G, headers=SeriesHeaders("RAPID CBF", patient, study, prefix=f"{tag}cbf")
    )
    return study


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    """2 patients × 2 studies: patient A's files all in one flat folder, patient B's in PACS-style nested folders."""
    root = tmp_path_factory.mktemp("pacs") / "export"
    flat = root / "A"
    flat.mkdir(parents=True)
    _study(flat, "PAT-A", "a1", flat=True, extra_ctp=True)
    _study(flat, "PAT-A", "a2", flat=True)
    _study(root / "DICOM" / "PA0001" / "ST0001", "PAT-B", "b1", flat=False)
    _study(root / "DICOM" / "PA0001" / "ST0002", "PAT-B", "b2", flat=False)
    (root / "DICOMDIR").write_bytes(b"\0" * 128 + b"DICM")  # a DICOMDIR is not needed and not an image
    return root


def test_two_patients_two_studies_give_four_cases_with_their_roles(export):
    ds = open_dataset(export)
    assert ds.layout.name == "dicom" and len(ds) == 4
    assert sorted(ds.patients) == ["PAT-A", "PAT-B"]
    for ref in ds.cases:
        assert sorted(ref.images) == ["CBF", "CT"] and sorted(ref.series) == ["CTP"], ref.case_id
        assert ref.case_id.startswith(ref.patient_id.replace("-", "-"))
    a1 = next(r for r in ds.cases if any("TEST BOLUS" in line for line in r.found))
    bolus = next(line for line in a1.found if "TEST BOLUS" in line)
    assert "not used: fewer time points" in bolus  # the perfusion series is the one with the most time points
    assert any("time-resolved CT: 8 time points × 3 positions" in line for line in a1.found)


def test_each_series_of_a_flat_folder_is_read_alone(export):
    ds = open_dataset(export)
    a = next(r for r in ds.cases if r.patient_id == "PAT-A")
    case = load_case(a, with_series=True)
    assert case.images["CT"].shape == G.shape and case.series["CTP"].data.shape == (*G.shape, 8)
    assert 10 <= float(case.images["CBF"].min()) and float(case.images["CBF"].max()) <= 60


def test_two_series_for_one_role_are_one_line_each_and_chosen_with_series(tmp_path):
    root = tmp_path / "one"
    root.mkdir()
    study = _study(root, "P", "x", flat=True)
    write_dicom_series(root, np.full(G.shape, 30.0), G, headers=SeriesHeaders("CBF (other vendor)", "P", study, prefix="y"))
    with pytest.raises(InputError) as err:
        open_dataset(root)
    msg = str(err.value)
    assert "2 series are CBF" in msg and "RAPID CBF" in msg and "--series CBF=" in msg
    import pydicom

    uid = pydicom.dcmread(next(root.glob("y*.dcm")), stop_before_pixels=True).SeriesInstanceUID
    ref = open_dataset(root, series={"CBF": uid}).cases[0]
    assert float(load_case(ref).images["CBF"].mean()) == pytest.approx(30.0)
    with pytest.raises(InputError, match="names no series"):
        open_dataset(root, series={"CBF": "1.2.3"})


def test_one_dicom_file_stands_for_its_series(export):
    one = next((export / "A").glob("a2nc*.dcm"))
    ds = open_dataset(one)
    assert len(ds) == 1 and list(ds.cases[0].images) == ["CT"]
    assert load_case(ds.cases[0]).images["CT"].shape == G.shape


def test_info_lists_each_series_role_and_why(export, capsys):
    from strokeseg.cli import main

    assert main(["info", str(export)]) == 0
    out = capsys.readouterr().out
    assert out.count("CTP    'PERFUSION 8CM'") == 4 and "TEST BOLUS" in out and "Series Description 'RAPID CBF'" in out
