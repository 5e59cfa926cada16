"""An nnU-Net v2 results folder (``<Trainer>__<Plans>__<configuration>/``): detection, the checks
that refuse what cannot be reproduced exactly, safe checkpoint loading and the network from
``plans.json`` built with ``dynamic-network-architectures``."""

from __future__ import annotations

import importlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from strokeseg.errors import InputError

CHECKPOINTS = {"final": "checkpoint_final.pth", "best": "checkpoint_best.pth"}
# the networks nnU-Net's planners write into plans.json (dynamic-network-architectures)
NETWORKS = {
    "dynamic_network_architectures.architectures.unet.PlainConvUNet",
    "dynamic_network_architectures.architectures.unet.ResidualEncoderUNet",
    "dynamic_network_architectures.architectures.residual_unet.ResidualUNet",
}
# the torch.nn classes plans.json may name for conv_op, norm_op, dropout_op and nonlin
_TORCH_NN = re.compile(r"^torch\.nn(\.modules\.[a-z_]+)?\.[A-Z][A-Za-z0-9]*$")
NORMALISATIONS = {"ZScoreNormalization", "CTNormalization", "NoNormalization", "RescaleTo01Normalization"}
READERS = {"SimpleITKIO", "SimpleITKIOWithReorient", "NibabelIO", "NibabelIOWithReorient"}
EXACT_READERS = {"SimpleITKIO"}
RESAMPLERS = {"resample_data_or_seg_to_shape"}
_FOLD = re.compile(r"^fold_(\d+|all)$")


@dataclass(frozen=True)
class NnUNetModel:
    """A trained nnU-Net v2 model folder, checked and loaded.

    Attributes:
        path: the ``<Trainer>__<Plans>__<configuration>`` folder.
        plans: ``plans.json``; ``dataset``: ``dataset.json``.
        configuration: the configuration name (``3d_fullres``, ``2d`` …) from the checkpoints.
        trainer: the trainer class name the checkpoints were written by.
        folds: the folds used, as their folder suffixes (``"0"``, ``"all"``).
        weights: one state dict per fold, in ``folds`` order.
        mirror_axes: the axes (of the transposed, channel-less array) mirrored at inference, or None.
    """

    path: Path
    plans: dict[str, Any]
    dataset: dict[str, Any]
    configuration: str
    trainer: str
    folds: tuple[str, ...]
    weights: tuple[dict[str, torch.Tensor], ...]
    mirror_axes: tuple[int, ...] | None

    @property
    def config(self) -> dict[str, Any]:
        """The configuration's block of ``plans.json``, with ``inherits_from`` resolved."""
        return resolved_configuration(self.plans, self.configuration)

    @property
    def channel_names(self) -> list[str]:
        """The input channels in order (``dataset.json`` ``channel_names`` or ``modality``)."""
        return channel_names(self.dataset)

    @property
    def labels(self) -> dict[str, int | list[int]]:
        """``dataset.json`` labels: name → label, or name → list of labels for a region."""
        return dict(self.dataset["labels"])

    @property
    def has_regions(self) -> bool:
        """Whether the model was trained on regions (sigmoid outputs; ``regions_class_order``)."""
        return any(isinstance(v, (list, tuple)) and len(v) > 1 for v in self.labels.values())


def resolved_configuration(plans: dict[str, Any], name: str) -> dict[str, Any]:
    """A configuration of ``plans.json`` with its ``inherits_from`` chain merged (as nnU-Net's PlansManager)."""
    configs = plans.get("configurations", {})
    if name not in configs:
        raise InputError(f"plans.json has no configuration {name!r} (it has {', '.join(configs) or 'none'})")
    cfg = dict(configs[name])
    seen = {name}
    while "inherits_from" in cfg:
        parent = cfg.pop("inherits_from")
        if parent in seen or parent not in configs:
            raise InputError(f"configuration {name!r} inherits from {parent!r}, which plans.json cannot resolve")
        seen.add(parent)
        cfg = {**configs[parent], **cfg}
    return cfg


def is_nnunet_model(path: str | Path) -> bool:
    """Whether ``path`` looks like an nnU-Net v2 results folder: ``plans.json``, ``dataset.json``
    and at least one ``fold_*`` folder."""
    p = Path(path)
    return (
        p.is_dir()
        and (p / "plans.json").is_file()
        and (p / "dataset.json").is_file()
        and any(_FOLD.match(d.name) for d in p.iterdir() if d.is_dir())
    )


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(f"cannot read it as JSON ({err})", path) from None
    if not isinstance(data, dict):
        raise InputError("expected a JSON object", path)
    return data


def available_folds(path: Path, checkpoint: str) -> list[str]:
    """Fold suffixes whose folder holds the checkpoint, numbered folds sorted, ``fold_all`` left
    out (nnU-Net's ``auto_detect_available_folds``)."""
    name = CHECKPOINTS[checkpoint]
    found = [m.group(1) for d in path.iterdir() if d.is_dir() and (m := _FOLD.match(d.name))]
    return sorted((f for f in found if f != "all" and (path / f"fold_{f}" / name).is_file()), key=int)


def _numpy_allow_list() -> list[Any]:
    """The NumPy types nnU-Net checkpoints pickle (the EMA Dice and logs as NumPy scalars): the
    scalar reconstructor, ``np.dtype`` and the float/int dtype classes. Nothing else."""
    import numpy as np

    core = getattr(np, "_core", None) or np.core
    dtypes = [type(np.dtype(t)) for t in ("float16", "float32", "float64", "int32", "int64", "bool")]
    return [core.multiarray.scalar, np.dtype, *dtypes]


def load_checkpoint(path: Path) -> dict[str, Any]:
    """One checkpoint, loaded with ``weights_only=True`` and the NumPy allow-list; anything else
    in it (a pickled class, a function) is refused in one line naming the file."""
    try:
        with torch.serialization.safe_globals(_numpy_allow_list()):
            ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise InputError("checkpoint not found", path) from None
    except Exception as err:  # torch raises UnpicklingError, RuntimeError or others by version
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise InputError(f"refused: not a plain nnU-Net checkpoint that loads with weights_only=True ({first})", path) from None
    if not isinstance(ckpt, dict) or not isinstance(ckpt.get("network_weights"), dict):
        raise InputError("not an nnU-Net checkpoint (no network_weights)", path)
    return ckpt


def _check_plans(plans: dict[str, Any], config: dict[str, Any], path: Path) -> None:
    """Refuse, by name, what the native path cannot reproduce exactly."""
    arch = config.get("architecture")
    if not isinstance(arch, dict) or arch.get("network_class_name") not in NETWORKS:
        name = arch.get("network_class_name") if isinstance(arch, dict) else "no 'architecture' block"
        raise InputError(f"refused: network {name} is not one of nnU-Net's plans-defined U-Nets ({', '.join(sorted(NETWORKS))})", path)
    for key in arch.get("_kw_requires_import", []):
        value = arch["arch_kwargs"].get(key)
        if value is not None and not _TORCH_NN.match(str(value)):
            raise InputError(f"refused: arch_kwargs {key}={value!r} is not a torch.nn class", path)
    for name in config.get("normalization_schemes", []):
        if name not in NORMALISATIONS:
            raise InputError(f"refused: normalisation {name!r} is not one of nnU-Net's ({', '.join(sorted(NORMALISATIONS))})", path)
    reader = str(plans.get("image_reader_writer", "SimpleITKIO"))
    if reader not in READERS:
        raise InputError(f"refused: custom image reader {reader!r}; only nnU-Net's own readers are supported", path)
    if config.get("previous_stage"):
        raise InputError(f"refused: a cascade stage (needs the low-resolution stage {config['previous_stage']!r} first)", path)
    if config.get("preprocessor_name", "DefaultPreprocessor") != "DefaultPreprocessor":
        raise InputError(f"refused: custom preprocessor {config['preprocessor_name']!r}", path)
    for fn in ("resampling_fn_data", "resampling_fn_probabilities"):
        if config.get(fn) not in RESAMPLERS:
            raise InputError(f"refused: {fn} {config.get(fn)!r} is not nnU-Net's default resampling", path)


def _check_labels(dataset: dict[str, Any], path: Path) -> None:
    labels = dataset.get("labels")
    if not isinstance(labels, dict) or not labels:
        raise InputError("dataset.json has no labels", path)
    if "ignore" in labels:
        raise InputError("refused: an ignore label (its predictions cannot be reproduced as labels)", path)
    regions = any(isinstance(v, (list, tuple)) and len(v) > 1 for v in labels.values())
    if regions and not dataset.get("regions_class_order"):
        raise InputError("region-based labels without regions_class_order", path)
    names = dataset.get("channel_names", dataset.get("modality"))
    if not isinstance(names, dict) or not names:
        raise InputError("dataset.json has no channel_names", path)


def num_outputs(dataset: dict[str, Any]) -> int:
    """Network output channels: one per foreground region (region models) or one per label."""
    labels = dataset["labels"]
    if any(isinstance(v, (list, tuple)) and len(v) > 1 for v in labels.values()):
        return len(dataset["regions_class_order"])
    return len({int(v) for k, v in labels.items() if k != "ignore"})


def _locate(dotted: str) -> Any:
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


def build_network(model_config: dict[str, Any], in_channels: int, out_channels: int) -> torch.nn.Module:
    """The network ``plans.json`` describes (class + kwargs), from ``dynamic-network-architectures``,
    without deep supervision, as nnU-Net builds it for inference."""
    arch = model_config["architecture"]
    kwargs = dict(arch["arch_kwargs"])
    for key in arch.get("_kw_requires_import", []):
        if kwargs.get(key) is not None:
            kwargs[key] = _locate(str(kwargs[key]))
    try:
        cls = _locate(arch["network_class_name"])
    except ImportError:
        raise InputError("dynamic-network-architectures is not installed (pip install --no-deps dynamic-network-architectures)") from None
    kwargs["deep_supervision"] = False
    net: torch.nn.Module = cls(input_channels=in_channels, num_classes=out_channels, **kwargs)
    return net


def _fold_list(path: Path, folds: tuple[str, ...] | None, checkpoint: str) -> tuple[str, ...]:
    if checkpoint not in CHECKPOINTS:
        raise InputError(f"unknown checkpoint {checkpoint!r} (final or best)")
    chosen = tuple(folds) if folds else tuple(available_folds(path, checkpoint))
    if not chosen:
        raise InputError(f"no fold_*/{CHECKPOINTS[checkpoint]} in the model folder", path)
    return chosen


def load_nnunet_model(path: str | Path, folds: tuple[str, ...] | None = None, checkpoint: str = "final") -> NnUNetModel:
    """Check and load an nnU-Net v2 results folder.

    ``folds`` are fold suffixes (``("0", "1")``, ``("all",)``); None takes every numbered fold
    holding the checkpoint, as ``nnUNetPredictor`` does. ``checkpoint`` is ``final`` or ``best``.
    Raises :class:`InputError` naming the file for anything that cannot be reproduced exactly.
    """
    root = Path(path)
    if not is_nnunet_model(root):
        raise InputError("not an nnU-Net v2 results folder (needs plans.json, dataset.json and fold_*/)", root)
    plans, dataset = _read_json(root / "plans.json"), _read_json(root / "dataset.json")
    _check_labels(dataset, root / "dataset.json")
    chosen = _fold_list(root, folds, checkpoint)
    ckpts = [(root / f"fold_{f}" / CHECKPOINTS[checkpoint]) for f in chosen]
    first = load_checkpoint(ckpts[0])
    configuration = str(first.get("init_args", {}).get("configuration", ""))
    config = resolved_configuration(plans, configuration)
    _check_plans(plans, config, root / "plans.json")
    net = build_network(config, len(channel_names(dataset)), num_outputs(dataset))
    weights = [first["network_weights"]] + [load_checkpoint(p)["network_weights"] for p in ckpts[1:]]
    for p, w in zip(ckpts, weights):
        check_weights(net, w, p, str(first.get("trainer_name", "?")))
    axes = first.get("inference_allowed_mirroring_axes")
    return NnUNetModel(
        path=root,
        plans=plans,
        dataset=dataset,
        configuration=configuration,
        trainer=str(first.get("trainer_name", "")),
        folds=chosen,
        weights=tuple(weights),
        mirror_axes=None if axes is None else tuple(int(a) for a in axes),
    )


def channel_names(dataset: dict[str, Any]) -> list[str]:
    """``dataset.json``'s input channels in order (``channel_names``, or v1's ``modality``)."""
    names = dataset.get("channel_names", dataset.get("modality", {}))
    return [str(names[k]) for k in sorted(names, key=int)]


def check_weights(net: torch.nn.Module, weights: dict[str, torch.Tensor], path: Path, trainer: str) -> None:
    """The checkpoint must hold exactly the parameters of the network ``plans.json`` describes;
    a trainer that builds another network is refused by name."""
    own = net.state_dict()
    missing = sorted(set(own) - set(weights))
    extra = sorted(set(weights) - set(own))
    shapes = [k for k in own if k in weights and tuple(own[k].shape) != tuple(weights[k].shape)]
    if missing or extra or shapes:
        what = (missing or extra or shapes)[0]
        raise InputError(
            f"refused: trainer {trainer} built a network that is not the one plans.json describes "
            f"({len(missing)} missing, {len(extra)} unexpected, {len(shapes)} reshaped parameters, e.g. {what})",
            path,
        )
