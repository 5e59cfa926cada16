"""The shape of the code base: the import graph between stages, CLI module sizes, the longest functions,
functions with many parameters, and the README's length. Writes ``docs/results/code_shape.{json,md}``.

    .venv/bin/python benchmarks/bench_code_shape.py
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src" / "strokeseg"
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from tests.stages import STAGES, _imports  # noqa: E402

from results import write_results  # noqa: E402


def functions() -> list[dict[str, object]]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                a = node.args
                n = len(a.posonlyargs) + len(a.args) + len(a.kwonlyargs) - (1 if a.args and a.args[0].arg in ("self", "cls") else 0)
                out.append(
                    {
                        "where": f"{path.relative_to(REPO)}:{node.lineno}",
                        "name": node.name,
                        "lines": node.end_lineno - node.lineno + 1,
                        "parameters": n,
                    }
                )  # type: ignore[operator]
    return out


def main() -> int:
    graph: dict[str, set[str]] = defaultdict(set)
    for path in SRC.rglob("*.py"):
        if path.parent == SRC and path.name == "__init__.py":
            continue
        stage = path.relative_to(SRC).parts[0].removesuffix(".py")
        graph[stage] |= _imports(path) - {stage}
    order = {s: i for i, s in enumerate(STAGES)}
    upward = sorted(f"{s} → {t}" for s, ts in graph.items() for t in ts if order.get(t, -1) > order.get(s, 99))
    cli = {str(p.relative_to(SRC)): len(p.read_text(encoding="utf-8").splitlines()) for p in sorted((SRC / "cli").rglob("*.py"))}
    funcs = functions()
    longest = sorted(funcs, key=lambda f: -int(f["lines"]))[:10]  # type: ignore[call-overload]
    many = [f for f in funcs if int(f["parameters"]) > 7]  # type: ignore[call-overload]
    readme = len((REPO / "README.md").read_text(encoding="utf-8").splitlines())
    data = {
        "stage_order": STAGES,
        "imports": {s: sorted(graph[s]) for s in STAGES if s in graph},
        "upward_imports": upward,
        "cli_module_lines": cli,
        "longest_functions": longest,
        "functions_over_7_parameters": many,
        "functions_over_60_lines": [f for f in funcs if int(f["lines"]) > 60],
        "readme_lines": readme,
    }  # type: ignore[call-overload]
    rows = [f"| {s} | {', '.join(sorted(graph[s])) or '—'} |" for s in STAGES if s in graph]
    table = "\n".join(
        [
            f"README: {readme} lines. Upward imports: {len(upward)}. Functions over 60 lines: {len(data['functions_over_60_lines'])}; "
            f"over 7 parameters: {len(many)}. Largest CLI module: {max(cli.values())} lines.",
            "",
            "| stage (bottom → top) | imports |",
            "|---|---|",
            *rows,
            "",
            "| longest functions | lines | parameters |",
            "|---|---|---|",
            *[f"| `{f['where']}` {f['name']} | {f['lines']} | {f['parameters']} |" for f in longest],
            "",
            "| CLI module | lines |",
            "|---|---|",
            *[f"| `{k}` | {v} |" for k, v in cli.items()],
        ]
    )
    write_results("code_shape", data, "The shape of the code", table, "bench_code_shape.py")
    print(table)
    return 0 if not upward and not many and not data["functions_over_60_lines"] and max(cli.values()) <= 80 else 1


if __name__ == "__main__":
    sys.exit(main())
