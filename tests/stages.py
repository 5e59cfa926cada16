"""The stage order of the package and the stages a module imports (standard library only, so that
benchmarks/bench_code_shape.py runs on a clean clone before anything is installed)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "strokeseg"

# bottom → top: a module may import only from its own stage and the stages before it
STAGES = [
    "errors",
    "diagnostics",
    "util",
    "tables",
    "io",
    "masks",
    "kinetics",
    "perfusion",
    "phantom",
    "clinical",
    "preprocessing",
    "sampling",
    "models",
    "losses",
    "evaluation",
    "postprocess",
    "inference",
    "recipes",
    "bundle",
    "training",
    "report",
    "prediction",
    "workflows",
    "run",
    "cli",
    "__main__",
]


def _stage(parts: list[str]) -> str:
    return parts[0] if parts else ""


def _imports(path: Path, src: Path = SRC) -> set[str]:
    mod = path.relative_to(src).with_suffix("").parts
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(mod[:-1])[: len(mod) - node.level]
                target = base + (node.module.split(".") if node.module else [])
            elif node.module and node.module.startswith("strokeseg."):
                target = node.module.split(".")[1:]
            else:
                continue
            out.add(_stage(target))
        elif isinstance(node, ast.Import):
            out |= {a.name.split(".")[1] for a in node.names if a.name.startswith("strokeseg.")}
    return out - {""}
