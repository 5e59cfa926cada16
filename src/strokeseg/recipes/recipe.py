"""Recipes: a published method's full training/inference configuration, as data (YAML).

A recipe names its network, loss and optimiser by registry key plus keyword arguments, so
hyper-parameters are fields, never subclasses. Shipped recipes live in ``strokeseg/recipes``;
any YAML file with the same fields works. ``--set a.b=value`` overrides a field from the CLI.

A file may write each stage's settings as its block (``prepare:``, ``train:``, ``sampling:``, ``augmentation:``,
``inference:``, ``postprocess:``), or the prepare and train settings as the flat keys they alias (``epochs: 200`` is
``train: {epochs: 200}``; ``--set train.epochs=3`` is ``--set epochs=3``). The :class:`Recipe` object is made of
the stage configs (``recipe.prepare``, ``recipe.train``, ``recipe.sampling`` …), each default defined once in its
stage config; :meth:`Recipe.to_dict` gives the file's flat form back.
"""

from __future__ import annotations

import copy
import enum
import math
import types
import typing
from collections.abc import Callable
from dataclasses import MISSING, asdict, dataclass, field, fields, is_dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from strokeseg.errors import ConfigError
from strokeseg.inference.config import InferenceConfig, WindowConfig
from strokeseg.io.labels import Target
from strokeseg.postprocess.config import GridSearch, HdUnits, LabelMode, PostprocessConfig
from strokeseg.preprocessing.config import BrainMask, Normalization, PrepareConfig, SymmetryTransform
from strokeseg.recipes.catalog import shipped_recipes
from strokeseg.recipes.specs import (
    AdversarialSpec,
    ComponentSpec,
    EarlyStopping,
    FineTuningFallback,
    FineTuningStage,
    Precision,
    SchedulerSpec,
    TrainConfig,
)
from strokeseg.sampling.config import AugmentConfig, AugmentTarget, SamplingConfig, SamplingMode, SamplingPlan

SAMPLE_WEIGHTED_LOSSES = ("focal-tversky",)  # losses whose forward takes per-sample lesion weights
BLOCKS = {"sampling": SamplingConfig, "augmentation": AugmentConfig, "inference": InferenceConfig, "postprocess": PostprocessConfig}
ENUMS: dict[str, type[enum.StrEnum]] = {"fine_tuning_without_pretrained": FineTuningFallback}
BLOCK_ENUMS = {
    ("sampling", "mode"): SamplingMode,
    ("augmentation", "apply_to"): AugmentTarget,
    ("postprocess", "mode"): LabelMode,
    ("postprocess", "search"): GridSearch,
    ("postprocess", "hd_units"): HdUnits,
}


#: the flat keys a recipe file may write for the preprocessing stage (aliases of ``prepare: {<key>: …}``), with the
#: type the file writes; the values and their defaults live in :class:`PrepareConfig`
PREPARE_KEYS: dict[str, Any] = {
    "target": str,
    "symmetric": bool,
    "reference": str,
    "symmetric_transform": str,
    "skull_strip": list[str],
    "brain_mask": str,
    "normalization": str,
    "intensity_clip": list[float] | None,
    "clinical_inputs": list[str],
    "nihss_impute": float | None,
    "modalities": list[str],
}
#: the same for the training stage (``train: {<key>: …}``; values and defaults in :class:`TrainConfig`)
TRAIN_KEYS: dict[str, Any] = {
    "batch_size": int,
    "epochs": int,
    "patience": int,
    "early_stopping": str,
    "precise_bn": int,
    "grad_clip": float,
    "pretrained": str | None,
    "amp": str,
    "channels_last": bool,
    "compile": bool,
    "network": dict[str, Any],
    "loss": dict[str, Any],
    "optimizer": dict[str, Any],
    "scheduler": dict[str, Any] | None,
    "adversarial": dict[str, Any] | None,
    "fine_tuning": list[dict[str, Any]],
    "group_penalty": dict[str, float],
}
#: the stage blocks a recipe file may write instead of flat keys (``train: {epochs: 200}`` = ``epochs: 200``)
STAGE_BLOCKS = {"prepare": frozenset(PREPARE_KEYS), "train": frozenset(TRAIN_KEYS)}
#: the stage configs' enum fields, by flat key
STAGE_ENUMS = {
    "target": Target,
    "brain_mask": BrainMask,
    "symmetric_transform": SymmetryTransform,
    "normalization": Normalization,
    "early_stopping": EarlyStopping,
    "amp": Precision,
}


def flatten_blocks(d: dict[str, Any], where: str) -> dict[str, Any]:
    """``d`` with its ``prepare:`` and ``train:`` blocks written as the flat keys they alias; a key that is not
    its block's, or that the document gives twice (in the block and flat), is a :class:`ConfigError`."""
    out = {k: v for k, v in d.items() if k not in STAGE_BLOCKS}
    for block, allowed in STAGE_BLOCKS.items():
        if block not in d:
            continue
        values = d[block]
        if not isinstance(values, dict):
            raise ConfigError(f"recipe {where}: '{block}' must be a mapping of its fields, not {values!r}"[:200])
        for k, v in values.items():
            if k not in allowed:
                raise ConfigError(f"recipe {where}: {block}.{k} is not a field of the {block} stage ({', '.join(sorted(allowed))})")
            if k in d:
                raise ConfigError(f"recipe {where}: {k} is given twice ({block}.{k} and {k}); give it once")
            out[k] = v
    return out


def flat_key(key: str) -> str:
    """An override's dotted key with a stage block's prefix dropped (``train.epochs`` → ``epochs``)."""
    block, _, rest = key.partition(".")
    return rest if block in STAGE_BLOCKS and rest.split(".")[0] in STAGE_BLOCKS[block] else key


@dataclass(frozen=True)
class Recipe:
    """A published method's whole configuration: its identity, the stage configs it is made of, and the
    cross-validation settings.

    Each stage owns its typed, frozen config: :attr:`prepare` (:class:`PrepareConfig`), :attr:`train`
    (:class:`TrainConfig`), :attr:`sampling`, :attr:`augmentation`, :attr:`inference` and
    :attr:`postprocess`; every default lives there once. A recipe file writes each stage as its block, or the
    prepare and train settings as the flat keys they alias (:func:`recipe_from_dict`); :meth:`to_dict` gives
    the flat form back, the one every version of strokeseg reads. The stage configs' ``name`` and the training
    stage's ``num_classes`` follow the recipe's name and target.
    """

    name: str
    description: str = ""
    output_label: int | None = None  # canonical label of predicted lesion voxels (binary targets)
    prepare: PrepareConfig = field(default_factory=PrepareConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    fine_tuning_without_pretrained: FineTuningFallback = FineTuningFallback.SKIP
    validation_fraction: float = 0.2  # of the training patients, for early stopping
    split_file: str | None = None  # explicit folds with their validation cases (strokeseg.training.split); None: random
    folds: int = 5
    seed: int = 0
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    augmentation: AugmentConfig = field(default_factory=AugmentConfig)
    inference: InferenceConfig = field(default_factory=InferenceConfig)
    postprocess: PostprocessConfig = field(default_factory=PostprocessConfig)

    def __post_init__(self) -> None:
        for key, kind in ENUMS.items():
            object.__setattr__(self, key, _enum(kind, getattr(self, key), f"recipe {self.name}: {key}"))
        for name, cls in BLOCKS.items():
            value = getattr(self, name)
            if not isinstance(value, dict | cls):
                raise ConfigError(f"recipe {self.name}: '{name}' must be a mapping of its fields, not {value!r}"[:200])
            if isinstance(value, dict):
                check_fields(cls, value, f"recipe {self.name}: {name}.")
                value = dict(value)
                for (block, key), kind in BLOCK_ENUMS.items():
                    if block == name and key in value:
                        value[key] = _enum(kind, value[key], f"recipe {self.name}: {name}.{key}")
                object.__setattr__(self, name, cls(**value))
        for name, cls in (("prepare", PrepareConfig), ("train", TrainConfig)):
            if not isinstance(getattr(self, name), cls):
                raise ConfigError(f"recipe {self.name}: '{name}' must be a {cls.__name__}, not {getattr(self, name)!r}"[:200])
        object.__setattr__(self, "prepare", replace(self.prepare, name=self.name))
        classes = 3 if self.prepare.target == Target.THREE_CLASS else 2
        object.__setattr__(self, "train", replace(self.train, name=self.name, num_classes=classes))
        check_ranges(self)
        check_consistency(self)

    def stages_for(self, pretrained: bool) -> tuple[FineTuningStage, ...]:
        """The fine-tuning stages to run: as written, or only the last one, fully unfrozen, when the
        backbone is randomly initialised and ``fine_tuning_without_pretrained`` is ``skip``."""
        stages = self.train.fine_tuning
        if pretrained or not stages or self.fine_tuning_without_pretrained == FineTuningFallback.KEEP:
            return stages
        return (replace(stages[-1], unfrozen=1.0),)

    @property
    def dims(self) -> int:
        """2 for slice-wise networks (patch depth 1), else 3."""
        return 2 if self.sampling.patch_size[0] == 1 else 3

    @property
    def num_classes(self) -> int:
        return self.train.num_classes

    @property
    def sampling_plan(self) -> SamplingPlan:
        """The training sample set's configuration."""
        return SamplingPlan(self.sampling, self.augmentation, dict(self.train.group_penalty))

    def window(self, mc_passes: int | None = None, tta: bool | None = None) -> WindowConfig:
        """The inference stage's windows: the patch size and ``inference:`` block, with optional overrides."""
        return WindowConfig.from_recipe_blocks(self.sampling.patch_size, self.inference, self.num_classes, mc_passes, tta)

    def to_dict(self) -> dict[str, Any]:
        """The recipe as the plain values of its file's flat form (enum members as their strings)."""
        top = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in STAGE_BLOCKS}
        return _flat(top, self.prepare, self.train)

    def to_yaml(self) -> str:
        """The recipe as YAML text (what ``recipe.yaml`` in a bundle holds)."""
        return yaml.safe_dump(self.to_dict(), sort_keys=False)


#: the flat form's key order (the order of a recipe file)
FLAT_ORDER = (
    "name",
    "description",
    "modalities",
    "target",
    "output_label",
    "symmetric",
    "reference",
    "symmetric_transform",
    "skull_strip",
    "brain_mask",
    "normalization",
    "intensity_clip",
    "network",
    "loss",
    "optimizer",
    "batch_size",
    "epochs",
    "patience",
    "early_stopping",
    "precise_bn",
    "grad_clip",
    "amp",
    "channels_last",
    "compile",
    "scheduler",
    "pretrained",
    "fine_tuning",
    "fine_tuning_without_pretrained",
    "adversarial",
    "clinical_inputs",
    "group_penalty",
    "nihss_impute",
    "validation_fraction",
    "split_file",
    "folds",
    "seed",
    "sampling",
    "augmentation",
    "inference",
    "postprocess",
)


def _flat(top: dict[str, Any], prepare: PrepareConfig, train: TrainConfig) -> dict[str, Any]:
    """The flat form of a recipe's top-level values and stage configs (see :data:`FLAT_ORDER`)."""
    values = {k: getattr(prepare, k) for k in PREPARE_KEYS}
    values.update({k: getattr(train, k) for k in TRAIN_KEYS})
    values.update(top)
    for k in ("network", "loss", "optimizer"):
        values[k] = {"name": values[k].name, "kwargs": dict(values[k].kwargs)}
    for k in ("scheduler", "adversarial"):
        values[k] = None if values[k] is None else asdict(values[k])
    values["fine_tuning"] = [asdict(st) for st in train.fine_tuning]
    values["group_penalty"] = dict(train.group_penalty)
    values.update({k: asdict(v) for k, v in values.items() if k in BLOCKS and is_dataclass(v) and not isinstance(v, type)})
    result: dict[str, Any] = _plain({k: values[k] for k in FLAT_ORDER if k in values})
    return result


def field_defaults() -> dict[str, Any]:
    """The default of every flat recipe key that has one, as the plain values of :meth:`Recipe.to_dict` (a block
    such as ``inference`` as the dict of its own defaults). A key missing from a recipe written by an earlier
    version, and at its default now, is what that version did."""
    top: dict[str, Any] = {}
    for f in fields(Recipe):
        if f.name in STAGE_BLOCKS:
            continue
        if f.default is not MISSING:
            top[f.name] = f.default
        elif f.default_factory is not MISSING:
            top[f.name] = f.default_factory()
    out = _flat(top, PrepareConfig(), TrainConfig())
    out.pop("network")  # every recipe names its network: it has no default
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _enum(cls: type[enum.StrEnum], value: Any, where: str) -> Any:
    """``value`` as a member of ``cls``; one :class:`ConfigError` listing the choices otherwise."""
    try:
        return cls(value)
    except ValueError:
        choices = ", ".join(repr(m.value) for m in cls)
        raise ConfigError(f"{where} must be one of {choices}, got {value!r}") from None


def check_consistency(r: Recipe) -> None:
    """Rules that tie fields together (clinical inputs and network scalars, group penalties and losses, …)."""
    p, t = r.prepare, r.train
    unknown = set(p.clinical_inputs) - {"NIHSS"}
    if unknown:
        raise ConfigError(f"recipe {r.name}: unsupported clinical input(s) {', '.join(sorted(unknown))} (supported: NIHSS)")
    n_sc = int(t.network.kwargs.get("n_scalars", 0) or 0)
    if n_sc != len(p.clinical_inputs):
        raise ConfigError(
            f"recipe {r.name}: network n_scalars ({n_sc}) must equal the number of clinical_inputs ({len(p.clinical_inputs)})"
        )
    if t.group_penalty:
        if t.loss.name not in SAMPLE_WEIGHTED_LOSSES:
            raise ConfigError(
                f"recipe {r.name}: group_penalty needs a loss that takes sample weights "
                f"({', '.join(SAMPLE_WEIGHTED_LOSSES)}), not {t.loss.name!r}"
            )
        if t.adversarial:
            raise ConfigError(f"recipe {r.name}: group_penalty is not supported with adversarial training")
        if any(float(v) <= 0 for v in t.group_penalty.values()):
            raise ConfigError(f"recipe {r.name}: group_penalty weights must be positive")
    if float(t.grad_clip) > 0 and t.adversarial:
        raise ConfigError(f"recipe {r.name}: grad_clip is not supported with adversarial training")
    clip = p.intensity_clip
    if clip is not None and not (len(clip) == 2 and 0.0 <= float(clip[0]) < float(clip[1]) <= 100.0):
        raise ConfigError(f"recipe {r.name}: intensity_clip must be two percentiles 0 <= low < high <= 100 (or null), got {list(clip)!r}")
    for st in t.fine_tuning:
        if not 0.0 <= float(st.unfrozen) <= 1.0:
            raise ConfigError(f"recipe {r.name}: fine_tuning 'unfrozen' must be a fraction in [0, 1]")


_KIND = {int: "a whole number", float: "a number", bool: "true or false", str: "a string", list: "a list", dict: "a mapping"}


def _type_ok(value: Any, hint: Any) -> tuple[bool, str]:
    """Whether ``value`` fits the annotation ``hint`` (ints count as floats, bools are not numbers)."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        results = [_type_ok(value, a) for a in args]
        return any(ok for ok, _ in results), " or ".join(w for _, w in results)
    if hint is type(None):
        return value is None, "null"
    if hint is Any:
        return True, "anything"
    base = origin or hint
    if base is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool), _KIND[float]
    if base is int:
        return isinstance(value, int) and not isinstance(value, bool), _KIND[int]
    if base in (list, dict, str, bool):
        if not isinstance(value, base):
            return False, _KIND[base]
        if base is list and args:
            return all(_type_ok(v, args[0])[0] for v in value), f"a list of {_type_ok(None, args[0])[1].removeprefix('a ')}s"
        return True, _KIND[base]
    return True, str(hint)


def check_fields(cls: type, values: dict[str, Any], where: str) -> None:
    """Unknown keys and wrongly typed values of a config block, as one :class:`ConfigError` naming the key (for
    :class:`Recipe`: its flat form, the stage keys as their aliases)."""
    hints = typing.get_type_hints(cls)
    if cls is Recipe:
        hints = {**{k: v for k, v in hints.items() if k not in STAGE_BLOCKS}, **PREPARE_KEYS, **TRAIN_KEYS}
    unknown = sorted(set(values) - set(hints))
    if unknown:
        raise ConfigError(f"{where}{unknown[0]}: unknown field (known: {', '.join(sorted(hints))})")
    for key, value in values.items():
        if key in BLOCKS and isinstance(value, dict):
            continue
        ok, wanted = _type_ok(value, hints[key])
        if not ok:
            raise ConfigError(f"{where}{key}: must be {wanted}, got {value!r}")


MAX_PATCH_VOXELS = 1 << 22  # 4.2 M voxels per patch (e.g. 1×2048×2048 or 160³): above it one batch exhausts memory
MAX_PATCH_AXIS = 2048


def _need(r: Recipe) -> Callable[[bool, str, str, Any], None]:
    def need(cond: bool, key: str, rule: str, value: Any) -> None:
        if not cond:
            raise ConfigError(f"recipe {r.name}: {key} must be {rule}, got {value!r}")

    return need


def check_ranges(r: Recipe) -> None:
    """The value ranges a recipe must respect; one :class:`ConfigError` naming the field."""
    need = _need(r)
    t = r.train
    need(t.epochs >= 1, "epochs", "≥ 1", t.epochs)
    need(
        r.folds >= 2 or (r.split_file is not None and r.folds >= 1),
        "folds",
        "≥ 2 (cross-validation needs a held-out fold; one fixed split needs a split_file)",
        r.folds,
    )
    need(t.batch_size >= 1, "batch_size", "≥ 1", t.batch_size)
    need(t.patience >= 1, "patience", "≥ 1", t.patience)
    need(int(t.precise_bn) >= 0, "precise_bn", "a number of samples >= 0", t.precise_bn)
    need(float(t.grad_clip) >= 0.0, "grad_clip", "a gradient norm >= 0 (0: off)", t.grad_clip)
    need(0.0 <= r.validation_fraction < 1.0, "validation_fraction", "in [0, 1)", r.validation_fraction)
    for spec, key in ((t.network, "network"), (t.loss, "loss"), (t.optimizer, "optimizer")):
        need(bool(spec.name), f"{key}.name", "the registry name of the " + key, spec.name)
    _check_block_ranges(r, need)


def _check_raw_blocks(d: dict[str, Any], where: str) -> None:
    """The ``{name, kwargs}`` blocks and ``scheduler:`` of a recipe's flat form, before they become specs."""

    def need(cond: bool, key: str, rule: str, value: Any) -> None:
        if not cond:
            raise ConfigError(f"recipe {where}: {key} must be {rule}, got {value!r}")

    for key in ("network", "loss", "optimizer"):
        block = d.get(key, {"name": "?"} if key != "network" else {})
        name = block.get("name") if isinstance(block, dict) else block
        need(isinstance(block, dict) and isinstance(name, str) and bool(name), f"{key}.name", "the registry name of the " + key, name)
        need(isinstance(block.get("kwargs", {}), dict), f"{key}.kwargs", "a mapping", block.get("kwargs"))
        need(not set(block) - {"name", "kwargs"}, key, "a mapping of name and kwargs only", sorted(set(block) - {"name", "kwargs"}))
    scheduler = d.get("scheduler")
    if scheduler is not None:
        need(scheduler.get("name", "plateau") == "plateau", "scheduler.name", "plateau", scheduler.get("name"))
    clip = d.get("intensity_clip")
    if clip is not None and len(clip) != 2:
        raise ConfigError(f"recipe {where}: intensity_clip must be two percentiles 0 <= low < high <= 100 (or null), got {clip!r}")


def _stage_configs(d: dict[str, Any], where: str) -> tuple[PrepareConfig, TrainConfig]:
    """The prepare and train stage configs of a flat form's keys (popped from ``d``), enums checked."""
    for key, kind in STAGE_ENUMS.items():
        if key in d:
            d[key] = _enum(kind, d[key], f"recipe {where}: {key}")
    prep = {k: d.pop(k) for k in PREPARE_KEYS if k in d}
    for k in ("modalities", "skull_strip", "clinical_inputs"):
        if k in prep:
            prep[k] = tuple(prep[k])
    if prep.get("intensity_clip") is not None:
        prep["intensity_clip"] = (float(prep["intensity_clip"][0]), float(prep["intensity_clip"][1]))
    train = {k: d.pop(k) for k in TRAIN_KEYS if k in d}
    for k in ("network", "loss", "optimizer"):
        if k in train:
            train[k] = ComponentSpec.of(train[k])
    train["scheduler"] = SchedulerSpec.of(train.get("scheduler"))
    train["adversarial"] = AdversarialSpec.of(train.get("adversarial"))
    train["fine_tuning"] = tuple(FineTuningStage.of(st) for st in train.get("fine_tuning", ()))
    train["group_penalty"] = {str(k): float(v) for k, v in (train.get("group_penalty") or {}).items()}
    return PrepareConfig(**prep), TrainConfig(**train)


def _check_block_ranges(r: Recipe, need: Callable[[bool, str, str, Any], None]) -> None:
    """Ranges of the ``sampling:``, ``inference:`` and ``postprocess:`` blocks."""
    sp, inf, pp = r.sampling, r.inference, r.postprocess
    patch = sp.patch_size
    need(len(patch) == 3 and all(int(v) >= 1 for v in patch), "sampling.patch_size", "three sizes ≥ 1 (Z, Y, X)", patch)
    need(
        max(patch) <= MAX_PATCH_AXIS and math.prod(patch) <= MAX_PATCH_VOXELS,
        "sampling.patch_size",
        f"at most {MAX_PATCH_AXIS} per axis and {MAX_PATCH_VOXELS:,} voxels",
        patch,
    )
    need(sp.patches_per_case >= 1, "sampling.patches_per_case", "≥ 1", sp.patches_per_case)
    need(0.0 <= sp.lesion_fraction <= 1.0, "sampling.lesion_fraction", "in [0, 1]", sp.lesion_fraction)
    need(
        len(inf.step) == 3 and all(1 <= int(s) <= int(p) for s, p in zip(inf.step, patch)),
        "inference.step",
        "three strides ≥ 1 and ≤ the patch size (no gaps between windows)",
        inf.step,
    )
    need(inf.batch_size >= 1, "inference.batch_size", "≥ 1", inf.batch_size)
    need(inf.mc_passes >= 1, "inference.mc_passes", "≥ 1", inf.mc_passes)
    need(0.0 <= inf.mc_dropout < 1.0, "inference.mc_dropout", "in [0, 1)", inf.mc_dropout)
    need(
        bool(pp.thresholds) and all(0.0 < t < 1.0 for t in pp.thresholds),
        "postprocess.thresholds",
        "a non-empty list of probabilities in (0, 1)",
        pp.thresholds,
    )
    need(
        bool(pp.min_sizes) and all(m >= 0 for m in pp.min_sizes),
        "postprocess.min_sizes",
        "a non-empty list of voxel counts ≥ 0",
        pp.min_sizes,
    )
    need(pp.mode in tuple(LabelMode), "postprocess.mode", " or ".join(LabelMode), pp.mode)
    need(pp.search in tuple(GridSearch), "postprocess.search", " or ".join(GridSearch), pp.search)
    need(pp.hd_units in tuple(HdUnits), "postprocess.hd_units", " or ".join(HdUnits), pp.hd_units)
    need(math.isfinite(pp.hd_max) and pp.hd_max > 0, "postprocess.hd_max", "a number > 0", pp.hd_max)


def check_patch_fits(recipe: Recipe, shape_zyx: tuple[int, ...], case_id: str) -> None:
    """Refuse a patch more than twice the volume along an axis: such patches are mostly zero padding.

    (A patch somewhat larger than the volume is legitimate: the SPES recipe pads 94×110 slices to 128.)
    """
    for axis, (p, n) in enumerate(zip(recipe.sampling.patch_size, shape_zyx)):
        if int(p) > 2 * int(n):
            raise ConfigError(
                f"recipe {recipe.name}: sampling.patch_size {recipe.sampling.patch_size} is more than twice "
                f"case {case_id}'s size {list(shape_zyx)} along axis {'ZYX'[axis]}; use a smaller patch"
            )


def _set_path(d: dict[str, Any], dotted: str, value: Any) -> None:
    keys = dotted.split(".")
    cur = d
    for k in keys[:-1]:
        if cur.get(k) is None:
            cur[k] = {}
        elif not isinstance(cur[k], dict):
            raise ConfigError(f"override {dotted}: {k} is not a block of the recipe")
        cur = cur[k]
    cur[keys[-1]] = value


def parse_override(text: str) -> tuple[str, Any]:
    """``key.sub=value`` as ``(key.sub, value)``, the value read as YAML (a plain string otherwise)."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"override {text!r} is not of the form key=value")
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError:
        value = raw
    return key.strip(), value


def recipe_from_dict(d: dict[str, Any], where: str) -> Recipe:
    """A validated :class:`Recipe` from a plain mapping, flat or with ``prepare:``/``train:`` blocks (unknown keys,
    types and ranges checked)."""
    d = flatten_blocks(d, where)
    if not isinstance(d.get("name"), str) or not d.get("name"):
        raise ConfigError(f"recipe {where}: name: must be a non-empty string, got {d.get('name')!r}")
    check_fields(Recipe, d, f"recipe {where}: ")
    _check_raw_blocks(d, where)
    try:
        d = dict(d)
        prepare, train = _stage_configs(d, where)
        return Recipe(**d, prepare=prepare, train=train)
    except TypeError as exc:
        raise ConfigError(f"recipe {where}: {exc}") from None
    except ConfigError as exc:  # name the file, not only the recipe's own name
        raise ConfigError(exc.message.replace(f"recipe {d['name']}:", f"recipe {where}:", 1)) from None


def load_recipe(name_or_path: str | Path, overrides: list[str] | dict[str, Any] | None = None, _chain: tuple[str, ...] = ()) -> Recipe:
    """A shipped recipe by name, or a YAML file, with ``key.sub=value`` overrides applied."""
    from strokeseg.io.text import read_text

    text: str
    p = Path(str(name_or_path))
    key = str(p.resolve()) if p.exists() else str(name_or_path)
    if key in _chain:
        raise ConfigError(f"recipe {name_or_path}: 'extends' makes a cycle ({' → '.join((*_chain, key))})")
    if p.suffix.lower() in (".yaml", ".yml") or p.exists():
        if not p.exists():
            raise ConfigError(f"recipe file not found: {p}")
        if not p.is_file():
            raise ConfigError(f"recipe {p}: is a folder, expected a YAML file")
        text = read_text(p, "recipe")
    else:
        name = str(name_or_path)
        if name not in shipped_recipes():
            raise ConfigError(f"unknown recipe {name!r}; shipped: {', '.join(shipped_recipes())}")
        text = resources.files("strokeseg.recipes").joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    try:
        d = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"recipe {name_or_path}: invalid YAML ({exc})") from None
    if not isinstance(d, dict):
        raise ConfigError(f"recipe {name_or_path}: expected a mapping")
    d = flatten_blocks(d, str(name_or_path))
    base = d.pop("extends", None)
    if base:
        if not isinstance(base, str):
            raise ConfigError(f"recipe {name_or_path}: extends: must name a recipe, got {base!r}")
        ref = Path(base)
        if not ref.is_absolute() and p.exists() and (p.parent / ref).exists():
            base = str(p.parent / ref)
        parent = load_recipe(base, _chain=(*_chain, key)).to_dict()
        d = _merge(parent, d)
    d = copy.deepcopy(d)
    items = overrides.items() if isinstance(overrides, dict) else (parse_override(o) for o in (overrides or []))
    for k, v in items:
        _set_path(d, flat_key(k), v)
    return recipe_from_dict(d, str(name_or_path))


ATOMIC = ("network", "loss", "optimizer", "scheduler", "adversarial")  # replaced whole by a child recipe, never merged


def _merge(base: dict[str, Any], child: dict[str, Any], top: bool = True) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in child.items():
        mergeable = isinstance(v, dict) and isinstance(out.get(k), dict) and not (top and k in ATOMIC)
        out[k] = _merge(out[k], v, False) if mergeable else v
    return out
