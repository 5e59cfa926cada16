"""Progress off a terminal: one log line per case/epoch with an ETA, one line at the end for batches."""

import logging

from strokeseg.util import progress as prog


def _lines(caplog):
    return [r.getMessage() for r in caplog.records if r.name == "strokeseg.progress"]


def test_coarse_steps_log_one_line_each_with_an_eta(monkeypatch, caplog):
    monkeypatch.delenv("STROKESEG_QUIET", raising=False)
    monkeypatch.setattr(prog, "on_terminal", lambda: False)
    caplog.set_level(logging.INFO, logger="strokeseg.progress")
    assert list(prog.progress(range(3), desc="predict", unit="case")) == [0, 1, 2]
    lines = _lines(caplog)
    assert [ln.split(",")[0] for ln in lines] == ["predict: 1/3 case", "predict: 2/3 case", "predict: 3/3 case"]
    assert "ETA" in lines[0] and "ETA" in lines[1] and "ETA" not in lines[2]


def test_fine_steps_log_once_when_done(monkeypatch, caplog):
    monkeypatch.delenv("STROKESEG_QUIET", raising=False)
    monkeypatch.setattr(prog, "on_terminal", lambda: False)
    caplog.set_level(logging.INFO, logger="strokeseg.progress")
    with prog.progress_bar(total=50, desc="fold 1 epoch 2/12", unit="batch") as bar:
        for _ in range(50):
            bar.update(1)
    lines = _lines(caplog)
    assert len(lines) == 1 and lines[0].startswith("fold 1 epoch 2/12: 50/50 batch")


def test_quiet_silences_everything(monkeypatch, caplog):
    monkeypatch.setenv("STROKESEG_QUIET", "1")
    caplog.set_level(logging.INFO, logger="strokeseg.progress")
    list(prog.progress(range(3), desc="x", unit="case"))
    assert not _lines(caplog)
