"""The CLI's choices are the enums' values: a new member is offered, and a removed one refused."""

from __future__ import annotations


def test_method_and_protocol_choices_are_the_enums():
    from strokeseg.cli.options.evaluate import PROTOCOLS
    from strokeseg.cli.options.perfusion import METHODS
    from strokeseg.evaluation.lesionwise import Protocol
    from strokeseg.perfusion.config import Method

    assert set(METHODS) == {m.value for m in Method}
    assert set(PROTOCOLS) == {p.value for p in Protocol}
