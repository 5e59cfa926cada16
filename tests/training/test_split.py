"""Explicit splits (training.split): a paper's fixed split or folds, given as a file."""

import json

import pytest

from strokeseg.cli import main
from strokeseg.errors import ConfigError, InputError
from strokeseg.training.split import SplitFold, check_split, read_split, training_ids


def _write(path, folds, version=1):
    path.write_text(json.dumps({"version": version, "folds": folds}), encoding="utf-8")
    return path


def test_a_split_file_is_read_and_its_malformed_forms_are_refused_naming_the_file(tmp_path):
    good = _write(tmp_path / "s.json", [{"test": ["a"], "validation": ["b"]}, {"test": ["b"], "validation": ["c"]}])
    assert read_split(good) == [SplitFold(("a",), ("b",)), SplitFold(("b",), ("c",))]
    bad = {
        "v2.json": ([{"test": ["a"], "validation": ["b"]}], 2),
        "empty.json": ([], 1),
        "noval.json": ([{"test": ["a"], "validation": []}], 1),
        "both.json": ([{"test": ["a"], "validation": ["a"]}], 1),
    }
    for name, (folds, version) in bad.items():
        with pytest.raises(ConfigError, match=name):
            read_split(_write(tmp_path / name, folds, version))
    (tmp_path / "junk.json").write_text("{", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"junk\.json: cannot read"):
        read_split(tmp_path / "junk.json")


def test_a_split_naming_unknown_cases_or_splitting_a_patient_across_roles_is_refused():
    ids, patients = ["a1", "a2", "b", "c", "d"], ["A", "A", "B", "C", "D"]
    check_split([SplitFold(("a1", "a2"), ("b",))], ids, patients, "s.json")
    with pytest.raises(InputError, match="lacks: x"):
        check_split([SplitFold(("x",), ("b",))], ids, patients, "s.json")
    with pytest.raises(InputError, match="patient A's scans are in both test and training"):
        check_split([SplitFold(("a1",), ("b",))], ids, patients, "s.json")
    assert training_ids(SplitFold(("a1", "a2"), ("b",)), ids) == ["c", "d"]


@pytest.mark.slow
def test_training_with_a_split_file_uses_its_test_and_validation_cases(tmp_path, capsys):
    from strokeseg.io.layouts import open_dataset
    from strokeseg.phantom.case import PhantomConfig
    from strokeseg.workflows.phantom import CohortSpec, write_phantom_cohort
    from tests.robustness.corpus import TINY_TRAIN

    data = tmp_path / "ph"
    write_phantom_cohort(
        data, CohortSpec(5, PhantomConfig(slices=2, frames=30, p_no_stroke=0.0), "isles2018", seed=3, second_slab_fraction=0.0)
    )
    ids = sorted(r.case_id for r in open_dataset(data).cases)
    split = _write(tmp_path / "split.json", [{"test": ids[:1], "validation": ids[1:2]}])  # one fixed split, as Tomasetti's
    tiny = [a for i, a in enumerate(TINY_TRAIN) if a != "--folds" and (i == 0 or TINY_TRAIN[i - 1] != "--folds")]
    args = ["train", str(data), "--recipe", "clerigues-ct-2d-fast", "--out", str(tmp_path / "m"), *tiny, "--split-file", str(split)]
    assert main(args) == 0
    folds = json.loads((tmp_path / "m" / "bundle.json").read_text(encoding="utf-8"))["folds"]
    assert len(folds) == 1
    assert (folds[0]["test"], folds[0]["validation"], sorted(folds[0]["train"])) == (ids[:1], ids[1:2], ids[2:])
    capsys.readouterr()
    assert main([*args[:5], str(tmp_path / "n"), *tiny, "--split-file", str(tmp_path / "missing.json")]) != 0
    assert "missing.json: cannot read the split file" in capsys.readouterr().err
    assert main([*args[:5], str(tmp_path / "o"), *tiny, "--split-file", str(split), "--set", "postprocess.search=nested"]) != 0
    assert "no other fold to choose T and S_min on" in capsys.readouterr().err
