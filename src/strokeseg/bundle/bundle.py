"""Model bundles: everything ``predict`` needs, as plain files (no pickled modules).

``bundle.json`` — recipe name, channels, modalities, target, output label, number of classes,
T and S_min, and per fold the case split, normalisation statistics, weights file and its
SHA-256. It is written last and atomically: a folder without it is not (yet) a bundle, and
``load_models`` refuses a weights file whose checksum differs (a half-written or mixed bundle);
``recipe.yaml`` — the resolved recipe; ``fold_K/weights.pt`` — state dicts; ``cv/`` — the
cross-validation report; ``fold_K/log.csv`` and ``loss_curve.png`` — training curves.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import yaml

from strokeseg import __version__
from strokeseg.errors import ConfigError, InputError
from strokeseg.io.atomic import atomic_path, write_text
from strokeseg.io.labels import Target
from strokeseg.models import build_network
from strokeseg.preprocessing.normalization import Normalizer
from strokeseg.recipes.recipe import Recipe

FORMAT = 1
_REQUIRED = ("channels", "modalities", "target", "output_label", "num_classes", "threshold", "min_size", "folds")


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def save_weights(path: Path, state: dict[str, torch.Tensor]) -> str:
    """Write a state dict atomically; returns its SHA-256.

    The bytes depend only on the tensors (a plain dict saved through an open file, so neither the
    archive's inner name nor a state dict's metadata varies): equal weights give equal checksums. The
    archive streams to disk and is hashed from there, without a second copy of the weights in memory.
    """
    with atomic_path(path) as tmp:
        with tmp.open("wb") as fh:
            torch.save({k: v.detach().cpu().contiguous() for k, v in state.items()}, fh)  # plain dict: no per-run metadata
        return sha256_file(tmp)


def load_state_dict(path: Path, what: str = "weights file") -> dict[str, Any]:
    """Read a state dict without executing anything (``weights_only=True``); one clear error otherwise."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise InputError(f"{what} not found", path) from None
    except Exception as exc:
        detail = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
        raise InputError(f"cannot read the {what}: truncated, corrupt or not a plain state dict ({detail})", path) from None
    if not isinstance(state, dict):
        raise InputError(f"the {what} does not hold a state dict", path)
    return state


#: bounds on what a bundle may ask for before anything is allocated (a real stroke model is far inside them)
MAX_CLASSES = 64
MAX_CHANNELS = 256
MAX_FOLDS = 100


def _read_json_object(f: Path) -> dict[str, Any]:
    """``bundle.json`` as a dict; malformed, too deeply nested or not an object is one InputError."""
    from strokeseg.io.text import read_text

    try:
        d = json.loads(read_text(f, "bundle file"))
    except json.JSONDecodeError as exc:
        raise InputError(f"bundle.json is not valid JSON ({exc.msg} at line {exc.lineno})", f) from None
    except RecursionError:
        raise InputError("bundle.json is nested too deeply to be a bundle record", f) from None
    if not isinstance(d, dict):
        raise InputError("bundle.json does not hold a JSON object", f)
    return d


def _finite(d: dict[str, Any], key: str, f: Path) -> float:
    import math

    v = d[key]
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise InputError(f"bundle.json: {key} must be a finite number, got {v!r}", f)
    return float(v)


def _check_values(d: dict[str, Any], f: Path) -> None:
    """The values of ``bundle.json`` are in range, and every fold names its weights' SHA-256 (a bundle whose
    checksums were deleted could otherwise have its weights swapped unnoticed)."""

    def number(key: str) -> float:
        return _finite(d, key, f)

    t = number("threshold")
    if not 0.0 <= t <= 1.0:
        raise InputError(f"bundle.json: threshold must lie in [0, 1], got {t}", f)
    if number("min_size") < 0 or d["min_size"] != int(d["min_size"]):
        raise InputError(f"bundle.json: min_size must be a whole number ≥ 0, got {d['min_size']!r}", f)
    n = number("num_classes")
    if n != int(n) or not 2 <= n <= MAX_CLASSES:
        raise InputError(f"bundle.json: num_classes must be a whole number from 2 to {MAX_CLASSES}, got {d['num_classes']!r}", f)
    label = number("output_label")
    if label not in (0, 1, 2):  # canonical labels: background, penumbra, core
        raise InputError(f"bundle.json: output_label {d['output_label']!r} is not a canonical label (0, 1 or 2)", f)
    for key in ("channels", "modalities"):
        if not isinstance(d[key], list) or not 0 < len(d[key]) <= MAX_CHANNELS or not all(isinstance(c, str) for c in d[key]):
            raise InputError(f"bundle.json: {key} must list 1 to {MAX_CHANNELS} names", f)
    _check_folds(d["folds"], f)


def _check_folds(folds: list[dict[str, Any]], f: Path) -> None:
    """1 to :data:`MAX_FOLDS` folds, each with a fold number and its weights' SHA-256."""
    if not 0 < len(folds) <= MAX_FOLDS:
        raise InputError(f"bundle.json: 1 to {MAX_FOLDS} folds expected, got {len(folds)}", f)
    for fd in folds:
        digest = fd.get("sha256")
        if not isinstance(digest, str) or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise InputError(f"bundle.json: fold {fd.get('fold')!r} has no SHA-256 of its weights (required)", f)
        if isinstance(fd["fold"], bool) or not isinstance(fd["fold"], int):
            raise InputError(f"bundle.json: fold {fd['fold']!r} is not a fold number", f)


@dataclass
class ModelBundle:
    """A trained method on disk: its recipe, channels and modalities, target and output label, T and S_min,
    and per fold the split, whitening and weights (see the module docstring for the files and their schema)."""

    path: Path
    recipe: Recipe
    channels: list[str]
    modalities: list[str]
    target: Target
    output_label: int
    num_classes: int
    threshold: float
    min_size: int
    folds: list[dict[str, Any]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "strokeseg": __version__,
            "recipe": self.recipe.name,
            "channels": self.channels,
            "modalities": self.modalities,
            "target": self.target,
            "output_label": self.output_label,
            "num_classes": self.num_classes,
            "threshold": self.threshold,
            "min_size": self.min_size,
            "folds": self.folds,
            "meta": self.meta,
        }

    def save(self) -> None:
        """Write ``recipe.yaml``, then ``bundle.json`` last: the bundle is usable only once both are there."""
        self.path.mkdir(parents=True, exist_ok=True)
        write_text(self.path / "recipe.yaml", self.recipe.to_yaml())
        write_text(self.path / "bundle.json", json.dumps(self.to_dict(), indent=2, default=str))

    @classmethod
    def load(cls, path: str | Path) -> ModelBundle:
        """Read and validate a bundle folder; every defect is one :class:`InputError` naming the file."""
        from strokeseg.io.text import read_text

        path = Path(path)
        f = path / "bundle.json"
        if not path.is_dir():
            raise InputError("model bundle folder not found", path)
        if not f.exists():
            raise InputError(
                "not a complete strokeseg model bundle (bundle.json missing: training did not finish or is still running)", path
            )
        d = _read_json_object(f)
        if d.get("format") != FORMAT:
            raise InputError(f"bundle format {d.get('format')} is not supported (expected {FORMAT})", f)
        missing = [k for k in _REQUIRED if k not in d]
        if missing:
            raise InputError(f"bundle.json lacks {', '.join(missing)}", f)
        if not isinstance(d["folds"], list) or not all(
            isinstance(x, dict) and {"fold", "weights", "normalization"} <= set(x) for x in d["folds"]
        ):
            raise InputError("bundle.json: 'folds' must list objects with fold, weights and normalization", f)
        _check_values(d, f)
        rf = path / "recipe.yaml"
        try:
            raw = yaml.safe_load(read_text(rf, "bundle recipe"))
        except yaml.YAMLError as exc:
            raise InputError(f"recipe.yaml is not valid YAML ({exc})", rf) from None
        if not isinstance(raw, dict):
            raise InputError("recipe.yaml does not hold a recipe mapping", rf)
        try:
            from strokeseg.recipes.recipe import recipe_from_dict

            recipe = recipe_from_dict(raw, str(rf))
        except ConfigError as exc:
            raise InputError(exc.message, rf) from None
        try:
            return cls(
                path,
                recipe,
                list(d["channels"]),
                list(d["modalities"]),
                Target(d["target"]),
                int(d["output_label"]),
                int(d["num_classes"]),
                float(d["threshold"]),
                int(d["min_size"]),
                d["folds"],
                d.get("meta", {}),
            )
        except (TypeError, ValueError) as exc:
            raise InputError(f"bundle.json holds a value of the wrong type ({exc})", f) from None

    def build_model(self) -> torch.nn.Module:
        """A freshly initialised network of the bundle's recipe, channels and classes."""
        kw = dict(self.recipe.train.network.kwargs)
        return build_network(self.recipe.train.network.name, in_channels=len(self.channels), num_classes=self.num_classes, **kw)

    def load_models(self, folds: list[int] | None = None) -> list[tuple[torch.nn.Module, Normalizer]]:
        """The fold networks (eval mode, checksums verified) with their whitening.

        ``folds``: 0-based indices as ``bundle.json`` stores them (fold k is "fold k+1" in logs); None: all.
        """
        out = []
        for fd in self.folds:
            if folds is not None and fd["fold"] not in folds:
                continue
            model = self.build_model()
            weights = (self.path / str(fd["weights"])).resolve()
            if self.path.resolve() not in weights.parents:
                raise InputError(f"fold {fd['fold']}: weights path {fd['weights']!r} lies outside the bundle", self.path / "bundle.json")
            if not weights.exists():
                raise InputError("weights file missing from the bundle", weights)
            if sha256_file(weights) != fd["sha256"]:
                raise InputError(
                    "weights file does not match its checksum in bundle.json (half-written, replaced "
                    "or from another run); retrain or restore the bundle",
                    weights,
                )
            try:
                model.load_state_dict(load_state_dict(weights))
            except RuntimeError as exc:
                raise InputError(f"weights do not fit the bundle's network ({str(exc).splitlines()[0][:160]})", weights) from None
            model.eval()
            try:
                norm = Normalizer.from_dict(fd["normalization"])
            except (KeyError, TypeError, ValueError) as exc:
                raise InputError(f"fold {fd['fold']}: invalid normalization statistics ({exc})", self.path / "bundle.json") from None
            out.append((model, norm))
        if not out:
            have = ", ".join(str(int(f["fold"]) + 1) for f in self.folds)
            raise InputError(f"no fold models selected (the bundle has folds {have}, numbered from 1)", self.path)
        return out
