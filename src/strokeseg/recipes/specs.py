"""The training stage's typed configuration, derived from a recipe's YAML blocks.

A recipe file keeps its plain shape (``network: {name, kwargs}``, ``scheduler: {...}``); these
frozen views are what the trainer reads, so no stage reads an untyped dict with ``.get()``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from strokeseg.errors import ConfigError


class EarlyStopping(StrEnum):
    """The validation quantity whose stall stops training."""

    L1_ERROR = "l1+error"  # validation L1 distance plus the error rate (Clèrigues)
    LOSS = "loss"
    DICE = "dice"  # validation Dice of the foreground classes


class Precision(StrEnum):
    """Mixed precision of training on CUDA (the CPU always trains in float32)."""

    AUTO = "auto"  # bf16 where the GPU supports it, else fp16 with loss scaling
    BF16 = "bf16"
    FP16 = "fp16"
    OFF = "off"


class FineTuningFallback(StrEnum):
    """What fine-tuning stages do when the backbone has no pretrained weights."""

    SKIP = "skip"  # train everything from the start with the last stage's settings
    KEEP = "keep"  # run the stages as written


@dataclass(frozen=True)
class ComponentSpec:
    """A registry entry named by a recipe: ``name`` plus keyword arguments."""

    name: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, block: Mapping[str, Any]) -> ComponentSpec:
        """The spec of a recipe's ``{name, kwargs}`` block."""
        return cls(str(block["name"]), dict(block.get("kwargs", {}) or {}))


@dataclass(frozen=True)
class SchedulerSpec:
    """Reduce-on-plateau on the stopping metric: the learning rate × ``factor`` after ``patience`` stalled epochs."""

    name: str = "plateau"
    factor: float = 0.1
    patience: int = 20

    @classmethod
    def of(cls, block: Mapping[str, Any] | None) -> SchedulerSpec | None:
        """The spec of a recipe's ``scheduler:`` block (None when absent); unknown keys are a ConfigError."""
        if not block:
            return None
        unknown = set(block) - {"name", "factor", "patience"}
        if unknown:
            raise ConfigError(f"scheduler.{sorted(unknown)[0]}: unknown field (known: factor, name, patience)")
        return cls(str(block.get("name", "plateau")), float(block.get("factor", 0.1)), int(block.get("patience", 20)))


#: the adversarial SegNet's phase-5 objectives (:class:`AdversarialSpec`)
OBJECTIVES = ("paper", "nonsaturating")


@dataclass(frozen=True)
class AdversarialSpec:
    """The adversarial SegNet's discriminator: base width, the generator's adversarial loss weights per
    phase, its Adam settings, and the segmenter's phase-5 objective: ``paper`` (J_Adv = −αJ_D1 − βJ_D2 − γJ_D3,
    the discriminators' own losses maximised, as the paper writes it) or ``nonsaturating`` (J_seg plus the
    relativistic non-saturating generator losses for D1 and D2 and D3's loss minimised)."""

    weights: tuple[float, ...] = (0.001, 0.001, 0.001)
    lr: float = 1e-3
    base: int = 32
    betas: tuple[float, float] = (0.5, 0.999)
    objective: str = "paper"

    @classmethod
    def of(cls, block: Mapping[str, Any] | None) -> AdversarialSpec | None:
        """The spec of a recipe's ``adversarial:`` block (None when absent); unknown keys are a ConfigError."""
        if not block:
            return None
        unknown = set(block) - {"weights", "lr", "base", "betas", "objective"}
        if unknown:
            raise ConfigError(f"adversarial.{sorted(unknown)[0]}: unknown field (known: base, betas, lr, objective, weights)")
        d = cls()
        betas = tuple(float(b) for b in block.get("betas", d.betas))
        objective = str(block.get("objective", d.objective))
        if objective not in OBJECTIVES:
            raise ConfigError(f"adversarial.objective must be one of {', '.join(OBJECTIVES)}, not {objective!r}")
        return cls(
            tuple(float(w) for w in block.get("weights", d.weights)),
            float(block.get("lr", d.lr)),
            int(block.get("base", d.base)),
            (betas[0], betas[1]),
            objective,
        )


@dataclass(frozen=True)
class FineTuningStage:
    """One fine-tuning stage: the share of the backbone's weights (parameter count, in whole blocks, deepest first)
    that trains, and its learning rate."""

    unfrozen: float = 1.0
    lr: float | None = None

    @classmethod
    def of(cls, block: Mapping[str, Any]) -> FineTuningStage:
        """The stage a recipe's ``fine_tuning`` entry describes."""
        lr = block.get("lr")
        return cls(float(block.get("unfrozen", 1.0)), None if lr is None else float(lr))


@dataclass(frozen=True)
class TrainConfig:
    """What the fold trainer needs (:func:`strokeseg.training.trainer.fit`).

    Attributes:
        name: the recipe's name, for messages and plot titles.
        num_classes: classes of the network's softmax.
        network, loss, optimizer: registry names and keyword arguments.
        scheduler: learning-rate schedule, or None.
        adversarial: discriminator settings, or None for plain training.
        epochs: the most epochs; patience: epochs without improvement before stopping.
        batch_size: samples per step.
        early_stopping: :class:`EarlyStopping`.
        precise_bn: samples whose forward passes recompute batch-norm statistics after each epoch (0: off).
        grad_clip: the largest global L2 gradient norm per step (0: no clipping).
        pretrained: ImageNet weight file for the backbone(s), or None.
        fine_tuning: the stages to run, in order.
        group_penalty: loss weight of the lesion classes for cases of a group.
        amp: :class:`Precision` of the autocast on CUDA.
        channels_last: on CUDA, train 2D networks in channels-last memory format.
        compile: wrap the network in ``torch.compile`` (falling back to eager, with a note, if it fails).
    """

    name: str = "custom"
    num_classes: int = 2
    network: ComponentSpec = field(default_factory=lambda: ComponentSpec(""))  # a recipe must name its network
    loss: ComponentSpec = field(default_factory=lambda: ComponentSpec("focal"))
    optimizer: ComponentSpec = field(default_factory=lambda: ComponentSpec("adadelta"))
    scheduler: SchedulerSpec | None = None
    adversarial: AdversarialSpec | None = None
    epochs: int = 100
    patience: int = 10
    batch_size: int = 64
    early_stopping: EarlyStopping = EarlyStopping.L1_ERROR
    precise_bn: int = 1024
    grad_clip: float = 0.0
    pretrained: str | None = None
    fine_tuning: tuple[FineTuningStage, ...] = ()
    group_penalty: Mapping[str, float] = field(default_factory=dict)
    amp: Precision = Precision.AUTO
    channels_last: bool = True
    compile: bool = False
