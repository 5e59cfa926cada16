"""Per-modality intensity whitening: percentile clipping, then z-scores over the brain voxels.

``Normalizer.fit`` takes, per channel, the ``clip`` percentiles (default 0.5 and 99.5) of the
training cases' brain voxels, clips every voxel to them, and gathers the mean and standard
deviation of the clipped brain voxels — nnU-Net's CT normalisation. The bounds and statistics
travel with the model bundle so a new case is whitened exactly as the training data were.
``mode = "case"`` computes the same four numbers from each case on its own. ``mode = "none"`` passes the
values through unchanged (for a network that standardises its own input, as the PSPNet paper's initializer
batch norm does) but still fits the training statistics, so that :meth:`Normalizer.reference` can tell the
input guard what the model was trained on.

Why clip: perfusion maps computed from the raw series keep their vessels (CBF of several
thousand ml/100 g/min, CBV ≫ 10) and a CT "brain" mask can graze bone. Without clipping these
few voxels set the standard deviation — on the phantom cohort CBF std 199 against a tissue range
of 20–60, so tissue contrast was squeezed into ±0.1 while rare patches reached 64 σ — and the
batch-norm statistics of a network trained on such patches do not carry to evaluation mode.
``clip=None`` keeps the plain z-score.

Voxels outside the brain are set to 0 (the mean) after whitening. Scalar channels
(``SCALAR_CHANNELS``: the NIHSS as a constant image, already scaled to [0, 1]) are left as they
are — neither clipped, whitened nor masked — so a network can read the value back anywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from strokeseg.errors import InputError
from strokeseg.preprocessing.config import Normalization

SCALAR_CHANNELS = ("NIHSS",)
PERCENTILE_SAMPLE = 200_000  # brain voxels per case used for the clip percentiles (an even stride)


@dataclass
class Normalizer:
    """Per-channel whitening: clip to brain percentiles, then subtract the mean and divide by the sd
    (training statistics, or each case's own)."""

    channels: list[str]
    mode: str = "dataset"  # "dataset" | "case" | "none"
    mean: list[float] = field(default_factory=list)
    std: list[float] = field(default_factory=list)
    clip: tuple[float, float] | None = (0.5, 99.5)  # percentiles of the brain voxels; None: no clipping
    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)

    def masked(self) -> np.ndarray:
        """1 for channels whitened and masked to the brain, 0 for scalar channels."""
        return np.array([0.0 if c in SCALAR_CHANNELS else 1.0 for c in self.channels], np.float32)

    def fit(self, volumes: Iterable[tuple[np.ndarray, np.ndarray]]) -> Normalizer:
        """Fit on ``(x (C, Z, Y, X), brain (Z, Y, X))`` pairs of the training cases."""
        self.lower, self.upper, self.mean, self.std = (v.tolist() for v in self._statistics(list(volumes)))
        return self

    def _statistics(self, volumes: Sequence[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, ...]:
        """Clip bounds, mean and standard deviation per channel over the brain voxels of ``volumes``."""
        c = len(self.channels)
        scalar = self.masked() == 0
        lower, upper = np.full(c, -np.inf), np.full(c, np.inf)
        if self.clip is not None:
            samples = []
            for x, brain in volumes:
                vals = x[:, brain]
                stride = max(1, vals.shape[1] // PERCENTILE_SAMPLE)
                samples.append(vals[:, ::stride])
            pooled = np.concatenate(samples, axis=1) if samples else np.zeros((c, 0))
            if pooled.shape[1]:
                lower, upper = (np.percentile(pooled, q, axis=1).astype(np.float64) for q in self.clip)
        lower[scalar], upper[scalar] = -np.inf, np.inf
        n, s, s2 = 0, np.zeros(c), np.zeros(c)
        for x, brain in volumes:
            vals = np.clip(x[:, brain].astype(np.float64), lower[:, None], upper[:, None])
            s += vals.sum(1)
            s2 += (vals**2).sum(1)
            n += vals.shape[1]
        if n == 0:
            raise InputError("no brain voxels to fit the normalisation on")
        mean = s / n
        std = np.sqrt(np.maximum(s2 / n - mean**2, 1e-12))
        mean[scalar], std[scalar] = 0.0, 1.0
        return lower, upper, mean, std

    def parameters(self, x: np.ndarray, brain: np.ndarray) -> tuple[np.ndarray, ...]:
        """``(lower, upper, mean, std)`` per channel for a case: the fitted ones, the case's own, or (mode
        ``none``) the identity."""
        if self.mode == Normalization.NONE:
            c = len(self.channels)
            return np.full(c, -np.inf), np.full(c, np.inf), np.zeros(c), np.ones(c)
        return self.reference(x, brain)

    def reference(self, x: np.ndarray, brain: np.ndarray) -> tuple[np.ndarray, ...]:
        """What the model's training inputs looked like, ``(lower, upper, mean, std)`` per channel, for the input
        guard: the fitted statistics (modes ``dataset`` and ``none``), or the case's own (mode ``case``)."""
        if self.mode == Normalization.CASE:
            if not brain.any():
                c = len(self.channels)
                return np.full(c, -np.inf), np.full(c, np.inf), np.zeros(c), np.ones(c)
            return self._statistics([(x, brain)])
        if not self.mean:
            raise ValueError("Normalizer used before fit()")
        c = len(self.channels)
        lower = np.asarray(self.lower, np.float64) if self.lower else np.full(c, -np.inf)  # bundles before clipping
        upper = np.asarray(self.upper, np.float64) if self.upper else np.full(c, np.inf)
        return lower, upper, np.asarray(self.mean, np.float64), np.asarray(self.std, np.float64)

    def __call__(self, x: np.ndarray, brain: np.ndarray) -> np.ndarray:
        """Whitened ``x`` ``(C, …)`` as float32: clipped, centred and scaled per channel in float64,
        image channels zeroed outside ``brain``. One channel at a time, in place, so the float64
        intermediate is one channel, not the whole case."""
        lower, upper, mean, std = self.parameters(x, brain)
        masked = self.masked()
        out = np.empty(x.shape, np.float32)
        for c in range(x.shape[0]):  # C passes of vectorised work (a handful of channels)
            t = x[c].astype(np.float64)
            np.clip(t, lower[c], upper[c], out=t)
            t -= mean[c]
            t /= std[c]
            if masked[c]:
                t *= brain
            out[c] = t
        return out

    def to_dict(self) -> dict[str, Any]:
        finite = lambda v: [float(b) if np.isfinite(b) else None for b in v]  # noqa: E731  (JSON has no infinity)
        return {
            "channels": self.channels,
            "mode": self.mode,
            "mean": self.mean,
            "std": self.std,
            "clip": list(self.clip) if self.clip is not None else None,
            "lower": finite(self.lower),
            "upper": finite(self.upper),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Normalizer:
        """The whitening a bundle stores; means and clip bounds must be finite and standard deviations
        finite and positive (a NaN would silently turn every prediction into background).

        Raises:
            ValueError: a statistic is missing its channel, not finite, or not positive where it must be.
        """
        clip = d.get("clip")
        lower = [-np.inf if b is None else float(b) for b in d.get("lower", [])]
        upper = [np.inf if b is None else float(b) for b in d.get("upper", [])]
        mean, std = [float(x) for x in d.get("mean", [])], [float(x) for x in d.get("std", [])]
        if not all(np.isfinite(mean)) or not all(np.isfinite(x) and x > 0 for x in std):
            raise ValueError("means must be finite and standard deviations finite and above 0")
        if any(np.isnan(lower)) or any(np.isnan(upper)) or any(lo > hi for lo, hi in zip(lower, upper)):
            raise ValueError("clip bounds must be numbers with lower ≤ upper")
        if clip and not (np.isfinite(float(clip[0])) and np.isfinite(float(clip[1])) and float(clip[0]) <= float(clip[1])):
            raise ValueError("the clip range must be finite with lower ≤ upper")
        return cls(
            list(d["channels"]),
            d.get("mode", "dataset"),
            list(d.get("mean", [])),
            list(d.get("std", [])),
            (float(clip[0]), float(clip[1])) if clip else None,
            lower,
            upper,
        )


def channel_names(modalities: Sequence[str], symmetric: bool) -> list[str]:
    """The channel names of ``modalities``, followed by their ``_sym`` copies when symmetric."""
    return list(modalities) + ([f"{m}_sym" for m in modalities] if symmetric else [])
