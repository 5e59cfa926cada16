"""Model bundles: everything ``predict`` needs, as plain files (no pickled modules).

``bundle.json`` — recipe name, channels, modalities, target, output label, number of classes,
T and S_min, and per fold the case split, normalisation statistics and weights file;
``recipe.yaml`` — the resolved recipe; ``fold_K/weights.pt`` — state dicts; ``cv/`` — the
cross-validation report; ``fold_K/log.csv`` and ``loss_curve.png`` — training curves.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import yaml

from strokeseg import __version__
from strokeseg.errors import InputError
from strokeseg.io.atomic import write_text
from strokeseg.models import build_network
from strokeseg.preprocessing.normalization import Normalizer
from strokeseg.training.recipe import Recipe

FORMAT = 1


@dataclass
class ModelBundle:
    path: Path
    recipe: Recipe
    channels: list[str]
    modalities: list[str]
    target: str
    output_label: int
    num_classes: int
    threshold: float
    min_size: int
    folds: list[dict[str, Any]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "strokeseg": __version__, "recipe": self.recipe.name, "channels": self.channels,
                "modalities": self.modalities, "target": self.target, "output_label": self.output_label,
                "num_classes": self.num_classes, "threshold": self.threshold, "min_size": self.min_size,
                "folds": self.folds, "meta": self.meta}

    def save(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        write_text(self.path / "recipe.yaml", self.recipe.to_yaml())
        write_text(self.path / "bundle.json", json.dumps(self.to_dict(), indent=2, default=str))

    @classmethod
    def load(cls, path: str | Path) -> ModelBundle:
        path = Path(path)
        f = path / "bundle.json"
        if not f.exists():
            raise InputError("not a strokeseg model bundle (bundle.json missing)", path)
        d = json.loads(f.read_text(encoding="utf-8"))
        if d.get("format") != FORMAT:
            raise InputError(f"bundle format {d.get('format')} is not supported (expected {FORMAT})", f)
        recipe = Recipe(**yaml.safe_load((path / "recipe.yaml").read_text(encoding="utf-8")))
        return cls(path, recipe, d["channels"], d["modalities"], d["target"], d["output_label"], d["num_classes"],
                   d["threshold"], d["min_size"], d["folds"], d.get("meta", {}))

    def build_model(self) -> torch.nn.Module:
        kw = dict(self.recipe.network.get("kwargs", {}))
        return build_network(self.recipe.network["name"], in_channels=len(self.channels), num_classes=self.num_classes, **kw)

    def load_models(self, folds: list[int] | None = None) -> list[tuple[torch.nn.Module, Normalizer]]:
        out = []
        for fd in self.folds:
            if folds is not None and fd["fold"] not in folds:
                continue
            model = self.build_model()
            weights = self.path / fd["weights"]
            if not weights.exists():
                raise InputError("weights file missing from the bundle", weights)
            model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
            model.eval()
            out.append((model, Normalizer.from_dict(fd["normalization"])))
        if not out:
            raise InputError(f"no fold models selected (bundle has folds {[f['fold'] for f in self.folds]})", self.path)
        return out
