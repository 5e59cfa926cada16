"""Sweep grids: the slow-fusion paper's focal Tversky grid and generic Cartesian grids."""

import pytest

from strokeseg.errors import ConfigError
from strokeseg.recipes.recipe import load_recipe
from strokeseg.training.sweep import ftl_grid, parse_grid, point_name

pytestmark = pytest.mark.slow


def test_ftl_grid_is_the_papers_grid():
    g = ftl_grid()
    assert len(g) == 16  # Table 1: four (α, β) at γ = 1, three at each other γ
    points = {(round(p["loss.kwargs.gamma"], 3), p["loss.kwargs.alpha"], p["loss.kwargs.beta"]) for p in g}
    assert points == {(1.0, 1.0, 1.0)} | {(gm, a, round(1 - a, 6)) for gm in (1.0, 1.333, 1.5, 2.0, 3.0) for a in (0.3, 0.5, 0.7)}
    r = load_recipe("slow-fusion-vgg16-fast", g[4])
    assert r.to_dict()["loss"] == {
        "name": "focal-tversky",
        "kwargs": {
            "gamma": g[4]["loss.kwargs.gamma"],
            "alpha": g[4]["loss.kwargs.alpha"],
            "beta": g[4]["loss.kwargs.beta"],
            "include_background": False,
            "ce_weight": 1.0,
        },
    }
    assert len({point_name(p) for p in g}) == 16


def test_generic_grid_and_bad_spec():
    g = parse_grid(["batch_size=2,4", "loss.kwargs.gamma=1,2"])
    assert g == [
        {"batch_size": 2, "loss.kwargs.gamma": 1},
        {"batch_size": 2, "loss.kwargs.gamma": 2},
        {"batch_size": 4, "loss.kwargs.gamma": 1},
        {"batch_size": 4, "loss.kwargs.gamma": 2},
    ]
    with pytest.raises(ConfigError, match="key=v1,v2"):
        parse_grid(["batch_size"])


def test_sweep_cli_runs_two_points(tmp_path, cli_run):
    from strokeseg.phantom.case import PhantomConfig
    from strokeseg.workflows.phantom import CohortSpec, write_phantom_cohort

    data = tmp_path / "d"
    write_phantom_cohort(
        data, CohortSpec(4, PhantomConfig(slices=2, matrix=(48, 48), frames=30), "manifest", seed=3, second_slab_fraction=0.0)
    )
    code, out, err = cli_run(
        "sweep",
        "--recipe",
        "unet-2d-ct-fast",
        "--data",
        data,
        "--out",
        tmp_path / "s",
        "--folds",
        "2",
        "--epochs",
        "1",
        "--grid",
        "loss.kwargs.gamma=1,2",
        "--set",
        "sampling.patch_size=[1,48,48]",
        "--set",
        "inference.step=[1,48,48]",
        "--set",
        "postprocess.thresholds=[0.5]",
        "--set",
        "postprocess.min_sizes=[1]",
    )
    assert code == 0, err
    assert "sweep point 2/2: gamma-2" in out
    lines = (tmp_path / "s" / "sweep.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("point,core_dice") and len(lines) == 3
    assert (tmp_path / "s" / "gamma-1" / "bundle.json").exists() and (tmp_path / "s" / "gamma-2" / "bundle.json").exists()
