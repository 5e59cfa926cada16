"""Compressed DICOM: JPEG-lossless, JPEG-LS and JPEG 2000 decode through GDCM (SimpleITK); modalities
are recognised from the headers; a transfer syntax that cannot be decoded is named in one line."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from strokeseg.io.dicom import describe_transfer_syntax, modality_from_headers, transfer_syntax
from strokeseg.io.layouts import open_dataset
from strokeseg.io.read import read_image
from tests.helpers import SHARED, shared_or_skip

UNITO = SHARED / "data" / "real" / "unitobrain-dicom"
JPEG_LOSSLESS_SV1 = "1.2.840.10008.1.2.4.70"
JPEG_LS = "1.2.840.10008.1.2.4.80"


@pytest.fixture
def unito():
    return shared_or_skip(UNITO)


def _one_file_folder(tmp_path, src, name):
    import shutil

    d = tmp_path / name
    d.mkdir()
    shutil.copy(src, d / src.name)
    return d


def test_the_real_jpeg_lossless_ct_frame_decodes(unito, tmp_path):
    src = unito / "IM-0001-0001-0001.dcm"
    assert transfer_syntax(src) == JPEG_LOSSLESS_SV1
    vol = read_image(_one_file_folder(tmp_path, src, "frame"))
    assert vol.array.shape == (1, 512, 512)
    assert (vol.array.min(), vol.array.max()) == (-3024.0, 2528.0)  # HU, as SimpleITK/GDCM decode it
    assert vol.geometry.spacing[2] == pytest.approx(5.0)  # one slice: its thickness from the header, not 1 mm
    inside = vol.array[vol.array > -500]
    assert 20 < float(np.median(inside)) < 60  # brain tissue in HU: a correctly decoded image, not noise


def test_modalities_come_from_the_headers_not_the_folder_names(unito, tmp_path):
    case = tmp_path / "case"
    case.mkdir()
    for src, folder in ((unito / "IM-0001-0001-0001.dcm", "series_a"), (unito / "NLR_CBV00003.dcm", "series_b")):
        _one_file_folder(case, src, folder)
    ds = open_dataset(case)
    # the CT frame (patient MOL-001) and the derived CBV map (patient 0, another study) are two cases, each
    # series named by its headers (PERFUSIONE frame: original CT; NLR_CBV: CBV), not by its folder
    assert ds.layout.name == "dicom" and {r.patient_id: sorted(r.images) for r in ds.cases} == {"MOL-001": ["CT"], "0": ["CBV"]}


def test_the_real_export_folder_is_grouped_by_patient_and_study(unito):
    """The three real files in one folder: three series of two patient ids and two studies → three cases."""
    ds = open_dataset(unito)
    roles = sorted((r.patient_id, role) for r in ds.cases for role in r.images)
    assert len(ds) == 3 and roles == [("0", "CBV"), ("0", "CT"), ("MOL-001", "CT")]
    assert all(len(r.found) == 1 for r in ds.cases)


def test_header_words_name_the_modality():
    assert modality_from_headers({"0008|0060": "CT", "0008|103e": "NLR_CBV ", "0008|0008": "DERIVED\\SECONDARY"}, False) == "CBV"
    assert modality_from_headers({"0008|0060": "MR", "0008|103e": "ep2d_diff TRACEW"}, False) == "DWI"
    assert modality_from_headers({"0008|0060": "MR", "0008|103e": "ADC map"}, False) == "ADC"
    assert modality_from_headers({"0008|0060": "CT", "0008|103e": "Tmax (s)"}, False) == "Tmax"
    assert modality_from_headers({"0008|0060": "CT", "0008|103e": "PERFUSIONE 8 CM"}, True) == "CTP"
    assert modality_from_headers({"0008|0060": "CT", "0008|0008": "ORIGINAL\\PRIMARY\\AXIAL"}, False) == "CT"
    assert modality_from_headers({"0008|0060": "OT"}, False) is None


def _write_encapsulated(path, arr):
    """A DICOM in explicit VR with encapsulated pixel data (GDCM's JPEG lossless), to re-encode."""
    import SimpleITK as sitk

    w = sitk.ImageFileWriter()
    w.SetFileName(str(path))
    w.SetImageIO("GDCMImageIO")
    w.UseCompressionOn()
    w.SetCompressor("JPEG")
    w.Execute(sitk.GetImageFromArray(arr))


def _encapsulate(path, fragment: bytes, uid: str) -> None:
    """Replace an encapsulated DICOM's pixel data by one fragment in transfer syntax ``uid``."""
    data = path.read_bytes()
    old = transfer_syntax(path)
    assert old is not None and len(old) == len(uid)
    i = data.find(old.encode(), 0, 2048)
    data = data[:i] + uid.encode() + data[i + len(old) :]
    tag = data.rfind(b"\xe0\x7f\x10\x00")
    frag = fragment + (b"\0" if len(fragment) % 2 else b"")
    pixel = (
        b"\xe0\x7f\x10\x00OB\0\0\xff\xff\xff\xff"
        + b"\xfe\xff\x00\xe0"
        + struct.pack("<I", 0)
        + b"\xfe\xff\x00\xe0"
        + struct.pack("<I", len(frag))
        + frag
        + b"\xfe\xff\xdd\xe0"
        + struct.pack("<I", 0)
    )
    path.write_bytes(data[:tag] + pixel)


@pytest.mark.parametrize("codec", ["JPEG2000", "JPEG"])
def test_gdcm_round_trips_jpeg_2000_and_jpeg_lossless(tmp_path, codec):
    import SimpleITK as sitk

    arr = (np.arange(48 * 40).reshape(1, 48, 40) % 700 - 200).astype(np.int16)
    d = tmp_path / codec
    d.mkdir()
    w = sitk.ImageFileWriter()
    w.SetFileName(str(d / "im.dcm"))
    w.SetImageIO("GDCMImageIO")
    w.UseCompressionOn()
    w.SetCompressor(codec)
    w.Execute(sitk.GetImageFromArray(arr))
    assert transfer_syntax(d / "im.dcm").startswith("1.2.840.10008.1.2.4.")
    assert np.array_equal(read_image(d).array, arr.astype(np.float32))


def test_jpeg_ls_decodes(tmp_path):
    jpeg_ls = pytest.importorskip("jpeg_ls", reason="pyjpegls (the test extra) encodes the JPEG-LS test file")
    arr = (np.arange(48 * 40).reshape(48, 40) % 900).astype(np.uint16)
    d = tmp_path / "jls"
    d.mkdir()
    _write_encapsulated(d / "im.dcm", arr[None])
    _encapsulate(d / "im.dcm", bytes(jpeg_ls.encode(arr)), JPEG_LS)
    assert "JPEG-LS Lossless" in describe_transfer_syntax(d / "im.dcm")
    assert np.array_equal(read_image(d).array[0], arr.astype(np.float32))


def test_an_undecodable_transfer_syntax_is_named_in_one_line(tmp_path, capsys):
    from strokeseg.cli import main

    arr = (np.arange(48 * 40).reshape(1, 48, 40) % 900).astype(np.uint16)
    d = tmp_path / "case" / "ct"
    d.mkdir(parents=True)
    _write_encapsulated(d / "im.dcm", arr)
    _encapsulate(d / "im.dcm", b"\xff\xd8 not a codestream \xff\xd9", "1.2.840.10008.1.2.4.91")
    code = main(["threshold", str(tmp_path / "case"), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1 and "1.2.840.10008.1.2.4.91 (JPEG 2000)" in lines[0] and "im.dcm" in lines[0]
