"""The README's Python example runs, on what `make demo` writes (a small stand-in of its output here)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


@pytest.mark.slow
def test_the_readme_python_example_runs_on_the_demo_output(tmp_path, capsys):
    from strokeseg.cli import main
    from strokeseg.phantom.case import PhantomConfig
    from strokeseg.workflows.phantom import CohortSpec, write_phantom_cohort
    from tests.robustness.corpus import TINY_TRAIN

    demo = tmp_path / "strokeseg-demo"  # the demo's folders: test/ (held-out phantoms) and model/ (the bundle)
    spec = CohortSpec(2, PhantomConfig(slices=2, frames=30, p_no_stroke=0.0), "isles2018", seed=5, second_slab_fraction=0.0)
    write_phantom_cohort(demo / "test", spec)
    assert main(["train", str(demo / "test"), "--recipe", "clerigues-ct-2d-fast", "--out", str(demo / "model"), *TINY_TRAIN]) == 0
    (block,) = _python_blocks()
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        capsys.readouterr()
        exec(compile(block, "README.md", "exec"), {})
    finally:
        os.chdir(cwd)
    lines = capsys.readouterr().out.strip().splitlines()
    assert (tmp_path / "strokeseg-threshold" / "readout.csv").exists()  # the run API call wrote its run folder
    core, penumbra, defuse3 = lines[-2].split()
    assert float(core) >= 0 and float(penumbra) >= 0 and defuse3 in ("True", "False", "None")
    assert float(lines[-1]) >= 0
