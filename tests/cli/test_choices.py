"""The CLI's choices are the enums' values: a new member is offered, and a removed one refused."""

from __future__ import annotations

import pytest


def test_method_and_protocol_choices_are_the_enums():
    from strokeseg.cli.options.evaluate import PROTOCOLS
    from strokeseg.cli.options.perfusion import METHODS
    from strokeseg.evaluation.lesionwise import Protocol
    from strokeseg.perfusion.config import Method

    assert set(METHODS) == {m.value for m in Method}
    assert set(PROTOCOLS) == {p.value for p in Protocol}


def _choices(command: str, dest: str) -> list[str]:
    from strokeseg.cli import build_parser

    sub = build_parser()._subparsers._group_actions[0].choices[command]
    (action,) = [a for a in sub._actions if a.dest == dest]
    return list(action.choices)


@pytest.mark.parametrize(
    "command,dest,enum",
    [
        ("threshold", "nonfinite", "strokeseg.io.read:NonFinitePolicy"),
        ("export", "target", "strokeseg.workflows.export:ExportTarget"),
        ("nnunet-baseline", "target", "strokeseg.workflows.nnunet_baseline:ExportTarget"),
        ("compare", "test", "strokeseg.evaluation.compare:SignificanceTest"),
        ("phantom", "modality", "strokeseg.perfusion.config:Modality"),
        ("phantom", "layout", "strokeseg.phantom.modes:PhantomLayout"),
    ],
)
def test_the_remaining_choices_are_the_enums_the_library_checks(command, dest, enum):
    """Each choice list is the enum the library itself validates against (imported from the library's module)."""
    import importlib

    module, name = enum.split(":")
    values = [m.value for m in getattr(importlib.import_module(module), name)]
    assert _choices(command, dest) == values


def test_phantom_residue_choices_are_the_residue_functions_and_mixed():
    from strokeseg.kinetics.residues import Residue
    from strokeseg.phantom.case import PhantomConfig

    choices = _choices("phantom", "residue")
    assert set(choices) == {"mixed", *(r.value for r in Residue)}
    for c in choices:
        PhantomConfig(residue=c)  # every offered choice is one the phantom accepts
