"""Device selection: CUDA when present (mixed precision there), else CPU."""

from __future__ import annotations

import torch

from strokeseg.recipes.specs import Precision


def select_device(name: str | None = None) -> torch.device:
    """The torch device for ``auto`` (CUDA when present), ``cpu`` or ``cuda``."""
    if name in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def use_amp(device: torch.device) -> bool:
    """Whether mixed precision is used on ``device`` by default (CUDA only)."""
    return device.type == "cuda"


def amp_dtype(setting: Precision, device: torch.device) -> torch.dtype | None:
    """The autocast dtype of a recipe's ``amp`` setting on ``device`` (None: float32).

    ``auto`` is bf16 on GPUs that support it (no loss scaling needed), else fp16; the CPU
    always trains in float32 (its results are the reference the tests compare against).
    """
    if device.type != "cuda" or setting == Precision.OFF:
        return None
    if setting == Precision.FP16:
        return torch.float16
    if setting == Precision.BF16 or torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return torch.float16


def is_2d(model: torch.nn.Module) -> bool:
    """Whether the network is made of 2D convolutions (channels-last applies)."""
    return any(isinstance(m, torch.nn.Conv2d) for m in model.modules()) and not any(isinstance(m, torch.nn.Conv3d) for m in model.modules())


def round_robin(device: str, n: int, n_gpus: int) -> list[str] | None:
    """``cuda:k mod n_gpus`` for items ``k`` < ``n`` when ``device`` is plain ``cuda`` and GPUs are visible;
    None otherwise (a CPU, no GPU, or a device the user named, such as ``cuda:1``)."""
    if device != "cuda" or n_gpus < 1:
        return None
    return [f"cuda:{k % n_gpus}" for k in range(n)]
