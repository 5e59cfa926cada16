"""`perfusion`, `threshold` and `evaluate` start without torch: it is imported only for learned models."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from strokeseg.workflows.phantom import CohortSpec, write_phantom_cohort

PROBE = """
import json, sys
from strokeseg.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "torch": "torch" in sys.modules, "monai": "monai" in sys.modules}))
"""


def _run(*args: str | Path) -> dict:
    proc = subprocess.run([sys.executable, "-c", PROBE, *map(str, args)], capture_output=True, text=True, encoding="utf-8", timeout=600)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def cohort(tmp_path_factory) -> Path:
    from strokeseg.phantom.case import PhantomConfig

    root = tmp_path_factory.mktemp("startup") / "ph"
    write_phantom_cohort(root, CohortSpec(2, PhantomConfig(slices=4, matrix=(64, 64), frames=30), "isles2018", seed=5))
    return root


@pytest.mark.slow
def test_perfusion_threshold_evaluate_never_import_torch(cohort: Path, tmp_path: Path) -> None:
    maps = _run("perfusion", cohort, "--out", tmp_path / "maps")
    thr = _run("threshold", tmp_path / "maps", "--out", tmp_path / "thr")
    ev = _run("evaluate", tmp_path / "thr", "--truth", cohort, "--out", tmp_path / "ev")
    for name, res in (("perfusion", maps), ("threshold", thr), ("evaluate", ev)):
        assert res["code"] == 0, name
        assert not res["torch"] and not res["monai"], f"{name} imported torch/monai"
    assert json.loads((tmp_path / "ev" / "summary.json").read_text(encoding="utf-8"))


@pytest.mark.slow
def test_threads_option_reaches_the_perfusion_stage(cohort: Path, tmp_path: Path) -> None:
    res = _run("--threads", "1", "perfusion", cohort, "--out", tmp_path / "maps")
    assert res["code"] == 0
    info = json.loads(next((tmp_path / "maps").rglob("perfusion.json")).read_text(encoding="utf-8"))
    assert info["threads"] == 1
