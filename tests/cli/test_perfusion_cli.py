import json

import numpy as np
import pytest

from strokeseg.io.geometry import Geometry
from strokeseg.io.nifti import read_nifti, write_nifti
from strokeseg.io.read import read_series


@pytest.fixture(scope="module")
def phantom_dir(tmp_path_factory):
    from strokeseg.cli import main

    out = tmp_path_factory.mktemp("ph") / "cohort"
    assert main(["phantom", "--cases", "2", "--seed", "3", "--slices", "2", "--frames", "40", "--out", str(out)]) == 0
    return out


def test_phantom_command_writes_isles2018(phantom_dir):
    assert (phantom_dir / "patients.csv").exists() and (phantom_dir / "case_1" / "strokeseg_truth" / "CBF.nii.gz").exists()
    meta = json.loads((phantom_dir / "case_1" / "strokeseg_truth" / "phantom.json").read_text(encoding="utf-8"))
    assert meta["frames"] == 40 and meta["seed"] > 0


def test_perfusion_on_a_series_file_keeps_geometry(phantom_dir, tmp_path, cli):
    series_file = next((phantom_dir / "case_1").glob("SMIR.Brain.XX.O.CT_4DPWI.*/*.nii"))
    code, out, _ = cli("perfusion", series_file, "--out", tmp_path / "maps", "--method", "osvd")
    assert code == 0 and "AIF from" in out
    cbf, geom = read_nifti(tmp_path / "maps" / "CBF.nii.gz")
    assert geom.same_grid(read_series(series_file).geometry, atol=1e-4)
    info = json.loads((tmp_path / "maps" / "perfusion.json").read_text(encoding="utf-8"))
    assert info["modality"] == "ct" and info["method"] == "osvd" and len(info["aif"]["curve"]) == 40
    assert cbf.max() > 0


def test_parametric_perfusion_writes_maps_with_the_series_geometry(phantom_dir, tmp_path, cli):
    series_file = next((phantom_dir / "case_1").glob("SMIR.Brain.XX.O.CT_4DPWI.*/*.nii"))
    code, _, _ = cli("perfusion", series_file, "--out", tmp_path / "maps", "--method", "parametric")
    assert code == 0
    tmax, geom = read_nifti(tmp_path / "maps" / "Tmax.nii.gz")
    assert geom.same_grid(read_series(series_file).geometry, atol=1e-4)
    info = json.loads((tmp_path / "maps" / "perfusion.json").read_text(encoding="utf-8"))
    assert info["method"] == "parametric" and info["config"]["parametric_convolution"] == "continuous"
    assert 0 < info["regularisation"]["median"] <= 1  # the explained energy of the fit
    assert np.isfinite(tmax).all() and tmax.max() > 0


def test_perfusion_on_a_dataset_and_threshold_round_trip(phantom_dir, tmp_path, cli):
    code, _, _ = cli("perfusion", phantom_dir, "--out", tmp_path / "maps", "--method", "tikhonov-gcv")
    assert code == 0 and (tmp_path / "maps" / "case_2" / "Tmax.nii.gz").exists()
    code, out, _ = cli("threshold", phantom_dir, "--out", tmp_path / "thr", "--truth", phantom_dir)
    assert code == 0
    assert "DEFUSE-3" in out and "thresholds: Tmax > 6 s" in out and "Threshold method vs ground truth" in out
    label, _ = read_nifti(tmp_path / "thr" / "case_1" / "case_1_label.nii.gz")
    assert set(np.unique(label)) <= {0, 1, 2}
    ro = json.loads((tmp_path / "thr" / "case_1" / "case_1_readout.json").read_text(encoding="utf-8"))
    assert {"core_ml", "hypoperfused_ml", "penumbra_ml", "mismatch_ratio", "tmax10_ml", "hir", "defuse3", "extend", "thresholds"} <= set(ro)
    assert (tmp_path / "thr" / "readout.csv").read_text(encoding="utf-8").startswith("case_id,core_ml")
    assert (tmp_path / "thr" / "evaluation" / "per_case.csv").exists()


def _series(tmp_path, frames=20, flat=False):
    tmp_path = tmp_path / "in"
    tmp_path.mkdir(exist_ok=True)
    g = Geometry((2, 30, 30), (2.0, 2.0, 5.0))
    t = np.arange(frames)
    bolus = 0 if flat else 40 * np.exp(-0.5 * ((t - 8) / 2.0) ** 2)
    data = np.full((*g.shape, frames), 30.0, np.float32)
    data[:, 5:25, 5:25, :] += bolus
    data[:, :2] = data[:, -2:] = 1200.0  # skull
    data[:, :, :2] = data[:, :, -2:] = 1200.0
    write_nifti(tmp_path / "s.nii.gz", data, g, frame_interval=1.0)
    return tmp_path / "s.nii.gz"


def _one_line(err):
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("strokeseg: error: "), err
    return lines[0]


def test_fewer_than_10_frames(tmp_path, cli):
    f = _series(tmp_path, frames=8)
    code, _, err = cli("perfusion", f, "--out", tmp_path / "o")
    assert code == 2 and "8 frames; at least 10" in _one_line(err) and not (tmp_path / "o").exists()


def test_flat_curves_no_bolus(tmp_path, cli):
    f = _series(tmp_path, flat=True)
    code, _, err = cli("perfusion", f, "--out", tmp_path / "o", "--modality", "ct")
    assert code == 2 and "no bolus" in _one_line(err) and not (tmp_path / "o").exists()


def test_nan_frames(tmp_path, cli):
    f = _series(tmp_path)
    data, g, _ = __import__("strokeseg.io.nifti", fromlist=["x"]).read_nifti_series(f)
    data[0, 10, 10, 5] = np.nan
    write_nifti(f, data, g, frame_interval=1.0)
    code, _, err = cli("perfusion", f, "--out", tmp_path / "o")
    assert code == 2 and "s.nii.gz" in _one_line(err) and "NaN" in _one_line(err)


def test_mismatched_3d_4d_grids(tmp_path, cli):
    f = _series(tmp_path)
    write_nifti(f.parent / "ct.nii.gz", np.zeros((2, 20, 20), np.float32), Geometry((2, 20, 20), (3.0, 3.0, 5.0)))
    (f.parent / "manifest.csv").write_text("case_id,image:CT,series:CTP\nc1,ct.nii.gz,s.nii.gz\n", encoding="utf-8")
    code, _, err = cli("perfusion", f.parent / "manifest.csv", "--out", tmp_path / "o")
    assert code == 2 and "does not match the case grid" in _one_line(err)


def test_adc_of_unknown_units(tmp_path, cli):
    g = Geometry((2, 20, 20), (2.0, 2.0, 2.0))
    (tmp_path / "in").mkdir()
    write_nifti(tmp_path / "in" / "adc.nii.gz", np.full(g.shape, 55.0, np.float32), g)
    (tmp_path / "in" / "manifest.csv").write_text("case_id,image:ADC\nc1,adc.nii.gz\n", encoding="utf-8")
    code, _, err = cli("threshold", tmp_path / "in" / "manifest.csv", "--out", tmp_path / "o")
    assert code == 2 and "ADC of unknown units" in _one_line(err) and not (tmp_path / "o").exists()
