"""Training checkpoints: written atomically every epoch, so ``--resume`` continues exactly.

A checkpoint holds only tensors, numbers, strings, lists and dicts, and is read with
``torch.load(weights_only=True)``: a crafted file cannot run code, it is refused with one line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from strokeseg.errors import WITHOUT_RESUME, InputError, Message
from strokeseg.io.atomic import atomic_path


def _plain(obj: Any) -> Any:
    """NumPy scalars become Python numbers, so that ``weights_only`` loading accepts the file."""
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_plain(v) for v in obj)
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """Write a training checkpoint atomically, as plain values (readable with ``weights_only``)."""
    # through an open file, not a path: the bytes do not depend on the temporary file's name, and the archive
    # streams to disk (an in-memory buffer held a second copy of the network and optimiser state at the peak)
    with atomic_path(path) as tmp, tmp.open("wb") as fh:
        torch.save(_plain(state), fh)


def load_checkpoint(path: Path) -> dict[str, Any] | None:
    """The checkpoint at ``path`` (``None`` when there is none); never executes pickled code."""
    if not path.exists():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]
        raise InputError(
            Message(
                f"cannot resume: the checkpoint is corrupt or holds more than plain training state ({detail}); delete it or train ",
                WITHOUT_RESUME,
            ),
            path,
        ) from None
    if not isinstance(state, dict) or "model" not in state:
        raise InputError("cannot resume: not a strokeseg training checkpoint", path)
    return state
