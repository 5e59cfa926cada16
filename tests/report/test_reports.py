"""Reports of a phantom cohort run of each command: pages exist, reference only files beside them, carry no
external URL, and show the read-outs' numbers; the report replaces an earlier one whole; bad folders fail cleanly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.report.pages import check_page, parse, same_value


def _check_viewer(folder: Path, html: str) -> None:
    """The slice viewer's sprite geometry lies inside each montage PNG, one tile per slice."""
    import re

    from PIL import Image

    slices = int(re.search(r'id="slice" min="1" max="(\d+)"', html).group(1))
    for m in re.finditer(
        r'data-src="([^"]+)" data-x="(\d+)" data-y="(\d+)" data-width="(\d+)" data-height="(\d+)"\s*'
        r'data-cols="(\d+)" data-tw="(\d+)" data-th="([\d.]+)" data-gap="(\d+)" data-gapy="([\d.]+)"',
        html,
    ):
        src, x, y, width, height, cols, tw, th, gap, gapy = m.groups()
        with Image.open(folder / src) as im:
            assert im.size == (int(width), int(height)), src
        rows = -(-slices // int(cols))
        assert int(x) + int(cols) * (int(tw) + int(gap)) - int(gap) <= int(width)  # the last column inside the PNG
        assert int(y) + rows * (float(th) + float(gapy)) - float(gapy) <= int(height) + 1  # the last row too


def _cases(out: Path) -> list[Path]:
    return sorted(p for p in out.iterdir() if p.is_dir() and (p / f"{p.name}_readout.json").exists())


def test_threshold_case_pages_show_the_readout_numbers_and_verdicts(threshold_run):
    cases = _cases(threshold_run)
    assert len(cases) == 3
    for case in cases:
        readout = json.loads((case / f"{case.name}_readout.json").read_text(encoding="utf-8"))
        page = check_page(threshold_run / "report" / case.name / "index.html")
        for key in ("core_ml", "hypoperfused_ml", "penumbra_ml", "mismatch_ratio", "tmax10_ml", "hir"):
            assert same_value(page.values[key], readout[key]), (case.name, key, page.values[key], readout[key])
        assert page.verdicts == [str(v["eligible"]) for v in readout["eligibility"]]
        assert [v["trial"] for v in readout["eligibility"]] == ["DEFUSE-3", "EXTEND", "DAWN"]
        assert readout["eligibility"][0]["eligible"] is readout["defuse3"] and readout["eligibility"][1]["eligible"] is readout["extend"]
        # the phantom's clinical table gives age and NIHSS: DAWN is decided
        assert readout["clinical"]["age"] is not None and readout["eligibility"][2]["eligible"] is not None
        html = (threshold_run / "report" / case.name / "index.html").read_text(encoding="utf-8")
        assert "overlap_core.png" in html and "Tmax.png" in html and "CT.png" in html
        _check_viewer(threshold_run / "report" / case.name, html)


def test_threshold_cohort_page_links_every_case_with_its_core_and_dice(threshold_run):
    index = threshold_run / "report" / "index.html"
    page = check_page(index)
    html = index.read_text(encoding="utf-8")
    per_case = {r["case_id"]: r for r in json.loads((threshold_run / "evaluation" / "summary.json").read_text(encoding="utf-8"))["cases"]}
    for case in _cases(threshold_run):
        assert f"{case.name}/index.html" in page.refs
        core = json.loads((case / f"{case.name}_readout.json").read_text(encoding="utf-8"))["core_ml"]
        assert f'data-sort="{core}"' in html
        assert f'data-sort="{per_case[case.name]["dice"]}"' in html or per_case[case.name]["region"] != "core"
    for png in ("volume_scatter.png", "bland_altman.png", "dice_by_group.png"):
        assert (threshold_run / "report" / png).stat().st_size > 1000


def test_perfusion_report_shows_qc_with_aif_and_flags(cohort, tmp_path):
    from strokeseg.cli import main

    out = tmp_path / "perf"
    assert main(["perfusion", str(cohort), "--out", str(out), "--report"]) == 0
    for case in sorted(p for p in out.iterdir() if (p / "perfusion.json").exists()):
        info = json.loads((case / "perfusion.json").read_text(encoding="utf-8"))
        page = out / "report" / case.name / "index.html"
        check_page(page)
        html = page.read_text(encoding="utf-8")
        assert "aif_vof.png" in html and "aif_location.png" in html
        assert f"<th>AIF voxels</th><td>{info['aif']['voxels']}</td>" in html
        assert html.count("FLAGGED") == len(info["qc"]["flagged"])
        # strokeseg computed these maps: their conventional unit, whatever their values, never "vendor units"
        assert "CBF (ml/100 g/min)" in html and "vendor units" not in html
    check_page(out / "report" / "index.html")


def test_report_command_replaces_an_earlier_report_whole(threshold_run, cli):
    old = threshold_run / "report" / "stale.txt"
    old.write_text("from an earlier report", encoding="utf-8")
    code, out, _ = cli("report", threshold_run)
    assert code == 0 and "index.html" in out
    assert not old.exists() and (threshold_run / "report" / "index.html").exists()
    assert not [p for p in threshold_run.iterdir() if p.name.startswith(".strokeseg-stage")]


def test_report_refuses_a_folder_no_command_wrote(tmp_path, cli):
    (tmp_path / "x").mkdir()
    code, _, err = cli("report", tmp_path / "x")
    assert code == 2 and err.count("\n") == 1 and "not the output folder" in err
    assert not (tmp_path / "x" / "report").exists()


def test_age_and_nihss_for_a_cohort_are_refused(threshold_run, cli):
    code, _, err = cli("report", threshold_run, "--age", "70")
    assert code == 2 and "one patient" in err


def test_age_and_nihss_on_the_command_line_decide_dawn(cohort, tmp_path, cli):
    import shutil

    one = tmp_path / "one"
    shutil.copytree(cohort / "case_1", one / "case_1")
    code, _, _ = cli("threshold", one, "--out", tmp_path / "t", "--age", "85", "--nihss", "12", "--report")
    assert code == 0
    readout = json.loads((tmp_path / "t" / "case_1" / "case_1_readout.json").read_text(encoding="utf-8"))
    dawn = readout["eligibility"][2]
    assert readout["clinical"]["age"] == 85 and readout["clinical"]["age_from"] == "command line"
    assert dawn["eligible"] is (readout["core_ml"] < 21)  # group A: age >= 80, NIHSS >= 10, core < 21 ml
    page = parse(tmp_path / "t" / "report" / "case_1" / "index.html")
    assert page.verdicts[2] == str(dawn["eligible"])


@pytest.mark.slow
def test_train_predict_evaluate_reports(cohort, bundle_run, tmp_path, cli, monkeypatch):
    monkeypatch.setenv("STROKESEG_CACHE", str(tmp_path / "cache"))
    model = bundle_run
    cv = check_page(model / "report" / "index.html")
    bundle = json.loads((model / "bundle.json").read_text(encoding="utf-8"))
    html = (model / "report" / "index.html").read_text(encoding="utf-8")
    assert (
        f'<span id="bundle-threshold">{bundle["threshold"]}</span>' in html and "gridsearch.png" in cv.refs and "loss_curves.png" in cv.refs
    )

    code, _, _ = cli("predict", "--model", model, "--input", cohort, "--out", tmp_path / "p", "--report")
    assert code == 0
    for case in _cases(tmp_path / "p"):
        readout = json.loads((case / f"{case.name}_readout.json").read_text(encoding="utf-8"))
        page = check_page(tmp_path / "p" / "report" / case.name / "index.html")
        assert same_value(page.values["core_ml"], readout["core_ml"])
        assert page.values["hypoperfused_ml"] == ""  # a core-only model: not given
        assert {"probability.png", "variance.png", "entropy.png"} <= set(page.refs)
        assert readout["provenance"]["command"] == "predict" and readout["inputs"]["images"]["CT"]

    # one case against a DICOM series of its own grid: SEG, SR and the fractional SEG of the probability
    import shutil

    import highdicom as hd

    from strokeseg.io.dicom import write_dicom_series
    from strokeseg.io.layouts import open_dataset
    from strokeseg.io.read import read_series

    shutil.copytree(cohort / "case_1", tmp_path / "one" / "case_1")
    ref = open_dataset(tmp_path / "one").cases[0]
    s = read_series(next(iter(ref.series.values())))
    write_dicom_series(tmp_path / "dcm", s.data[..., 0], s.geometry)
    code, _, _ = cli("predict", "--model", model, "--input", tmp_path / "one", "--out", tmp_path / "p1")
    assert code == 0
    code, _, _ = cli("report", tmp_path / "p1", "--dicom-reference", tmp_path / "dcm", "--fractional-seg")
    assert code == 0
    frac = hd.seg.segread(tmp_path / "p1" / "report" / "case_1" / "dicom" / "seg_probability.dcm")
    assert frac.SegmentationType == "FRACTIONAL" and [s.SegmentLabel for s in frac.SegmentSequence] == ["Lesion probability"]
    binary = hd.seg.segread(tmp_path / "p1" / "report" / "case_1" / "dicom" / "seg.dcm")
    assert [s.SegmentLabel for s in binary.SegmentSequence] == ["Ischemic core"]  # a core-only model: no penumbra segment

    code, _, _ = cli("evaluate", tmp_path / "p", "--truth", cohort, "--out", tmp_path / "e", "--report")
    assert code == 0
    check_page(tmp_path / "e" / "report" / "index.html")
    for case in _cases(tmp_path / "p"):
        html = (tmp_path / "e" / "report" / case.name / "index.html").read_text(encoding="utf-8")
        assert "overlap_core.png" in html and "CT.png" in html  # the prediction's read-out names its images


def test_a_corrupt_readout_stops_the_report_with_one_line_and_keeps_the_old_one(threshold_run, tmp_path, cli):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(threshold_run, run)
    before = (run / "report" / "index.html").read_text(encoding="utf-8")
    victim = next(run.glob("case_*/case_*_readout.json"))
    victim.write_text("{ not json", encoding="utf-8")
    code, _, err = cli("report", run)
    assert code == 2 and len(err.strip().splitlines()) == 1 and victim.name in err and "not valid JSON" in err
    assert (run / "report" / "index.html").read_text(encoding="utf-8") == before  # the earlier report stays whole
    assert not [p for p in run.iterdir() if p.name.startswith(".strokeseg-stage")]


def test_an_input_that_moved_or_broke_is_left_out_of_the_page_with_a_note(cohort, tmp_path, cli):
    import shutil

    data = tmp_path / "data"
    shutil.copytree(cohort / "case_1", data / "case_1")
    code, _, _ = cli("threshold", data, "--out", tmp_path / "o")
    assert code == 0
    next(data.glob("case_1/*CBF*/*.nii")).unlink()  # the input moved after the run
    cbv = next(data.glob("case_1/*CBV*/*.nii"))
    cbv.write_bytes(cbv.read_bytes()[:400])  # and another was truncated
    code, _, _ = cli("report", tmp_path / "o")
    assert code == 0
    html = (tmp_path / "o" / "report" / "case_1" / "index.html").read_text(encoding="utf-8")
    page = check_page(tmp_path / "o" / "report" / "case_1" / "index.html")
    assert "CBF.png" not in page.refs and "CBV.png" not in page.refs and "Tmax.png" in page.refs
    assert "CBV: not shown" in html and cbv.name in html


def test_resume_with_report_reports_a_run_whose_cases_were_all_done(cli, tmp_path):
    from tests.helpers import make_manifest

    data = make_manifest(tmp_path / "ds", n_cases=1)
    out = tmp_path / "run"
    code, _, err = cli("threshold", data, "--out", out)
    assert code == 0, err
    assert not (out / "report").exists()
    code, stdout, err = cli("threshold", data, "--out", out, "--resume", "--report")
    assert code == 0, err
    assert (out / "report" / "index.html").is_file() and "wrote the report" in stdout
