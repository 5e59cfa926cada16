import numpy as np
import pytest

from strokeseg.io.geometry import Geometry
from strokeseg.preprocessing.prepare import PreparedCase
from strokeseg.recipes.recipe import load_recipe


def synthetic_case(i: int, shape=(3, 40, 40), channels=2) -> PreparedCase:
    rng = np.random.default_rng(i)
    brain = np.zeros(shape, bool)
    brain[:, 4:36, 4:36] = True
    target = np.zeros(shape, np.uint8)
    cy, cx = 12 + 3 * (i % 4), 14 + 2 * (i % 5)
    target[:, cy : cy + 6, cx : cx + 7] = 1
    x = rng.normal(0, 1, (channels, *shape)).astype(np.float32)
    x[0] += 3.0 * target  # the lesion is bright in channel 0
    label = np.where(target > 0, 2, 0).astype(np.uint8)
    return PreparedCase(
        f"c{i}",
        f"p{i // 2}",
        x,
        brain,
        target,
        label,
        Geometry(shape, (1.0, 1.0, 5.0)),
        [f"m{k}" for k in range(channels)],
        group="LVO" if i % 2 else "non-LVO",
    )


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
