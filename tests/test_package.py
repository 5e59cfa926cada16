"""The package as a whole: its public API, its doctests, its import directions, and the dependencies a GPU machine needs."""

import ast
import doctest
import importlib
from pathlib import Path

import pytest

import strokeseg
from tests.stages import STAGES, _imports

SRC = Path(strokeseg.__file__).resolve().parent


def _doctest_modules():
    for path in sorted(SRC.rglob("*.py")):
        if ">>>" in path.read_text(encoding="utf-8"):
            rel = path.relative_to(SRC.parent).with_suffix("")
            yield ".".join(p for p in rel.parts if p != "__init__")


@pytest.mark.parametrize("name", list(_doctest_modules()))
def test_doctests_pass(name):
    res = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert res.failed == 0


def test_the_facade_exports_what_it_lists():
    assert set(strokeseg.__all__) >= {
        "load_case",
        "open_dataset",
        "compute_maps",
        "threshold_case",
        "evaluate_folder",
        "load_recipe",
        "train",
        "ModelBundle",
        "predict_case",
        "generate_phantom",
    }
    for name in strokeseg.__all__:
        obj = getattr(strokeseg, name)
        assert name == "__version__" or obj.__doc__, f"{name} has no docstring"


def test_no_import_runs_back_up_the_stages():
    order = {s: i for i, s in enumerate(STAGES)}
    upward = []
    for path in SRC.rglob("*.py"):
        if path.parent == SRC and path.name == "__init__.py":
            continue  # the facade re-exports from every stage (lazily)
        stage = path.relative_to(SRC).parts[0].removesuffix(".py")
        assert stage in order, f"{stage} is not in the stage order of this test"
        for target in _imports(path):
            if order.get(target, -1) > order[stage]:
                upward.append(f"{path.relative_to(SRC)} imports {target}")
    assert not upward, upward


def _kit_lists() -> dict[str, set[str]]:
    """The package lists of benchmarks/gpu_kit.sh (what the GPU machine's image holds, what travels as wheels)."""
    import re

    text = (SRC.parents[1] / "benchmarks" / "gpu_kit.sh").read_text(encoding="utf-8")
    return {k: set(re.search(rf'^{k}="([^"]*)"', text, re.M).group(1).lower().split()) for k in ("DEVICE_IMAGE", "KIT", "NOT_CARRIED")}


def test_gpu_kit_covers_every_runtime_dependency():
    import re
    import tomllib

    deps = tomllib.loads((SRC.parents[1] / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    names = {re.match(r"[A-Za-z0-9_.-]+", d).group(0).lower() for d in deps}
    lists = _kit_lists()
    assert lists["DEVICE_IMAGE"] | lists["KIT"] | lists["NOT_CARRIED"] == names
    assert not (lists["DEVICE_IMAGE"] & lists["KIT"]), "a package both in the image and carried"


def test_packages_the_gpu_kit_leaves_behind_are_imported_only_inside_functions():
    import_names = {"scikit-image": "skimage"}  # distributions whose import name differs
    left = {import_names.get(n.lower(), n.lower()) for n in _kit_lists()["NOT_CARRIED"]}
    for path in SRC.rglob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:  # module level only
            mods = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            assert not {m.split(".")[0].lower() for m in mods} & left, f"{path}: module-level import of {mods}"


def test_every_subpackage_declares_its_public_names_and_each_resolves():
    """Each stage package has ``__all__``; every name in it resolves (lazily for the heavy ones), and none is also
    the name of a submodule (the import system would then replace the one with the other)."""
    import importlib
    import pkgutil

    names = [info.name for info in pkgutil.walk_packages(strokeseg.__path__, "strokeseg.") if info.ispkg]
    assert "strokeseg.inference.nnunet" in names  # nested packages too
    for name in names:
        pkg = importlib.import_module(name)
        assert hasattr(pkg, "__all__") and pkg.__all__, f"{name} declares no __all__"
        subs = {m.name for m in pkgutil.iter_modules(pkg.__path__)}
        assert not set(pkg.__all__) & subs, (name, set(pkg.__all__) & subs)
        for public in pkg.__all__:
            assert getattr(pkg, public) is not None, f"{name}.{public}"


def test_importing_the_light_packages_loads_no_torch():
    import subprocess
    import sys

    code = "import sys, strokeseg.util, strokeseg.io, strokeseg.perfusion, strokeseg.cli; print('torch' in sys.modules)"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.strip() == "False"


def _module_imports() -> dict[str, set[str]]:
    """Every strokeseg module's strokeseg imports, at the top or inside functions alike."""
    import ast
    from pathlib import Path

    src = Path(strokeseg.__file__).resolve().parents[1]
    mods = {}
    for p in (src / "strokeseg").rglob("*.py"):
        name = ".".join(p.relative_to(src).with_suffix("").parts).removesuffix(".__init__")
        mods[name] = p
    graph: dict[str, set[str]] = {}
    for name, p in mods.items():
        out = set()
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("strokeseg") and not node.level:
                out |= {f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in mods else node.module for a in node.names}
            elif isinstance(node, ast.Import):
                out |= {a.name for a in node.names if a.name.startswith("strokeseg")}
        graph[name] = {m for m in out if m in mods and m != name}
    return graph


def test_no_two_modules_import_each_other():
    """0 import circles between modules (lazy imports inside functions count too)."""
    graph = _module_imports()
    allowed: set[frozenset[str]] = set()
    seen: set[frozenset[str]] = set()
    for a, targets in graph.items():
        for b in targets:
            # a circle through b back to a (any length): b reaches a
            todo, reached = [b], {b}
            while todo:
                for c in graph[todo.pop()]:
                    if c not in reached:
                        reached.add(c)
                        todo.append(c)
            if a in reached:
                seen.add(frozenset({a, b}))
    assert seen <= allowed, sorted(tuple(sorted(p)) for p in seen - allowed)


def test_every_file_the_docs_and_docstrings_cite_exists():
    """A cited test, benchmark or docs page that moved is a broken promise: every ``tests/…py``, ``benchmarks/…py``
    and ``docs/…md`` path named in the docs, the README and the package's source exists."""
    import re
    from pathlib import Path

    root = Path(strokeseg.__file__).resolve().parents[2]
    texts = [*root.glob("docs/**/*.md"), root / "README.md", root / "CONTRIBUTING.md", *root.glob("src/strokeseg/**/*.py")]
    missing = set()
    for t in texts:
        for ref in re.findall(r"(?<![\w/])((?:tests|benchmarks)/[\w/]+\.py|docs/[\w/-]+\.md)", t.read_text(encoding="utf-8")):
            if not (root / ref).exists():
                missing.add(f"{t.relative_to(root)}: {ref}")
    assert not missing, sorted(missing)
