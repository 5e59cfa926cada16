"""A phantom cohort and its threshold run with a report, shared by the report tests (built once per session)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def cohort(tmp_path_factory):
    from tests.helpers import small_ct_cohort

    return small_ct_cohort(tmp_path_factory.mktemp("rep") / "data", 3, seed=11)


@pytest.fixture(scope="session")
def threshold_run(cohort, tmp_path_factory):
    from strokeseg.cli import main

    out = tmp_path_factory.mktemp("thr") / "thr"
    assert main(["threshold", str(cohort), "--out", str(out), "--truth", str(cohort), "--report"]) == 0
    return out


@pytest.fixture(scope="session")
def bundle_run(cohort, tmp_path_factory):
    """A 2-fold, 1-epoch CT-2D bundle of the cohort, trained with ``--report`` (the CV page)."""
    from strokeseg.cli import main

    out = tmp_path_factory.mktemp("model") / "m"
    tiny = ["--set", "sampling.patches_per_case=24", "--set", "batch_size=16", "--set", "inference.mc_passes=2"]
    tiny += ["--set", "postprocess.thresholds=[0.3,0.5]", "--set", "postprocess.min_sizes=[5,50]", "--no-cache"]
    args = ["train", "--recipe", "clerigues-ct-2d-fast", "--data", str(cohort), "--out", str(out), "--folds", "2", "--epochs", "1"]
    assert main([*args, *tiny, "--report"]) == 0
    return out


@pytest.fixture(scope="session")
def isles24_run(tmp_path_factory):
    """``threshold --report`` on the real ISLES'24 vendor maps (skips without ../shared), run once."""
    from strokeseg.cli import main
    from tests.helpers import SHARED, shared_or_skip

    data = shared_or_skip(SHARED / "data" / "real" / "isles2024-vendor-maps")
    out = tmp_path_factory.mktemp("isles24") / "o"
    assert main(["threshold", str(data), "--out", str(out), "--report"]) == 0
    return out
