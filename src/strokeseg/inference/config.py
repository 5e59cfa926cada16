"""The inference stage's configuration: sliding windows, Monte-Carlo dropout and test-time flips."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class InferenceConfig:
    """The recipe's ``inference:`` block: window stride ``step`` ``(Z, Y, X)`` voxels, windows per
    batch, Monte-Carlo dropout passes and rate (0: the trained rate), and left–right flip TTA."""

    step: list[int] = field(default_factory=lambda: [1, 16, 16])
    batch_size: int = 64
    mc_passes: int = 1
    mc_dropout: float = 0.0
    tta_flip: bool = False


@dataclass(frozen=True)
class WindowConfig:
    """Everything one sliding-window prediction needs besides the input and the networks.

    Attributes:
        window: ``(Z, Y, X)`` window size in voxels; a depth of 1 feeds 2D networks ``(B, C, H, W)``.
        step: ``(Z, Y, X)`` stride between windows (≤ window).
        batch_size: windows per forward pass.
        mc_passes: forward passes per window and model with dropout on (1 = deterministic).
        mc_dropout: dropout rate during the Monte-Carlo passes (None keeps the trained rate).
        tta_flip: also predict the left–right flipped input and average.
        num_classes: classes of the networks' softmax.
        seed: seed of the Monte-Carlo dropout masks.
    """

    window: tuple[int, int, int]
    step: tuple[int, int, int]
    batch_size: int = 64
    mc_passes: int = 1
    mc_dropout: float | None = None
    tta_flip: bool = False
    num_classes: int = 2
    seed: int = 0

    @property
    def foreground(self) -> tuple[int, ...]:
        """Classes whose summed probability is the lesion probability."""
        return (1,) if self.num_classes == 2 else tuple(range(1, self.num_classes))

    @classmethod
    def from_recipe_blocks(
        cls, patch_size: list[int], inf: InferenceConfig, num_classes: int, mc_passes: int | None = None, tta: bool | None = None
    ) -> WindowConfig:
        """The windows of a recipe's patch size and ``inference:`` block, with optional overrides."""
        return cls(
            window=(int(patch_size[0]), int(patch_size[1]), int(patch_size[2])),
            step=(int(inf.step[0]), int(inf.step[1]), int(inf.step[2])),
            batch_size=int(inf.batch_size),
            mc_passes=int(mc_passes if mc_passes is not None else inf.mc_passes),
            mc_dropout=inf.mc_dropout or None,
            tta_flip=bool(inf.tta_flip if tta is None else (tta or inf.tta_flip)),
            num_classes=num_classes,
        )
