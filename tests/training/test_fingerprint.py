"""``--resume`` continues only the same run: a changed recipe or dataset is refused, a field added since at its default is not."""

from __future__ import annotations

import json

import pytest

from strokeseg.errors import ConfigError
from strokeseg.recipes.recipe import field_defaults, load_recipe
from strokeseg.training.fingerprint import RUN_FILE, check_run_fingerprint
from tests.helpers import synthetic_case


@pytest.fixture
def cases():
    return [synthetic_case(i) for i in range(2)]


def _older_run(path, drop: list[str], drop_nested: tuple[str, str] | None = None) -> None:
    """Rewrite run.json as a version without the fields in ``drop`` (and one block field) would have written it."""
    run = json.loads((path / RUN_FILE).read_text(encoding="utf-8"))
    for k in drop:
        run["recipe"].pop(k)
    if drop_nested:
        run["recipe"][drop_nested[0]].pop(drop_nested[1])
    (path / RUN_FILE).write_text(json.dumps(run), encoding="utf-8")


def test_the_same_run_resumes_and_a_changed_one_is_refused_by_name(tmp_path, cases):
    recipe = load_recipe("clerigues-ct-2d-fast")
    check_run_fingerprint(tmp_path, recipe, cases, resume=False)
    check_run_fingerprint(tmp_path, recipe, cases, resume=True)
    check_run_fingerprint(tmp_path, load_recipe("clerigues-ct-2d-fast", {"epochs": 999}), cases, resume=True)  # epochs may grow
    with pytest.raises(ConfigError, match="differs from the interrupted run's in batch_size"):
        check_run_fingerprint(tmp_path, load_recipe("clerigues-ct-2d-fast", {"batch_size": 7}), cases, resume=True)
    with pytest.raises(ConfigError, match=r"in inference;"):
        check_run_fingerprint(tmp_path, load_recipe("clerigues-ct-2d-fast", {"inference.mc_passes": 5}), cases, resume=True)
    with pytest.raises(ConfigError, match="dataset differs"):
        check_run_fingerprint(tmp_path, recipe, cases[:1], resume=True)


def test_a_run_from_a_version_without_newer_fields_resumes_while_they_are_at_their_defaults(tmp_path, cases):
    recipe = load_recipe("clerigues-ct-2d-fast")
    defaults = field_defaults()
    assert defaults["amp"] == "auto" and defaults["compile"] is False and defaults["inference"]["mc_passes"] == 1
    check_run_fingerprint(tmp_path, recipe, cases, resume=False)
    _older_run(tmp_path, ["amp", "channels_last", "compile"], ("postprocess", "min_sizes"))
    with pytest.raises(ConfigError, match="in postprocess;"):  # the recipe's min_sizes are not the block default
        check_run_fingerprint(tmp_path, recipe, cases, resume=True)
    check_run_fingerprint(tmp_path, recipe, cases, resume=False)
    _older_run(tmp_path, ["amp", "channels_last", "compile"])
    check_run_fingerprint(tmp_path, recipe, cases, resume=True)  # what that version did is what the defaults do
    with pytest.raises(ConfigError, match="in amp;"):
        check_run_fingerprint(tmp_path, load_recipe("clerigues-ct-2d-fast", {"amp": "off"}), cases, resume=True)


def test_a_run_whose_record_wrote_a_block_without_its_defaults_resumes(tmp_path, cases):
    """Earlier versions wrote the adversarial block and the fine-tuning stages as the file gave them; the
    composed recipe writes their defaults out. The same recipe still resumes; a changed value is still refused."""
    recipe = load_recipe("adversarial-segnet-fast")
    check_run_fingerprint(tmp_path, recipe, cases, resume=False)
    run = json.loads((tmp_path / RUN_FILE).read_text(encoding="utf-8"))
    run["recipe"]["adversarial"] = {k: v for k, v in run["recipe"]["adversarial"].items() if k not in ("betas", "objective")}
    (tmp_path / RUN_FILE).write_text(json.dumps(run), encoding="utf-8")
    check_run_fingerprint(tmp_path, recipe, cases, resume=True)
    with pytest.raises(ConfigError, match="in adversarial;"):
        check_run_fingerprint(tmp_path, load_recipe("adversarial-segnet-fast", {"adversarial.lr": 0.01}), cases, resume=True)
