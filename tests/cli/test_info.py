import json

from tests.helpers import make_isles2018


def test_info_real_isles22_case(cli, isles22_case):
    code, out, _ = cli("info", isles22_case)
    assert code == 0
    assert "layout    isles2022" in out
    assert "cases     1   patients 1" in out
    assert "112×112×73" in out and "2×2×2 mm" in out
    assert "DWI" in out and "ADC" in out
    assert "problems: none" in out


def test_info_dataset_volumes_and_json(tmp_path, cli):
    make_isles2018(tmp_path / "d", n_cases=2)
    code, out, _ = cli("info", tmp_path / "d", "--json", tmp_path / "info.json")
    assert code == 0
    d = json.loads((tmp_path / "info.json").read_text(encoding="utf-8"))
    assert d["layout"] == "isles2018" and d["n_cases"] == 2 and d["n_patients"] == 1
    case = d["cases"][0]
    assert case["series_info"]["CTP"]["frames"] == 12
    # 24 core voxels of 0.9×0.8×5 mm = 0.0864 ml
    assert abs(case["volumes_ml"]["core"] - case["label_voxels"]["core"] * 0.9 * 0.8 * 5 / 1000) < 1e-9
    assert "CTP 12 frames @ 1.5 s" in out


def test_info_single_file(cli, isles22_case):
    f = next(isles22_case.rglob("*_adc.nii.gz"))
    code, out, _ = cli("info", f)
    assert code == 0 and "112×112×73" in out and "spacing 2×2×2 mm" in out
