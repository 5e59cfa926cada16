"""The command line writes the parameters that errors name as its flags: the error line, and each failed case's
line in a run of several cases (a log record that carries the error)."""

from __future__ import annotations

import logging

from strokeseg.cli.flags import flag_of
from strokeseg.cli.logs import _ErrorsAsFlags
from strokeseg.errors import InputError, Message, Param


def test_a_case_error_on_the_log_is_written_with_flags():
    err = InputError(Message("labels 7 are outside the label map; ", Param("label_map"), " to map them"), "/d/c1/label.nii.gz")
    record = logging.LogRecord("strokeseg", logging.ERROR, __file__, 1, "strokeseg: error: %s", (err,), None)
    record.error = err
    assert _ErrorsAsFlags().filter(record)
    assert record.getMessage() == "strokeseg: error: /d/c1/label.nii.gz: labels 7 are outside the label map; pass --label-map to map them"
    assert flag_of(Param("channels", verb="with", scope="nnunet")) == "with --nnunet-channels"


def test_the_command_line_prints_flags(tmp_path, capsys):
    from strokeseg.cli import main

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "readme.txt").write_text("not a dataset", encoding="utf-8")
    code = main(["threshold", str(tmp_path / "data"), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("strokeseg: error:")
    assert "(name one with --layout)" in err and "'layout'" not in err
    assert not (tmp_path / "out").exists()
