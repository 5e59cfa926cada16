"""The shape of the code base: the import graph between stages, CLI module sizes, the longest functions,
functions with many parameters, and the README's length. Writes ``docs/results/code_shape.{json,md}``.

With ``--base COMMIT`` it also measures the same gauges (and the public line: subpackages without ``__all__``,
the recipe's own fields, the run records that are dataclasses) at that commit, from a temporary git worktree,
and keeps them as the page's "before" column; without it, the recorded "before" column is kept.

    .venv/bin/python benchmarks/bench_code_shape.py [--base COMMIT]
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src" / "strokeseg"
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from tests.stages import STAGES, _imports  # noqa: E402

from results import RESULTS, base_checkout, write_results  # noqa: E402


def functions(src: Path = SRC) -> list[dict[str, object]]:
    out = []
    for path in sorted(src.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                a = node.args
                n = len(a.posonlyargs) + len(a.args) + len(a.kwonlyargs) - (1 if a.args and a.args[0].arg in ("self", "cls") else 0)
                out.append(
                    {
                        "where": f"{path.relative_to(src.parents[1])}:{node.lineno}",
                        "name": node.name,
                        "lines": node.end_lineno - node.lineno + 1,
                        "parameters": n,
                    }
                )  # type: ignore[operator]
    return out


def import_graph(src: Path = SRC) -> tuple[dict[str, set[str]], list[str]]:
    """Which stages each stage imports, and the imports that go upward in :data:`STAGES`."""
    graph: dict[str, set[str]] = defaultdict(set)
    for path in src.rglob("*.py"):
        if path.parent == src and path.name == "__init__.py":
            continue
        stage = path.relative_to(src).parts[0].removesuffix(".py")
        graph[stage] |= _imports(path, src) - {stage}
    order = {s: i for i, s in enumerate(STAGES)}
    return graph, sorted(f"{s} → {t}" for s, ts in graph.items() for t in ts if order.get(t, -1) > order.get(s, 99))


def _class_fields(src: Path, name: str) -> int | None:
    """The annotated fields of the first class ``name`` under ``src`` (None: no such class)."""
    for path in sorted(src.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and node.name == name:
                return sum(isinstance(b, ast.AnnAssign) and not _is_classvar(b) for b in node.body)
    return None


def _is_classvar(node: ast.AnnAssign) -> bool:
    return "ClassVar" in ast.unparse(node.annotation)


def gauges(src: Path) -> dict[str, int | None]:
    """The counts the page compares across commits, for the package at ``src`` (``src/strokeseg``)."""
    _, upward = import_graph(src)
    funcs = functions(src)
    cli = [len(p.read_text(encoding="utf-8").splitlines()) for p in (src / "cli").rglob("*.py")] or [0]
    packages = [p.parent for p in src.rglob("__init__.py") if p.parent != src]
    records = src / "io" / "records.py"
    dataclass_records = records.read_text(encoding="utf-8").count("(Record):") if records.is_file() else 0
    return {
        "upward_imports": len(upward),
        "functions_over_60_lines": sum(int(f["lines"]) > 60 for f in funcs),  # type: ignore[call-overload]
        "functions_over_7_parameters": sum(int(f["parameters"]) > 7 for f in funcs),  # type: ignore[call-overload]
        "largest_cli_module_lines": max(cli),
        "modules": sum(1 for _ in src.rglob("*.py")),
        "subpackages_without___all__": sum("__all__" not in (p / "__init__.py").read_text(encoding="utf-8") for p in packages),
        "recipe_fields": _class_fields(src, "Recipe"),
        "run_records_as_dataclasses": dataclass_records,
        "readme_lines": len((src.parents[1] / "README.md").read_text(encoding="utf-8").splitlines()),
    }


def _before(base: str | None) -> dict[str, object] | None:
    """The gauges at ``base`` (a worktree), or the ones the last run recorded."""
    if base is None:
        try:
            before: dict[str, object] | None = json.loads((RESULTS / "code_shape.json").read_text(encoding="utf-8")).get("before")
            return before
        except (OSError, ValueError):
            return None
    with tempfile.TemporaryDirectory() as tmp, base_checkout(base, Path(tmp) / "base") as src:
        return {"commit": base, **gauges(src / "strokeseg")}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", help="a commit whose gauges the page shows beside today's (default: those recorded)")
    args = ap.parse_args()
    graph, upward = import_graph()
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
        "gauges": gauges(SRC),
        "before": _before(args.base),
    }  # type: ignore[call-overload]
    rows = [f"| {s} | {', '.join(sorted(graph[s])) or '—'} |" for s in STAGES if s in graph]
    table = "\n".join(
        [
            f"README: {readme} lines. Upward imports: {len(upward)}. Functions over 60 lines: {len(data['functions_over_60_lines'])}; "
            f"over 7 parameters: {len(many)}. Largest CLI module: {max(cli.values())} lines.",
            "",
            *_comparison(data),
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


GAUGE_NAMES = {
    "upward_imports": "upward imports",
    "functions_over_60_lines": "functions over 60 lines",
    "functions_over_7_parameters": "functions over 7 parameters",
    "largest_cli_module_lines": "largest CLI module (lines)",
    "modules": "modules",
    "subpackages_without___all__": "packages without `__all__`",
    "recipe_fields": "fields of `Recipe` (the stage configs' settings copied flat before)",
    "run_records_as_dataclasses": "run records that are dataclasses",
    "readme_lines": "README lines",
}


def _comparison(data: dict[str, object]) -> list[str]:
    """The gauges before (at the recorded base commit) and now, as table lines (none without a base)."""
    before, now = data.get("before"), data["gauges"]
    if not isinstance(before, dict) or not isinstance(now, dict):
        return []
    rows = [f"| {GAUGE_NAMES.get(k, k)} | {before.get(k, '—')} | {v} |" for k, v in now.items()]
    return [f"| gauge | before (`{before['commit']}`) | now |", "|---|---:|---:|", *rows, ""]


if __name__ == "__main__":
    sys.exit(main())
