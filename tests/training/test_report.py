"""The cross-validation report (training.report): what a reader sees first."""

from types import SimpleNamespace

from strokeseg.evaluation.runner import EvaluationResult
from strokeseg.models.registry import RANDOM_INIT_NOTE
from strokeseg.recipes import load_recipe
from strokeseg.training.report import cv_report_markdown


def _bundle(pretrained: dict) -> SimpleNamespace:
    recipe = load_recipe("pspnet-ct")
    return SimpleNamespace(recipe=recipe, folds=[], threshold=0.5, min_size=0, meta={"pretrained": pretrained})


def test_a_randomly_initialised_paper_backbone_is_the_reports_first_line():
    md = cv_report_markdown(_bundle({"pretrained": False, "note": RANDOM_INIT_NOTE}), EvaluationResult([], [], []))
    first = next(line for line in md.splitlines()[1:] if line.strip())
    assert first.startswith("**Random initialisation: not the paper's method")


def test_a_pretrained_backbone_is_named_and_not_called_random():
    pre = {"pretrained": True, "file": "resnet50.pth", "backbones": ["resnet50"]}
    md = cv_report_markdown(_bundle(pre), EvaluationResult([], [], []))
    assert "Backbone initialised from resnet50.pth (resnet50)" in md and "Random initialisation" not in md
