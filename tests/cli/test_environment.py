"""The STROKESEG_* variables are checked at start-up, for every command: a bad value is one line naming the
variable and exit 2, before any work (0, -1, text and 99999 threads once gave internal errors or an abort)."""

from __future__ import annotations

import pytest

from tests.helpers import make_manifest


@pytest.mark.parametrize("value", ["0", "-1", "abc", "99999", "2.5"])
@pytest.mark.parametrize("command", ["threshold", "perfusion", "predict", "train"])
def test_bad_thread_count_is_one_line_naming_the_variable(cli, monkeypatch, tmp_path, value, command):
    monkeypatch.setenv("STROKESEG_THREADS", value)
    extra = {"train": ["--recipe", "clerigues-ct-2d-fast"], "predict": ["--model", tmp_path]}.get(command, [])
    code, _, err = cli(command, tmp_path / "nothing", "--out", tmp_path / "out", *extra)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("strokeseg: error: STROKESEG_THREADS must be an integer from 1 to 1024")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("value", ["inf", "nan", "-3", "0", "lots"])
def test_bad_image_limit_is_one_line(cli, monkeypatch, tmp_path, value):
    monkeypatch.setenv("STROKESEG_MAX_IMAGE_GB", value)
    code, _, err = cli("threshold", tmp_path / "nothing", "--out", tmp_path / "out")
    assert code == 2 and err.startswith("strokeseg: error: STROKESEG_MAX_IMAGE_GB=") and err.count("\n") == 1


def test_good_values_run(cli, monkeypatch, tmp_path):
    monkeypatch.setenv("STROKESEG_THREADS", "1")
    monkeypatch.setenv("STROKESEG_MAX_IMAGE_GB", "0.5")
    ds = make_manifest(tmp_path / "ds", n_cases=1)
    code, _, err = cli("info", ds)
    assert code in (0, 1), err
    assert "STROKESEG_" not in err
