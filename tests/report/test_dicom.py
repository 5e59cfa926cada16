"""DICOM outputs of a phantom case written as a DICOM CT perfusion series: SEG, Secondary Capture and SR read
back with highdicom/pydicom, on the source's geometry and with the read-out's values; dciodvfy finds no error."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest


@pytest.fixture(scope="module")
def dicom_run(cohort, tmp_path_factory):
    from strokeseg.cli import main
    from strokeseg.io.dicom import write_dicom_series
    from strokeseg.io.layouts import open_dataset
    from strokeseg.io.read import read_series

    root = tmp_path_factory.mktemp("dcm")
    ref = open_dataset(cohort).cases[0]
    s = read_series(next(iter(ref.series.values())))
    write_dicom_series(root / "patient" / "CTP", s.data, s.geometry, frame_times=s.frame_times)
    out = root / "out"
    assert main(["threshold", str(root / "patient"), "--out", str(out), "--report", "--age", "72", "--nihss", "16"]) == 0
    return root / "patient" / "CTP", out


def _files(out: Path) -> Path:
    return out / "report" / "patient" / "dicom"


def test_seg_has_core_and_penumbra_on_the_source_grid(dicom_run):
    import highdicom as hd
    import pydicom

    from strokeseg.io.read import read_image

    src, out = dicom_run
    seg = hd.seg.segread(_files(out) / "seg.dcm")
    labels = {int(s.SegmentNumber): str(s.SegmentLabel) for s in seg.SegmentSequence}
    assert labels == {1: "Ischemic core", 2: "Penumbra (Tmax > 6 s, not core)"}
    source = [pydicom.dcmread(f) for f in sorted(src.iterdir())]
    first = [d for d in source if int(d.TemporalPositionIdentifier) == 1]
    assert seg.FrameOfReferenceUID == first[0].FrameOfReferenceUID
    referenced = {i.ReferencedSOPInstanceUID for i in seg.ReferencedSeriesSequence[0].ReferencedInstanceSequence}
    assert referenced == {d.SOPInstanceUID for d in first}  # the first time point's instances
    # the segments, back on the source's slices, equal the label map the read-out wrote
    label = read_image(out / "patient" / "patient_label.nii.gz", integers=True).array
    uids = [d.SOPInstanceUID for d in sorted(first, key=lambda d: float(d.ImagePositionPatient[2]))]
    core = seg.get_pixels_by_source_instance(source_sop_instance_uids=uids, segment_numbers=[1], combine_segments=False)[..., 0]
    pen = seg.get_pixels_by_source_instance(source_sop_instance_uids=uids, segment_numbers=[2], combine_segments=False)[..., 0]
    assert np.array_equal(core > 0, label == 2) and np.array_equal(pen > 0, label == 1)
    # and every frame sits where its source slice does, with the source's orientation and pixel spacing
    positions = {tuple(float(v) for v in d.ImagePositionPatient) for d in first}
    for frame in seg.PerFrameFunctionalGroupsSequence:
        assert tuple(float(v) for v in frame.PlanePositionSequence[0].ImagePositionPatient) in positions
    shared = seg.SharedFunctionalGroupsSequence[0]
    assert [float(v) for v in shared.PlaneOrientationSequence[0].ImageOrientationPatient] == [
        float(v) for v in first[0].ImageOrientationPatient
    ]
    assert [float(v) for v in shared.PixelMeasuresSequence[0].PixelSpacing] == [float(v) for v in first[0].PixelSpacing]


def test_sr_values_equal_the_readout(dicom_run):
    import pydicom

    _, out = dicom_run
    readout = json.loads((out / "patient" / "patient_readout.json").read_text(encoding="utf-8"))
    sr = pydicom.dcmread(_files(out) / "sr.dcm")
    numbers, verdicts = {}, {}

    def walk(items):
        for it in items:
            if it.ValueType == "NUM":
                numbers[it.ConceptNameCodeSequence[0].CodeValue] = float(it.MeasuredValueSequence[0].NumericValue)
            if it.ValueType == "CODE" and it.ConceptNameCodeSequence[0].CodingSchemeDesignator == "99STROKESEG":
                verdicts[it.ConceptNameCodeSequence[0].CodeValue] = it.ConceptCodeSequence[0].CodeMeaning
            walk(getattr(it, "ContentSequence", []))

    walk(sr.ContentSequence)
    for key in ("core_ml", "hypoperfused_ml", "penumbra_ml", "tmax10_ml", "hir"):
        assert numbers[key] == pytest.approx(float(readout[key]), rel=1e-6, abs=1e-6), key
    expected = {v["trial"]: {True: "Yes", False: "No", None: "Not assessable"}[v["eligible"]] for v in readout["eligibility"]}
    assert verdicts == expected and expected["DAWN"] != "Not assessable"  # age and NIHSS given


def test_secondary_captures_are_rgb_pictures_of_the_summary_and_montages(dicom_run):
    import pydicom

    _, out = dicom_run
    scs = sorted(_files(out).glob("sc_*.dcm"))
    assert {p.stem for p in scs} >= {"sc_summary", "sc_CBF", "sc_Tmax"}
    for p in scs:
        ds = pydicom.dcmread(p)
        assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.7" and ds.PhotometricInterpretation == "RGB"
        assert ds.pixel_array.shape[2] == 3 and ds.pixel_array.std() > 5


def test_every_output_has_a_series_description_and_number_in_the_input_study(dicom_run):
    import pydicom

    src, out = dicom_run
    study = {pydicom.dcmread(f, stop_before_pixels=True).StudyInstanceUID for f in Path(src).rglob("*") if f.is_file()}
    seen = {}
    for p in sorted(_files(out).glob("*.dcm")):
        ds = pydicom.dcmread(p, stop_before_pixels=True)
        assert ds.SeriesDescription.startswith("strokeseg ") and len(ds.SeriesDescription) <= 64, p.name
        assert {ds.StudyInstanceUID} == study  # one output study per input study: the input's
        seen[int(ds.SeriesNumber)] = ds.SeriesDescription
    assert len(seen) == len(list(_files(out).glob("*.dcm")))  # one series number each
    assert "strokeseg core and penumbra" in seen.values() and "strokeseg summary" in seen.values()


def test_the_summary_capture_is_a_rendered_panel_in_the_verdict_colours(dicom_run):
    import pydicom

    _, out = dicom_run
    rgb = pydicom.dcmread(_files(out) / "sc_summary.dcm").pixel_array.reshape(-1, 3).astype(int)
    white_boxes = (rgb == 255).all(1).mean()  # the number boxes on the grey page
    assert white_boxes > 0.1 and ((rgb == [0xF4, 0xF4, 0xF4]).all(1)).mean() > 0.2


def test_dciodvfy_reports_no_errors(dicom_run):
    exe = shutil.which("dciodvfy")
    if exe is None:
        pytest.skip("dciodvfy (Debian package dicom3tools) is not installed; 'make test' installs it where apt-get can")
    _, out = dicom_run
    for p in sorted(_files(out).glob("*.dcm")):
        res = subprocess.run([exe, str(p)], capture_output=True, text=True, encoding="utf-8", errors="replace", check=False)
        errors = [ln for ln in (res.stdout + res.stderr).splitlines() if ln.startswith("Error")]
        assert not errors, f"{p.name}: {errors}"


def test_a_reference_series_for_a_cohort_is_refused(threshold_run, dicom_run, cli):
    code, _, err = cli("report", threshold_run, "--dicom-reference", dicom_run[0])
    assert code == 2 and "one case" in err


def test_non_dicom_input_writes_no_dicom_and_a_reference_series_gives_them(threshold_run, dicom_run, tmp_path, cli):
    assert not list((threshold_run / "report").rglob("*.dcm"))
    src, out = dicom_run
    code, _, _ = cli("report", out, "--dicom-reference", src, "--fractional-seg")
    assert code == 0 and (_files(out) / "seg.dcm").exists()
    code, _, _ = cli("report", out, "--no-dicom")
    assert code == 0 and not (_files(out)).exists()


def test_sr_carries_the_plausibility_guard_and_holds_the_verdicts_back(dicom_run, tmp_path):
    """A read-out the guard flagged: the SR lists the warning as an implausible read-out and every verdict is not assessable."""
    import pydicom

    from strokeseg.cli import main
    from strokeseg.clinical.eligibility import verdicts

    _, out = dicom_run
    run = tmp_path / "run"
    shutil.copytree(out, run)
    shutil.rmtree(run / "report")
    path = run / "patient" / "patient_readout.json"
    readout = json.loads(path.read_text(encoding="utf-8"))
    why = "the core lies in both hemispheres (12 ml and 7 ml); an acute infarct rarely does"
    readout["implausible"] = [why]
    readout["warnings"] = [*readout.get("warnings", []), {"code": "core-bilateral", "message": why, "file": None}]
    readout["eligibility"] = [v.to_dict() for v in verdicts(readout, 72, 16)]  # as the read-out writes them
    path.write_text(json.dumps(readout), encoding="utf-8")
    assert main(["report", str(run)]) == 0
    sr = pydicom.dcmread(_files(run) / "sr.dcm")
    found, verdicts = [], {}

    def walk(items):
        for it in items:
            if it.ValueType == "CODE":
                name = it.ConceptNameCodeSequence[0]
                value = it.ConceptCodeSequence[0]
                if name.CodeValue == "implausible":
                    found.append((getattr(value, "LongCodeValue", None) or value.CodeValue, value.CodeMeaning))
                elif name.CodingSchemeDesignator == "99STROKESEG":
                    verdicts[name.CodeValue] = value.CodeMeaning
            walk(getattr(it, "ContentSequence", []))

    walk(sr.ContentSequence)
    assert found == [("core-bilateral", why[:64])]
    assert set(verdicts.values()) == {"Not assessable"}


def _edited_reference(src: Path, dest: Path, edit) -> Path:
    import pydicom

    shutil.copytree(src, dest)
    for f in sorted(dest.iterdir()):
        ds = pydicom.dcmread(f)
        edit(ds)
        ds.save_as(f)
    return dest


def test_a_reference_the_outputs_cannot_point_to_is_refused_before_anything_is_written(dicom_run, tmp_path, cli):
    src, out = dicom_run
    no_uid = _edited_reference(src, tmp_path / "no_uid", lambda ds: delattr(ds, "SOPInstanceUID"))
    code, _, err = cli("threshold", src.parent, "--out", tmp_path / "o1", "--report", "--dicom-reference", no_uid)
    assert code == 2 and "SOPInstanceUID" in err and err.count("\n") == 1
    assert not (tmp_path / "o1").exists()  # refused before the labels were written
    two = tmp_path / "two"
    shutil.copytree(src, two)
    for f in _edited_reference(src, tmp_path / "other", lambda ds: setattr(ds, "SeriesInstanceUID", "1.2.3.4.5")).iterdir():
        shutil.copy(f, two / f"x{f.name}")
    code, _, err = cli("report", out, "--dicom-reference", two)
    assert code == 2 and "2 series" in err


def test_a_reference_without_frame_of_reference_gets_a_new_one(dicom_run, tmp_path, cli):
    import highdicom as hd

    src, out = dicom_run
    no_for = _edited_reference(src, tmp_path / "no_for", lambda ds: delattr(ds, "FrameOfReferenceUID"))
    code, _, err = cli("report", out, "--dicom-reference", no_for)
    assert code == 0, err
    seg = hd.seg.segread(_files(out) / "seg.dcm")
    assert seg.FrameOfReferenceUID and "FrameOfReferenceUID" in err  # a new one, and a note saying so


def test_a_flat_export_with_two_series_in_one_folder_gets_its_dicom_outputs(cohort, tmp_path):
    """A PACS-style folder (the CTP series and a non-contrast CT of the same study side by side): the case is
    found, thresholded, and its SEG references the slices of the case's reference series (the CT) only."""
    import highdicom as hd
    from pydicom.uid import generate_uid

    from strokeseg.cli import main
    from strokeseg.io.dicom import SeriesHeaders, write_dicom_series
    from strokeseg.io.layouts import open_dataset
    from strokeseg.io.read import read_series

    ref = open_dataset(cohort).cases[0]
    s = read_series(next(iter(ref.series.values())))
    flat, study = tmp_path / "export", generate_uid()
    write_dicom_series(flat, s.data, s.geometry, s.frame_times, SeriesHeaders("PERFUSION", "P7", study, prefix="ctp"))
    write_dicom_series(flat, s.data[..., 0], s.geometry, headers=SeriesHeaders("Head", "P7", study, prefix="ncct"))
    assert main(["threshold", str(flat), "--out", str(tmp_path / "o"), "--report"]) == 0
    seg = hd.seg.segread(tmp_path / "o" / "report" / "export" / "dicom" / "seg.dcm")
    import pydicom

    ncct = {str(pydicom.dcmread(f, stop_before_pixels=True).SOPInstanceUID) for f in flat.glob("ncct*.dcm")}
    refs = {str(r.ReferencedSOPInstanceUID) for item in seg.ReferencedSeriesSequence for r in item.ReferencedInstanceSequence}
    assert refs == ncct  # one series' slices, not the folder's every file


def test_the_sr_names_ct_perfusion_for_maps_without_tmax_and_diffusion_only_without_perfusion():
    from types import SimpleNamespace

    from pydicom.sr.codedict import codes

    from strokeseg.io.records import ReadoutRecord
    from strokeseg.report.dicom_export import _procedure

    cbf = ReadoutRecord(case_id="c", perfusion=False, reference_cbf=153.0, inputs={"images": {"CBF": "x"}})
    cbf_only = SimpleNamespace(case_id="c", readout=cbf, perfusion=None)
    assert _procedure(cbf_only) == codes.DCM.PerfusionAnalysisByIVIodinatedContrastCTTechnique
    dwi_rec = ReadoutRecord(case_id="c", perfusion=False, reference_cbf=None, inputs={"images": {"DWI": "x"}})
    dwi = SimpleNamespace(case_id="c", readout=dwi_rec, perfusion=None)
    assert "no perfusion" in str(_procedure(dwi).meaning)
