"""Shared fixtures: the reference data in ../shared (skipped with a reason where absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import ISLES22_CASE, OSIPI_CSV, SMALL_CT, shared_or_skip

# One pytest process runs hundreds of unrelated commands in process: it must give freed memory back (the
# suite's ≤ 4 GB budget) rather than keep each command's peak, as a one-shot strokeseg process does. The
# values computed do not depend on it (strokeseg.util.memory).
os.environ["STROKESEG_KEEP_FREED_MEMORY"] = "0"


@pytest.fixture(autouse=True)
def _quiet(monkeypatch):
    monkeypatch.setenv("STROKESEG_QUIET", "1")


@pytest.fixture(autouse=True, scope="module")
def _give_memory_back():
    """After each test module: collect garbage and return the heap's free memory to the system."""
    yield
    import gc

    from strokeseg.util.memory import release_freed_memory

    gc.collect()
    release_freed_memory()


@pytest.fixture
def isles22_case() -> Path:
    return shared_or_skip(ISLES22_CASE)


@pytest.fixture
def osipi_csv() -> Path:
    return shared_or_skip(OSIPI_CSV)


@pytest.fixture(scope="session")
def small_ct_case():
    """A small CT phantom with an MCA stroke (2 slices of 96×96 at 2.4 mm, 40 frames)."""
    from strokeseg.phantom.case import PhantomConfig, generate_case
    from strokeseg.phantom.lesion import LesionSpec

    spec = LesionSpec("mca", side=1, phi_lo=-60.0, phi_hi=70.0, z_lo=-8.0, z_hi=55.0, core_fraction=0.35, oligaemia_mm=8.0)
    return generate_case(PhantomConfig(lesion=spec, noise_hu=3.0, rotation_deg=6.0, **SMALL_CT), seed=11, case_id="small")


@pytest.fixture
def cli(capsys):
    """Run the CLI in-process; returns (exit code, stdout, stderr)."""
    from strokeseg.cli import main

    def run(*args: str):
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """The session's peak memory, for the ≤ 4 GB budget: this (pytest) process and its largest child."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # kB -> GB
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2
    terminalreporter.write_line(f"peak resident memory: pytest {own:.2f} GB, its largest child process {child:.2f} GB")
