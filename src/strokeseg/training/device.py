"""Device selection: CUDA when present (mixed precision there), else CPU."""

from __future__ import annotations

import torch


def select_device(name: str | None = None) -> torch.device:
    """The torch device for ``auto`` (CUDA when present), ``cpu`` or ``cuda``."""
    if name in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def use_amp(device: torch.device) -> bool:
    """Whether mixed precision is used on ``device`` (CUDA only)."""
    return device.type == "cuda"
