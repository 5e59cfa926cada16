"""Hyper-parameter sweeps: one cross-validation per point of a grid of recipe overrides.

``ftl_grid()`` is the slow-fusion paper's focal Tversky search (Exp-1, Table 1): γ ∈ {1, 4/3, 1.5, 2, 3}
× α ∈ {0.3, 0.5, 0.7} with β = 1 − α, and γ = 1 with α = β = 1 (16 runs).
"""

from __future__ import annotations

import itertools
from typing import Any


def parse_grid(specs: list[str]) -> list[dict[str, Any]]:
    """``["a.b=1,2", "c=x,y"]`` → the Cartesian product as override dicts."""
    import yaml

    from strokeseg.errors import ConfigError

    axes: list[tuple[str, list[Any]]] = []
    for spec in specs:
        key, sep, raw = spec.partition("=")
        if not sep or not key.strip() or not raw.strip():
            raise ConfigError(f"grid {spec!r} is not of the form key=v1,v2,...")
        axes.append((key.strip(), [yaml.safe_load(v) for v in raw.split(",")]))
    return [dict(zip([k for k, _ in axes], combo)) for combo in itertools.product(*[v for _, v in axes])]


def ftl_grid() -> list[dict[str, Any]]:
    """The slow-fusion paper's focal Tversky grid (its Table 1, 16 points): γ × α with β = 1 − α, and γ = 1 with
    α = β = 1 (the first row of the table)."""
    pairs = [(1.0, 1.0, 1.0)] + [
        (gamma, alpha, round(1 - alpha, 6)) for gamma in (1.0, 4.0 / 3.0, 1.5, 2.0, 3.0) for alpha in (0.3, 0.5, 0.7)
    ]
    # single keys, so the recipe's other loss settings (include_background) stay
    return [{"loss.name": "focal-tversky", "loss.kwargs.gamma": g, "loss.kwargs.alpha": a, "loss.kwargs.beta": b} for g, a, b in pairs]


def point_name(point: dict[str, Any]) -> str:
    """A folder-safe name of a grid point (``key=value`` pairs joined)."""
    parts = []
    for k, v in point.items():
        if isinstance(v, dict):
            parts += [f"{kk}-{_fmt(vv)}" for kk, vv in v.items()]
        elif k != "loss.name":
            parts.append(f"{k.split('.')[-1]}-{_fmt(v)}")
    return "_".join(parts) or "default"


def _fmt(v: Any) -> str:
    return f"{v:.3g}" if isinstance(v, float) else str(v)
