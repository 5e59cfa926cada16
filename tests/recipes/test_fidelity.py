"""The fidelity records: each paper recipe against its paper, as data (strokeseg.recipes.fidelity)."""

from __future__ import annotations

from pathlib import Path

import pytest

from strokeseg.errors import ConfigError
from strokeseg.recipes import load_recipe, shipped_recipes
from strokeseg.recipes.fidelity import (
    ELEMENTS,
    Element,
    PaperFidelity,
    Status,
    _element,
    fidelity_page,
    load_fidelity,
    paper_recipes,
    resolve_code,
    resolve_key,
)

REPO = Path(__file__).resolve().parents[2]
PAPERS = ("adversarial-segnet", "clerigues-ct-2d", "clerigues-mri-3d", "pspnet-ct", "slow-fusion-vgg16")


def test_each_of_the_five_paper_recipes_has_a_record_naming_a_shipped_recipe_and_its_paper():
    assert paper_recipes() == list(PAPERS)
    for name in PAPERS:
        rec = load_fidelity(name)
        assert rec.recipe in shipped_recipes()
        assert rec.paper_file.endswith(".txt") and rec.citation


@pytest.mark.parametrize("name", PAPERS)
def test_every_key_and_code_a_record_names_exists_in_the_recipe_and_the_package(name):
    rec = load_fidelity(name)
    recipe = load_recipe(name).to_dict()
    missing = [k for e in rec.elements for k in e.keys if not resolve_key(recipe, k)]
    assert not missing, f"{name}: recipe fields named but absent: {missing}"
    broken = [c for e in rec.elements for c in e.code if not resolve_code(c)]
    assert not broken, f"{name}: code named but absent: {broken}"


@pytest.mark.parametrize("name", PAPERS)
def test_every_record_covers_every_element_of_a_recipe(name):
    rec = load_fidelity(name)
    assert {e.element for e in rec.elements} == set(ELEMENTS)


def test_a_deviation_without_its_effect_or_an_unknown_status_is_refused():
    base = {"element": "loss", "aspect": "a", "paper": "p", "section": "§1", "strokeseg": "s"}
    with pytest.raises(ConfigError, match="without its effect"):
        _element({**base, "status": "deviation"}, "f.yaml", 0)
    with pytest.raises(ConfigError, match="status must be one of"):
        _element({**base, "status": "close enough"}, "f.yaml", 0)
    with pytest.raises(ConfigError, match="is not one of"):
        _element({**base, "element": "vibes", "status": "match"}, "f.yaml", 0)
    assert _element({**base, "status": "match"}, "f.yaml", 0).status == Status.MATCH


def test_the_score_counts_matches_over_the_elements_the_paper_specifies():
    def el(status: Status) -> Element:
        return Element("loss", "a", "p", "§1", "s", status, effect="e")

    rec = PaperFidelity("r", "p.txt", "c", (el(Status.MATCH), el(Status.MATCH), el(Status.DEVIATION), el(Status.UNSPECIFIED)))
    assert rec.score == pytest.approx(2 / 3)


def test_resolving_keys_and_code_fails_for_names_that_do_not_exist():
    d = {"loss": {"name": "focal", "kwargs": {"gamma": 1.0}}}
    assert resolve_key(d, "loss.kwargs.gamma") and not resolve_key(d, "loss.kwargs.alpha") and not resolve_key(d, "loss.name.x")
    assert resolve_code("strokeseg.recipes.fidelity:load_fidelity") and not resolve_code("strokeseg.recipes.fidelity:nothing")
    assert not resolve_code("strokeseg.no_such_module")


def test_an_unknown_recipe_has_no_record():
    with pytest.raises(ConfigError, match="no fidelity record"):
        load_fidelity("unet-2d-ct")


def test_the_fidelity_page_is_the_records_rendered():
    """docs/explanation/fidelity.md is generated (docs/scripts/gen_pages.py) and never edited apart from the data."""
    page = (REPO / "docs" / "explanation" / "fidelity.md").read_text(encoding="utf-8")
    assert page == fidelity_page()
    for name in PAPERS:
        assert f"## {name}" in page
