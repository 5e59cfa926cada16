"""How faithfully each paper recipe follows its paper, as data.

Each of the five published methods has one YAML file in ``strokeseg/recipes/fidelity/``, named after
its recipe. For every element of the method (the twelve of :data:`ELEMENTS`, several aspects each
where the paper names several) it records what the paper says and where (its section), what
strokeseg does, the status, the recipe fields (dotted keys) and the code (``module:name``) that carry
it, and for a deviation its effect. A test checks that every key exists in the recipe and every code
reference imports; ``docs/scripts/gen_pages.py`` renders ``docs/explanation/fidelity.md`` from these
files, one table and one score per paper.

Statuses:

* ``match`` — strokeseg does what the paper says;
* ``deviation`` — it does something else (``effect`` says what that changes, or that it is not measured);
* ``not-possible`` — following the paper needs what strokeseg cannot have (private data, unpublished weights);
* ``unspecified`` — the paper does not say; ``strokeseg`` names the choice made.

The score is the share of the elements the paper specifies (all but ``unspecified``) that match.
"""

from __future__ import annotations

import enum
import importlib
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from strokeseg.errors import ConfigError

#: the record format of the fidelity files
VERSION = 1
#: the elements of a training recipe, in the order the page lists them
ELEMENTS = (
    "input",
    "preprocessing",
    "network",
    "loss",
    "optimiser",
    "schedule",
    "sampling",
    "augmentation",
    "protocol",
    "inference",
    "post-processing",
    "metrics",
)


class Status(enum.StrEnum):
    MATCH = "match"
    DEVIATION = "deviation"
    NOT_POSSIBLE = "not-possible"
    UNSPECIFIED = "unspecified"


@dataclass(frozen=True)
class Element:
    """One aspect of one element of a method.

    Attributes:
        element: one of :data:`ELEMENTS`.
        aspect: what of the element this is (for example "pretrained weights").
        paper: what the paper says.
        section: where the paper says it (its section or table).
        strokeseg: what strokeseg does.
        status: :class:`Status`.
        keys: recipe fields that carry it, dotted (``postprocess.hd_units``).
        code: ``module:name`` of the code that carries it.
        effect: for a deviation, what it changes (measured, or "not measured").
    """

    element: str
    aspect: str
    paper: str
    section: str
    strokeseg: str
    status: Status
    keys: tuple[str, ...] = ()
    code: tuple[str, ...] = ()
    effect: str = ""


@dataclass(frozen=True)
class PaperFidelity:
    """A paper recipe's fidelity record: the recipe, its paper and its elements."""

    recipe: str
    paper_file: str  # the paper's text in ../shared/papers
    citation: str
    elements: tuple[Element, ...]

    def count(self, status: Status) -> int:
        return sum(e.status == status for e in self.elements)

    @property
    def score(self) -> float:
        """The share of the specified elements (all but ``unspecified``) that match, in [0, 1]."""
        specified = len(self.elements) - self.count(Status.UNSPECIFIED)
        return self.count(Status.MATCH) / specified if specified else 0.0


def paper_recipes() -> list[str]:
    """The recipes that have a fidelity file (the five paper recipes), sorted."""
    folder = resources.files("strokeseg.recipes") / "fidelity"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_fidelity(recipe: str) -> PaperFidelity:
    """The fidelity record of ``recipe`` (a :class:`ConfigError` naming the file when it is malformed)."""
    path = resources.files("strokeseg.recipes") / "fidelity" / f"{recipe}.yaml"
    if not path.is_file():
        raise ConfigError(f"no fidelity record for recipe '{recipe}' (paper recipes: {', '.join(paper_recipes())})")
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    where = f"fidelity/{recipe}.yaml"
    if not isinstance(raw, dict) or raw.get("version") != VERSION:
        raise ConfigError(f"{where}: not a version-{VERSION} fidelity record")
    if raw.get("recipe") != recipe:
        raise ConfigError(f"{where}: names recipe {raw.get('recipe')!r}, not '{recipe}'")
    elements = tuple(_element(e, where, i) for i, e in enumerate(raw.get("elements") or []))
    return PaperFidelity(recipe, str(raw["paper"]), str(raw["citation"]), elements)


def _element(raw: Any, where: str, i: int) -> Element:
    fields = ("element", "aspect", "paper", "section", "strokeseg", "status")
    if not isinstance(raw, dict) or any(not raw.get(k) for k in fields):
        raise ConfigError(f"{where}: element {i} needs {', '.join(fields)}")
    if raw["element"] not in ELEMENTS:
        raise ConfigError(f"{where}: element {i}: '{raw['element']}' is not one of {', '.join(ELEMENTS)}")
    try:
        status = Status(raw["status"])
    except ValueError:
        raise ConfigError(f"{where}: element {i}: status must be one of {', '.join(s.value for s in Status)}") from None
    if status == Status.DEVIATION and not raw.get("effect"):
        raise ConfigError(f"{where}: element {i} ({raw['aspect']}) is a deviation without its effect")
    extra = set(raw) - {*fields, "keys", "code", "effect"}
    if extra:
        raise ConfigError(f"{where}: element {i}: unknown field(s) {', '.join(sorted(extra))}")
    element, aspect, paper, section, strokeseg = (str(raw[k]) for k in fields[:5])
    return Element(
        element,
        aspect,
        paper,
        section,
        strokeseg,
        status,
        tuple(str(k) for k in raw.get("keys") or ()),
        tuple(str(c) for c in raw.get("code") or ()),
        str(raw.get("effect") or ""),
    )


def resolve_key(recipe: dict[str, Any], key: str) -> bool:
    """Whether the dotted ``key`` names a field of the recipe's plain dictionary (:meth:`Recipe.to_dict`)."""
    node: Any = recipe
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def resolve_code(ref: str) -> bool:
    """Whether ``module:name`` (or a bare module) imports."""
    module, _, name = ref.partition(":")
    try:
        obj: Any = importlib.import_module(module)
    except ImportError:
        return False
    for part in name.split(".") if name else ():
        if not hasattr(obj, part):
            return False
        obj = getattr(obj, part)
    return True


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def fidelity_page() -> str:
    """``docs/explanation/fidelity.md``: per paper recipe, its score and its elements' table."""
    records = [load_fidelity(r) for r in paper_recipes()]
    lines = [
        "<!-- generated by docs/scripts/gen_pages.py from src/strokeseg/recipes/fidelity/*.yaml; do not edit -->",
        "# Fidelity to the five papers",
        "",
        "Each paper recipe, element by element: what the paper says (and where), what strokeseg does, and the status.",
        "The score is the share of the elements the paper specifies that strokeseg matches; `unspecified` rows are",
        "strokeseg's own choices where the paper is silent. The data live in `src/strokeseg/recipes/fidelity/`.",
        "",
        "| recipe | match | deviation | not possible | unspecified | score |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in records:
        n = [r.count(s) for s in Status]
        lines.append(f"| [{r.recipe}](#{r.recipe}) | {n[0]} | {n[1]} | {n[2]} | {n[3]} | {r.score:.0%} |")
    for r in records:
        lines += ["", f"## {r.recipe}", "", f"{r.citation} (`../shared/papers/{r.paper_file}`). Score {r.score:.0%}.", ""]
        lines += ["| element | aspect | the paper | § | strokeseg | status | effect |", "|---|---|---|---|---|---|---|"]
        order = {e: i for i, e in enumerate(ELEMENTS)}
        for e in sorted(r.elements, key=lambda e: order[e.element]):
            cells = (e.element, e.aspect, e.paper, e.section, e.strokeseg, e.status.value, e.effect)
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"
