"""Training checkpoints: written atomically every epoch, so ``--resume`` continues exactly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from strokeseg.io.atomic import atomic_path


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def load_checkpoint(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    return torch.load(path, map_location="cpu", weights_only=False)
