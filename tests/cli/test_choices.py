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


def test_phantom_offers_every_quirk_the_writer_reproduces(tmp_path, cli):
    """--quirk lists the writer's own quirks (all ten, not a hand-kept subset), and an MR-only one runs from the command line."""
    from strokeseg.phantom.modes import QUIRKS
    from strokeseg.phantom.quirks import ADC_UNIT_SCALE

    assert _choices("phantom", "quirk") == list(QUIRKS) and len(QUIRKS) == 10 and set(ADC_UNIT_SCALE) <= set(QUIRKS)
    code, _, err = cli(
        "phantom", "--out", tmp_path / "p", "--modality", "mr", "--cases", "1", "--slices", "4", "--frames", "20",
        "--quirk", "not-skull-stripped", "--quirk", "adc-mm2s",
    )  # fmt: skip
    assert code == 0, err
    import numpy as np

    from strokeseg.io.read import read_image

    (adc_file,) = (tmp_path / "p" / "1").glob("*MR_ADC*/*.mha")
    adc = read_image(adc_file).array
    assert 1e-4 < np.median(adc[adc > 0]) < 3e-3  # written in mm²/s, as the quirk says
