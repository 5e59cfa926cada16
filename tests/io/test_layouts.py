"""Every layout: written in its exact naming to tmp_path, detected, scanned, loaded."""

import numpy as np
import pytest

from strokeseg.errors import InputError
from strokeseg.io.labels import CORE, PENUMBRA, Region
from strokeseg.io.layouts import detect_layout, open_dataset
from tests.helpers import GEOM, label_volume, make_isles2015, make_isles2018, make_isles2022, make_isles2024, make_manifest


def test_isles2018(tmp_path):
    make_isles2018(tmp_path, n_cases=3)
    ds = open_dataset(tmp_path)
    assert ds.layout.name == "isles2018"
    assert ds.case_ids == ["case_1", "case_2", "case_3"]
    assert ds.patients == ["patient1", "patient2"]  # from patients.csv: cases 1+2 share a patient
    case = ds.load("case_2", with_series=True)
    assert sorted(case.images) == ["CBF", "CBV", "CT", "MTT", "Tmax"]
    assert case.geometry.same_grid(GEOM, atol=1e-4)
    # OT value 1 is core
    np.testing.assert_array_equal(case.label == CORE, label_volume(seed=2) == 2)
    assert set(np.unique(case.label)) <= {0, CORE}
    assert case.series["CTP"].data.shape == (*GEOM.shape, 12)
    assert case.series["CTP"].frame_interval == pytest.approx(1.5)
    assert case.nihss == 12 and case.group == "LVO"
    assert ds.regions == [Region.CORE]


def test_isles2018_single_case_folder_without_patient_table(tmp_path):
    make_isles2018(tmp_path, n_cases=2, patients=False)
    ds = open_dataset(tmp_path / "case_2")
    assert ds.case_ids == ["case_2"] and ds.patients == ["case_2"]


@pytest.mark.parametrize("suffix", [".mha", ".nii"])
def test_isles2015_spes(tmp_path, suffix):
    make_isles2015(tmp_path, spes=True, suffix=suffix)
    ds = open_dataset(tmp_path)
    assert ds.layout.name == "isles2015-spes"
    case = ds.load(ds.cases[0])
    assert sorted(case.images) == sorted(["T1c", "T2", "DWI", "CBF", "CBV", "TTP", "Tmax"])
    assert set(np.unique(case.label)) == {0, PENUMBRA, CORE}
    assert case.region("hypoperfused").sum() == (label_volume(shape=case.geometry.shape, seed=1) > 0).sum()


def test_isles2015_siss(tmp_path):
    make_isles2015(tmp_path, spes=False)
    ds = open_dataset(tmp_path)
    assert ds.layout.name == "isles2015-siss"
    case = ds.load(ds.cases[1])
    assert "FLAIR" in case.images
    assert set(np.unique(case.label)) == {0, CORE}  # SISS lesion → core


def test_isles2022_flair_is_resampled_and_reported(tmp_path):
    make_isles2022(tmp_path, n_cases=2)
    ds = open_dataset(tmp_path)
    assert ds.layout.name == "isles2022"
    case = ds.load(ds.cases[0])
    assert case.images["FLAIR"].shape == case.images["DWI"].shape == (9, 12, 10)
    assert any("resampled (linear)" in n and "flair" in n for n in case.notes)
    assert set(np.unique(case.label)) == {0, CORE}


def test_isles2022_without_rawdata_folder(tmp_path):
    make_isles2022(tmp_path, n_cases=1, with_mask=False)
    ds = open_dataset(tmp_path / "rawdata")
    assert ds.layout.name == "isles2022" and ds.cases[0].label is None


def test_isles2024(tmp_path):
    make_isles2024(tmp_path, n_cases=2)
    ds = open_dataset(tmp_path)
    assert ds.layout.name == "isles2024"
    case = ds.load(ds.cases[1], with_series=True)
    assert sorted(case.images) == ["CBF", "CBV", "CT", "MTT", "Tmax"]
    assert case.series["CTP"].frame_interval == pytest.approx(2.0)
    assert case.nihss == 7
    assert set(np.unique(case.label)) == {0, CORE}


@pytest.mark.parametrize("kind", ["csv", "yaml"])
def test_manifest(tmp_path, kind):
    make_manifest(tmp_path / "m", kind=kind)
    ds = open_dataset(tmp_path / "m")
    assert ds.layout.name == "manifest"
    assert ds.case_ids == ["c01", "c02", "c03"] and ds.patients == ["p1", "p2"]
    case = ds.load("c03")
    assert case.nihss == 11 and case.group == "LVO"
    assert set(np.unique(case.label)) == {0, PENUMBRA, CORE}


def test_manifest_file_path_and_label_map_override(tmp_path):
    make_manifest(tmp_path, kind="csv")
    ds = open_dataset(tmp_path / "manifest.csv", label_map={1: 2, 2: 2})
    assert set(np.unique(ds.load("c01").label)) == {0, CORE}


def test_layout_by_name_must_match(tmp_path):
    make_manifest(tmp_path, kind="csv")
    with pytest.raises(InputError, match="no ISLES 2018 cases"):
        open_dataset(tmp_path, layout="isles2018")
    with pytest.raises(InputError, match="unknown layout 'isles2099'"):
        open_dataset(tmp_path, layout="isles2099")


def test_detection_order_prefers_manifest(tmp_path):
    make_isles2018(tmp_path, n_cases=1)
    make_manifest(tmp_path, kind="csv")
    assert detect_layout(tmp_path).name == "manifest"


def test_real_isles22_case(isles22_case):
    ds = open_dataset(isles22_case.parent)
    assert ds.layout.name == "isles2022" and len(ds) == 1
    case = ds.load(ds.cases[0])
    assert case.geometry.shape == (73, 112, 112)  # (Z, Y, X) = 112×112×73 (x×y×z)
    assert case.geometry.spacing == pytest.approx((2.0, 2.0, 2.0), abs=1e-3)
    assert sorted(case.images) == ["ADC", "DWI"]
    # the expert mask in derivatives/ is found: 835 voxels of 8 mm³ = 6.7 ml (../shared/data/README.md)
    assert case.label is not None and int((case.label > 0).sum()) == 835
    assert float((case.label > 0).sum() * case.geometry.voxel_volume_ml) == pytest.approx(6.68)
    assert 0.3 < float(np.median(case.images["ADC"][case.images["ADC"] > 0.1])) < 3.0  # 1e-3 mm²/s units


def test_every_registered_layout_is_documented_and_tested():
    """Found from the registry: a new layout fails here until docs/reference/data.md describes it and a test
    under tests/ names it."""
    from pathlib import Path

    from strokeseg.io.layouts import LAYOUTS

    root = Path(__file__).resolve().parents[2]
    doc = (root / "docs" / "reference" / "data.md").read_text(encoding="utf-8")
    tests = "\n".join(p.read_text(encoding="utf-8") for p in (root / "tests").rglob("test_*.py"))
    for name in LAYOUTS:
        assert f"`{name}`" in doc, f"layout {name} is not in docs/reference/data.md"
        assert f'"{name}"' in tests, f"no test names the layout {name}"


def test_a_perfusion_output_and_a_lone_series_file_are_datasets(tmp_path):
    import numpy as np

    from strokeseg.io.geometry import Geometry
    from strokeseg.io.layouts import detect_layout, open_dataset
    from strokeseg.io.nifti import write_nifti
    from strokeseg.io.records import write_record

    g = Geometry((2, 8, 8), (2.0, 2.0, 5.0))
    maps = tmp_path / "maps" / "c1"
    maps.mkdir(parents=True)
    for m in ("CBF", "Tmax"):
        write_nifti(maps / f"{m}.nii.gz", np.ones(g.shape, np.float32), g)
    write_record("perfusion", maps / "perfusion.json", {"source": "ctp.nii.gz", "frames": 30})
    assert detect_layout(tmp_path / "maps").name == "strokeseg-maps"
    assert [r.case_id for r in open_dataset(tmp_path / "maps").cases] == ["c1"]
    series = write_nifti(tmp_path / "ctp_7.nii.gz", np.ones((*g.shape, 5), np.float32), g, frame_interval=1.5)
    assert detect_layout(series).name == "series-file"
    assert [r.case_id for r in open_dataset(series).cases] == ["ctp_7"]
