"""The run record says which thread count the run's stages used (learned results may depend on it)."""

import json

from strokeseg.io.outputs import MARKER_NAME, OutputMode, RunFolder


def test_the_run_record_names_the_thread_count_and_its_origin(tmp_path, monkeypatch):
    monkeypatch.setenv("STROKESEG_THREADS", "3")
    with RunFolder(tmp_path / "out", OutputMode.NEW, command="threshold", settings={}) as run:
        run.write_text("a.txt", "x")
    record = json.loads((tmp_path / "out" / MARKER_NAME).read_text(encoding="utf-8"))
    assert record["threads"] == {"count": 3, "from": "STROKESEG_THREADS / --threads"}
