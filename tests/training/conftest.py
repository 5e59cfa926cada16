import pytest

from strokeseg.recipes.recipe import load_recipe


@pytest.fixture
def tiny_recipe():
    return load_recipe(
        "clerigues-ct-2d-fast",
        {
            "network.kwargs": {"dims": 2, "base_filters": 4, "depth": 2, "dropout": 0.2, "mc_levels": 1},
            "sampling.patch_size": [1, 16, 16],
            "sampling.patches_per_case": 24,
            "batch_size": 8,
            "epochs": 3,
            "patience": 5,
            "inference.step": [1, 8, 8],
            "inference.mc_passes": 2,
            "folds": 2,
            "symmetric": False,
            "postprocess.thresholds": [0.3, 0.5],
            "postprocess.min_sizes": [1, 10],
        },
    )


@pytest.fixture
def cli_run(capsys):
    """Run the CLI in-process; returns (exit code, stdout, stderr)."""
    from strokeseg.cli import main

    def run(*args):
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return run
