"""Recipes: a published method's full training/inference configuration, as data (YAML).

A recipe names its network, loss and optimiser by registry key plus keyword arguments, so
hyper-parameters are fields, never subclasses. Shipped recipes live in ``strokeseg/recipes``;
any YAML file with the same fields works. ``--set a.b=value`` overrides a field from the CLI.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from strokeseg.errors import ConfigError

TARGETS = ("core", "hypoperfused", "lesion", "three-class")
SAMPLE_WEIGHTED_LOSSES = ("focal-tversky",)  # losses whose forward takes per-sample lesion weights


@dataclass
class SamplingConfig:
    patch_size: list[int] = field(default_factory=lambda: [1, 64, 64])  # (Z, Y, X); Z = 1 for 2D recipes
    patches_per_case: int = 4000
    lesion_fraction: float = 0.5
    offset: bool = True  # random lesion-centre offset up to half a patch
    offset_axes: list[int] = field(default_factory=lambda: [1, 2])  # array axes the offset applies to
    augment_repeats: bool = True  # augment lesion centres that had to be repeated
    mode: str = "patches"  # "patches" (balanced patch sampling) or "slices" (whole slices/slabs of patch_size)


@dataclass
class AugmentConfig:
    elastic: dict[str, float] | None = None  # {"alpha": 2.5, "sigma": 0.12} (fractions of the patch size)
    sagittal_flip: bool = False
    rot90: bool = False  # 90/180/270° in-plane rotations
    apply_to: str = "repeats"  # which lesion patches are augmented: "repeats", "lesion" or "all"
    affine: dict[str, Any] | None = None  # {"rotate_deg": 10, "translate": 0.1, "scale": [0.9, 1.1], "flip": true}


@dataclass
class InferenceConfig:
    step: list[int] = field(default_factory=lambda: [1, 16, 16])
    batch_size: int = 64
    mc_passes: int = 1
    mc_dropout: float = 0.0
    tta_flip: bool = False


@dataclass
class PostprocessConfig:
    thresholds: list[float] = field(default_factory=lambda: [round(0.1 * i, 1) for i in range(1, 10)])
    min_sizes: list[int] = field(default_factory=lambda: [10, 50, 100, 200, 300, 500, 1000])


@dataclass
class Recipe:
    name: str
    description: str = ""
    modalities: list[str] = field(default_factory=list)  # [] = every modality the dataset has
    target: str = "core"
    output_label: int | None = None  # canonical label of predicted lesion voxels (binary targets)
    symmetric: bool = True
    reference: str = "CT"  # modality driving the symmetric registration
    skull_strip: list[str] = field(default_factory=list)  # modalities multiplied by the brain mask
    brain_mask: str = "maps"  # "maps" (non-zero sum of the perfusion maps; MRI: threshold) or "mip" (CT mask of the CTP MIP)
    normalization: str = "dataset"  # "dataset" (training statistics) or "case"
    # percentiles of the brain voxels each channel is clipped to before whitening (nnU-Net's CT scheme); null: none
    intensity_clip: list[float] | None = field(default_factory=lambda: [0.5, 99.5])
    network: dict[str, Any] = field(default_factory=dict)  # {"name": ..., "kwargs": {...}}
    loss: dict[str, Any] = field(default_factory=lambda: {"name": "focal", "kwargs": {}})
    optimizer: dict[str, Any] = field(default_factory=lambda: {"name": "adadelta", "kwargs": {}})
    batch_size: int = 64
    epochs: int = 100
    patience: int = 10
    early_stopping: str = "l1+error"  # "l1+error", "loss" or "dice" (validation Dice of the foreground classes)
    # training samples whose forward passes recompute batch norm's statistics after every epoch (precise BN); 0: off
    precise_bn: int = 1024
    # the largest global L2 norm of the gradients of one step (clipped above it, as nnU-Net does); 0: no clipping
    grad_clip: float = 0.0
    scheduler: dict[str, Any] | None = None  # {"name": "plateau", "factor": 0.1, "patience": 20} on the stopping metric
    pretrained: str | None = None  # torchvision ImageNet weight file for the network's backbone(s)
    # fine-tuning stages: [{"unfrozen": 0.0, "lr": 0.01}, {"unfrozen": 1.0, "lr": 1e-4}]; the fraction of the
    # backbone's blocks (deepest first) that train; the next stage starts when the current one runs out of patience
    fine_tuning: list[dict[str, Any]] = field(default_factory=list)
    # without a pretrained file a frozen stage would train the head on random backbone features: "skip" (default) trains
    # everything from the start with the last stage's settings, "keep" runs the stages as written
    fine_tuning_without_pretrained: str = "skip"
    adversarial: dict[str, Any] | None = None  # {"weights": [0.001, 0.001, 0.001], "lr": 0.001, "base": 32}
    clinical_inputs: list[str] = field(default_factory=list)  # ["NIHSS"]: scalar inputs as constant channels
    # loss weight of the lesion classes in samples from cases of a group, e.g. {"non-LVO": 2.0}: the slow-fusion
    # paper's higher penalty for penumbra/core errors in non-LVO patients (needs a loss taking sample weights)
    group_penalty: dict[str, float] = field(default_factory=dict)
    nihss_impute: float | None = None  # NIHSS used where a case has none (otherwise a missing NIHSS is an error)
    validation_fraction: float = 0.2  # of the training patients, for early stopping
    folds: int = 5
    seed: int = 0
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    augmentation: AugmentConfig = field(default_factory=AugmentConfig)
    inference: InferenceConfig = field(default_factory=InferenceConfig)
    postprocess: PostprocessConfig = field(default_factory=PostprocessConfig)

    def __post_init__(self) -> None:
        for name, cls in (("sampling", SamplingConfig), ("augmentation", AugmentConfig), ("inference", InferenceConfig),
                          ("postprocess", PostprocessConfig)):
            value = getattr(self, name)
            if isinstance(value, dict):
                try:
                    setattr(self, name, cls(**value))
                except TypeError as exc:
                    raise ConfigError(f"recipe {self.name}: {name}: {exc}") from None
        if self.target not in TARGETS:
            raise ConfigError(f"recipe {self.name}: target must be one of {', '.join(TARGETS)}, got {self.target!r}")
        if len(self.sampling.patch_size) != 3 or len(self.inference.step) != 3:
            raise ConfigError(f"recipe {self.name}: patch_size and inference.step need 3 entries (Z, Y, X)")
        if not self.network.get("name"):
            raise ConfigError(f"recipe {self.name}: network.name is required")
        if self.sampling.mode not in ("patches", "slices"):
            raise ConfigError(f"recipe {self.name}: sampling.mode must be 'patches' or 'slices', got {self.sampling.mode!r}")
        if self.early_stopping not in ("l1+error", "loss", "dice"):
            raise ConfigError(f"recipe {self.name}: early_stopping must be l1+error, loss or dice, got {self.early_stopping!r}")
        unknown = set(self.clinical_inputs) - {"NIHSS"}
        if unknown:
            raise ConfigError(f"recipe {self.name}: unsupported clinical input(s) {', '.join(sorted(unknown))} (supported: NIHSS)")
        n_sc = int(self.network.get("kwargs", {}).get("n_scalars", 0) or 0)
        if n_sc != len(self.clinical_inputs):
            raise ConfigError(f"recipe {self.name}: network n_scalars ({n_sc}) must equal the number of clinical_inputs "
                              f"({len(self.clinical_inputs)})")
        if self.group_penalty:
            if self.loss.get("name") not in SAMPLE_WEIGHTED_LOSSES:
                raise ConfigError(f"recipe {self.name}: group_penalty needs a loss that takes sample weights "
                                  f"({', '.join(SAMPLE_WEIGHTED_LOSSES)}), not {self.loss.get('name')!r}")
            if self.adversarial:
                raise ConfigError(f"recipe {self.name}: group_penalty is not supported with adversarial training")
            if any(float(v) <= 0 for v in self.group_penalty.values()):
                raise ConfigError(f"recipe {self.name}: group_penalty weights must be positive")
        if int(self.precise_bn) < 0:
            raise ConfigError(f"recipe {self.name}: precise_bn must be a number of samples >= 0, got {self.precise_bn!r}")
        if not float(self.grad_clip) >= 0.0:
            raise ConfigError(f"recipe {self.name}: grad_clip must be a gradient norm >= 0 (0: off), got {self.grad_clip!r}")
        if float(self.grad_clip) > 0 and self.adversarial:
            raise ConfigError(f"recipe {self.name}: grad_clip is not supported with adversarial training")
        if self.normalization not in ("dataset", "case"):
            raise ConfigError(f"recipe {self.name}: normalization must be 'dataset' or 'case', got {self.normalization!r}")
        if self.intensity_clip is not None:
            ok = len(self.intensity_clip) == 2 and 0.0 <= float(self.intensity_clip[0]) < float(self.intensity_clip[1]) <= 100.0
            if not ok:
                raise ConfigError(f"recipe {self.name}: intensity_clip must be two percentiles 0 <= low < high <= 100 "
                                  f"(or null), got {self.intensity_clip!r}")
        if self.brain_mask not in ("maps", "mip"):
            raise ConfigError(f"recipe {self.name}: brain_mask must be 'maps' or 'mip', got {self.brain_mask!r}")
        if self.fine_tuning_without_pretrained not in ("skip", "keep"):
            raise ConfigError(f"recipe {self.name}: fine_tuning_without_pretrained must be 'skip' or 'keep', "
                              f"got {self.fine_tuning_without_pretrained!r}")
        for st in self.fine_tuning:
            if not 0.0 <= float(st.get("unfrozen", 1.0)) <= 1.0:
                raise ConfigError(f"recipe {self.name}: fine_tuning 'unfrozen' must be a fraction in [0, 1]")

    def stages_for(self, pretrained: bool) -> list[dict[str, Any]]:
        """The fine-tuning stages to run: as written, or only the last one, fully unfrozen, when the
        backbone is randomly initialised and ``fine_tuning_without_pretrained`` is ``skip``."""
        if pretrained or not self.fine_tuning or self.fine_tuning_without_pretrained == "keep":
            return [dict(st) for st in self.fine_tuning]
        return [dict(self.fine_tuning[-1], unfrozen=1.0)]

    @property
    def dims(self) -> int:
        return 2 if self.sampling.patch_size[0] == 1 else 3

    @property
    def num_classes(self) -> int:
        return 3 if self.target == "three-class" else 2

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)


def shipped_recipes() -> list[str]:
    return sorted(p.name[:-5] for p in resources.files("strokeseg.recipes").iterdir() if p.name.endswith(".yaml"))


def _set_path(d: dict[str, Any], dotted: str, value: Any) -> None:
    keys = dotted.split(".")
    cur = d
    for k in keys[:-1]:
        if not isinstance(cur.get(k), dict):
            cur[k] = {}
        cur = cur[k]
    cur[keys[-1]] = value


def parse_override(text: str) -> tuple[str, Any]:
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"override {text!r} is not of the form key=value")
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError:
        value = raw
    return key.strip(), value


def load_recipe(name_or_path: str | Path, overrides: list[str] | dict[str, Any] | None = None) -> Recipe:
    """A shipped recipe by name, or a YAML file, with ``key.sub=value`` overrides applied."""
    text: str
    p = Path(str(name_or_path))
    if p.suffix.lower() in (".yaml", ".yml") or p.exists():
        if not p.exists():
            raise ConfigError(f"recipe file not found: {p}")
        text = p.read_text(encoding="utf-8")
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
    base = d.pop("extends", None)
    if base:
        parent = load_recipe(base).to_dict()
        d = _merge(parent, d)
    d = copy.deepcopy(d)
    items = overrides.items() if isinstance(overrides, dict) else (parse_override(o) for o in (overrides or []))
    for k, v in items:
        _set_path(d, k, v)
    known = {f.name for f in fields(Recipe)}
    unknown = set(d) - known
    if unknown:
        raise ConfigError(f"recipe {name_or_path}: unknown field(s) {', '.join(sorted(unknown))}")
    try:
        return Recipe(**d)
    except TypeError as exc:
        raise ConfigError(f"recipe {name_or_path}: {exc}") from None


ATOMIC = ("network", "loss", "optimizer", "scheduler", "adversarial")  # replaced whole by a child recipe, never merged


def _merge(base: dict[str, Any], child: dict[str, Any], top: bool = True) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in child.items():
        mergeable = isinstance(v, dict) and isinstance(out.get(k), dict) and not (top and k in ATOMIC)
        out[k] = _merge(out[k], v, False) if mergeable else v
    return out
