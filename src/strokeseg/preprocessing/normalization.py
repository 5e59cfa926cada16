"""Per-modality intensity whitening: z-scores from the training cases' brain voxels.

``Normalizer.fit`` gathers mean and standard deviation per channel over the brain voxels of
the training cases; the statistics travel with the model bundle so a new case is whitened
exactly as the training data were. ``mode = "case"`` whitens each case with its own statistics.
Voxels outside the brain are set to 0 (the mean) after whitening.

Scalar channels (``SCALAR_CHANNELS``: the NIHSS as a constant image, already scaled to
[0, 1]) are left as they are — neither whitened nor masked — so a network can read the value
back anywhere in the image.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

SCALAR_CHANNELS = ("NIHSS",)


@dataclass
class Normalizer:
    channels: list[str]
    mode: str = "dataset"  # "dataset" | "case"
    mean: list[float] = field(default_factory=list)
    std: list[float] = field(default_factory=list)

    def fit(self, volumes: Iterable[tuple[np.ndarray, np.ndarray]]) -> Normalizer:
        """Fit on ``(x (C, Z, Y, X), brain (Z, Y, X))`` pairs (running sums: memory-light)."""
        n = 0
        s = None
        s2 = None
        for x, brain in volumes:
            vals = x[:, brain].astype(np.float64)
            s = vals.sum(1) if s is None else s + vals.sum(1)
            s2 = (vals**2).sum(1) if s2 is None else s2 + (vals**2).sum(1)
            n += vals.shape[1]
        if n == 0 or s is None or s2 is None:
            raise ValueError("no brain voxels to fit the normalisation on")
        mean = s / n
        std = np.sqrt(np.maximum(s2 / n - mean**2, 1e-12))
        scalar = self.masked() == 0
        mean[scalar], std[scalar] = 0.0, 1.0
        self.mean, self.std = mean.tolist(), std.tolist()
        return self

    def masked(self) -> np.ndarray:
        """1 for channels whitened and masked to the brain, 0 for scalar channels."""
        return np.array([0.0 if c in SCALAR_CHANNELS else 1.0 for c in self.channels], np.float32)

    def __call__(self, x: np.ndarray, brain: np.ndarray) -> np.ndarray:
        if self.mode == "case":
            vals = x[:, brain]
            mean = vals.mean(1) if vals.size else np.zeros(x.shape[0])
            std = vals.std(1) + 1e-6 if vals.size else np.ones(x.shape[0])
            scalar = self.masked() == 0
            mean[scalar], std[scalar] = 0.0, 1.0
        else:
            if not self.mean:
                raise ValueError("Normalizer used before fit()")
            mean, std = np.asarray(self.mean), np.asarray(self.std)
        shape = (-1,) + (1,) * (x.ndim - 1)
        out = (x - mean.reshape(shape)) / std.reshape(shape)
        keep = self.masked().reshape(shape)
        out *= brain[None] * keep + (1 - keep)
        return out.astype(np.float32)

    def to_dict(self) -> dict[str, Any]:
        return {"channels": self.channels, "mode": self.mode, "mean": self.mean, "std": self.std}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Normalizer:
        return cls(list(d["channels"]), d.get("mode", "dataset"), list(d.get("mean", [])), list(d.get("std", [])))


def channel_names(modalities: Sequence[str], symmetric: bool) -> list[str]:
    return list(modalities) + ([f"{m}_sym" for m in modalities] if symmetric else [])
