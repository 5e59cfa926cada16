"""Every bad input: one clear line naming the file and the problem, non-zero exit, no partial output."""

import subprocess
import sys

import numpy as np
import pytest

from strokeseg.io.geometry import Geometry
from strokeseg.io.nifti import write_nifti
from tests.helpers import GEOM, label_volume, make_isles2018, make_isles2022, make_manifest


def _one_error_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("strokeseg: error: ")
    return lines[0]


def test_truncated_file_in_dataset(tmp_path, cli):
    make_isles2018(tmp_path / "d", n_cases=2)
    victim = next((tmp_path / "d" / "case_1").glob("SMIR.Brain.XX.O.CT_CBF.*/*.nii"))
    victim.write_bytes(victim.read_bytes()[:400])
    code, out, _ = cli("info", tmp_path / "d")
    assert code == 1
    problem = [ln for ln in out.splitlines() if "PROBLEM" in ln]
    assert len(problem) == 1 and victim.name in problem[0] and ("truncated" in problem[0] or "cannot read" in problem[0])


def test_truncated_prediction_stops_evaluate_without_output(tmp_path, cli):
    make_manifest(tmp_path / "truth")
    preds = tmp_path / "pred"
    preds.mkdir()
    for i in (1, 2):
        write_nifti(preds / f"c0{i}.nii.gz", label_volume(seed=i), GEOM)
    blob = (preds / "c02.nii.gz").read_bytes()
    (preds / "c02.nii.gz").write_bytes(blob[: len(blob) // 2])
    code, _, err = cli("evaluate", "--pred", preds, "--truth", tmp_path / "truth", "--out", tmp_path / "out")
    assert code == 2
    line = _one_error_line(err)
    assert "c02.nii.gz" in line and "truncated" in line
    assert not (tmp_path / "out").exists()


def test_missing_modality(tmp_path, cli):
    make_isles2018(tmp_path / "d", n_cases=2)
    for f in (tmp_path / "d" / "case_2").glob("SMIR.Brain.XX.O.CT_Tmax.*/*.nii"):
        f.unlink()
    code, out, _ = cli("info", tmp_path / "d")
    assert code == 1
    assert any("case_2" in ln and "missing modality Tmax" in ln for ln in out.splitlines() if "PROBLEM" in ln)


def test_grid_that_cannot_be_resampled(tmp_path, cli):
    make_isles2022(tmp_path / "d", n_cases=1)
    flair = next((tmp_path / "d").rglob("*_flair.nii.gz"))
    far = Geometry((18, 24, 20), (1.0, 1.0, 1.0), origin=(500.0, 500.0, 500.0))
    write_nifti(flair, np.ones(far.shape, np.float32), far)
    code, out, _ = cli("info", tmp_path / "d")
    assert code == 1
    line = next(ln for ln in out.splitlines() if "PROBLEM" in ln)
    assert flair.name in line and "does not overlap the reference grid" in line


def test_nan_inf(tmp_path, cli):
    make_manifest(tmp_path / "d")
    arr = np.ones(GEOM.shape, np.float32)
    arr[0, 0, 0] = np.nan
    write_nifti(tmp_path / "d" / "c02_cbf.nii.gz", arr, GEOM)
    code, out, _ = cli("info", tmp_path / "d")
    assert code == 1
    line = next(ln for ln in out.splitlines() if "PROBLEM" in ln)
    assert "c02_cbf.nii.gz" in line and "1 NaN/Inf voxel" in line


def test_label_values_outside_mapping(tmp_path, cli):
    make_isles2018(tmp_path / "d", n_cases=1)
    ot = next((tmp_path / "d").rglob("SMIR.Brain.XX.O.OT.*/*.nii"))
    lab = label_volume()  # holds 1 and 2; ISLES'18 maps only 0 and 1
    write_nifti(ot, lab, GEOM)
    code, out, _ = cli("info", tmp_path / "d")
    assert code == 1
    line = next(ln for ln in out.splitlines() if "PROBLEM" in ln)
    assert ot.name in line and "label values [2]" in line and "--label-map" in line
    # the same dataset is fine once the user maps 2 as well
    code, out, _ = cli("info", tmp_path / "d", "--label-map", "1:2,2:2")
    assert code == 0, out


def test_label_outside_mapping_stops_evaluate(tmp_path, cli):
    make_isles2018(tmp_path / "d", n_cases=1)
    ot = next((tmp_path / "d").rglob("SMIR.Brain.XX.O.OT.*/*.nii"))
    write_nifti(ot, label_volume() * 3, GEOM)
    (tmp_path / "p").mkdir()
    write_nifti(tmp_path / "p" / "case_1.nii.gz", label_volume(), GEOM)
    code, _, err = cli("evaluate", "--pred", tmp_path / "p", "--truth", tmp_path / "d", "--out", tmp_path / "o")
    assert code == 2 and ot.name in _one_error_line(err) and not (tmp_path / "o").exists()


def test_empty_folder(tmp_path, cli):
    (tmp_path / "empty").mkdir()
    code, _, err = cli("info", tmp_path / "empty")
    assert code == 2
    line = _one_error_line(err)
    assert "empty" in line and str(tmp_path / "empty") in line


def test_unknown_layout(tmp_path, cli):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "notes.txt").write_text("hello", encoding="utf-8")
    code, _, err = cli("info", tmp_path / "d")
    assert code == 2 and "unknown layout" in _one_error_line(err)
    code, _, err = cli("info", tmp_path / "d", "--layout", "isles1999")
    assert code == 2 and "unknown layout 'isles1999'" in _one_error_line(err)


def test_nonexistent_path(tmp_path, cli):
    code, _, err = cli("info", tmp_path / "nope")
    assert code == 2 and "no such file or folder" in _one_error_line(err)


def test_prediction_on_wrong_grid(tmp_path, cli):
    make_manifest(tmp_path / "truth")
    (tmp_path / "p").mkdir()
    write_nifti(tmp_path / "p" / "c01.nii.gz", np.zeros((3, 3, 3), np.uint8), Geometry((3, 3, 3), (1, 1, 1)))
    code, _, err = cli("evaluate", "--pred", tmp_path / "p", "--truth", tmp_path / "truth", "--out", tmp_path / "o")
    assert code == 2
    line = _one_error_line(err)
    assert "c01.nii.gz" in line and "differs from the truth" in line


def test_output_inside_input_is_refused(tmp_path, cli):
    make_manifest(tmp_path / "truth")
    code, _, err = cli("evaluate", "--pred", tmp_path / "truth", "--truth", tmp_path / "truth", "--out", tmp_path / "truth" / "eval")
    assert code == 2 and "inside the input folder" in _one_error_line(err)


def test_outputs_follow_the_umask(tmp_path, cli):
    import os

    from tests.helpers import make_isles2018

    make_isles2018(tmp_path / "d", n_cases=1)
    old = os.umask(0o027)
    try:
        (tmp_path / "p").mkdir()
        write_nifti(tmp_path / "p" / "case_1.nii.gz", label_volume(), GEOM)
        code, _, err = cli(
            "evaluate", "--pred", tmp_path / "p", "--truth", tmp_path / "d", "--out", tmp_path / "e", "--pred-label-map", "1:2,2:2"
        )
    finally:
        os.umask(old)
    assert code == 0, err
    modes = {p.name: p.stat().st_mode & 0o777 for p in (tmp_path / "e").iterdir() if not p.name.startswith(".")}
    assert modes == {"per_case.csv": 0o640, "summary.md": 0o640, "summary.json": 0o640}


def test_an_unexpected_error_is_one_line_and_debug_shows_the_traceback(tmp_path, cli, monkeypatch):
    import strokeseg.io.inspect

    def boom(*_a, **_k):
        raise RuntimeError("something nobody foresaw\nsecond line")

    monkeypatch.setattr(strokeseg.io.inspect, "describe_path", boom)
    make_manifest(tmp_path / "d", n_cases=1)
    code, _, err = cli("info", tmp_path / "d")
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 1 and len(lines) == 1
    assert lines[0].startswith("strokeseg: internal error: RuntimeError: something nobody foresaw; second line")
    assert "--debug" in lines[0]
    with pytest.raises(RuntimeError, match="nobody foresaw"):
        cli("--debug", "info", tmp_path / "d")


def test_sigterm_exits_143_with_one_line(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    code = (
        "import os, signal, sys, time\n"
        "import strokeseg.io.inspect as i\n"
        "def slow(*a, **k):\n    os.kill(os.getpid(), signal.SIGTERM); time.sleep(30)\n"
        "i.describe_path = slow\n"
        "from strokeseg.cli import main\n"
        "sys.exit(main(['info', '.']))\n"
    )
    t0 = time.perf_counter()
    res = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        encoding="utf-8",
        errors="replace",
        timeout=120,
        env={**__import__("os").environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert res.returncode == 143 and time.perf_counter() - t0 < 60
    assert res.stderr.strip().splitlines() == ["strokeseg: terminated (SIGTERM); no partial output was kept"]
    assert signal.getsignal(signal.SIGTERM) is not None


def _run_info(setup: str, run: str) -> subprocess.CompletedProcess[str]:
    """A Python process that runs ``setup`` (which defines ``bad``, the ``describe_path`` that ``info`` will call),
    imports :func:`strokeseg.cli.main` and runs ``run``."""
    head = "import os, signal, sys\nimport strokeseg.io.inspect as i\nfrom strokeseg.errors import InputError\n"
    code = head + setup + "i.describe_path = bad\nfrom strokeseg.cli import main\n" + run
    env = {**__import__("os").environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, encoding="utf-8", errors="replace", timeout=120, env=env)


def test_sigterm_while_an_error_is_reported_gives_143_and_one_line_not_a_traceback():
    """A SIGTERM that lands in the error report (a launcher stopping the ranks as one fails) ends the run as a SIGTERM,
    in one line; before, the handler's exception escaped the report as a traceback."""
    setup = (
        "class Late(InputError):\n"
        "    def render(self, name):\n        os.kill(os.getpid(), signal.SIGTERM); return super().render(name)\n"
        "def bad(*a, **k):\n    raise Late('unreadable', 'x.nii.gz')\n"
    )
    res = _run_info(setup, "sys.exit(main(['info', '.']))\n")
    assert res.returncode == 143, res.stderr
    assert res.stderr.strip().splitlines() == ["strokeseg: terminated (SIGTERM); no partial output was kept"]


def test_sigterm_as_the_handler_is_restored_keeps_the_status_and_the_previous_handler():
    """A SIGTERM that lands while ``main`` puts back the caller's SIGTERM handler: the command's own status and line
    stand, nothing else is printed, and the caller's handler is back."""
    setup = (
        "def bad(*a, **k):\n    raise InputError('unreadable', 'x.nii.gz')\n"
        "mine = lambda s, f: None\n"
        "signal.signal(signal.SIGTERM, mine)\n"
        "real = signal.signal\n"
        "def late(sig, handler):\n"
        "    if handler is mine:\n        os.kill(os.getpid(), signal.SIGTERM)\n"
        "    return real(sig, handler)\n"
        "signal.signal = late\n"
    )
    res = _run_info(setup, "code = main(['info', '.'])\nprint(real(signal.SIGTERM, signal.SIG_DFL) is mine)\nsys.exit(code)\n")
    assert res.returncode == 2, res.stderr
    assert res.stderr.strip().splitlines() == ["strokeseg: error: x.nii.gz: unreadable"]
    assert res.stdout.strip() == "True"
