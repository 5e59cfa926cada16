"""The run API (strokeseg.run): each call does what its command does, and the command is parsing plus the call."""

import csv
from pathlib import Path

import pytest

from strokeseg.errors import InputError
from strokeseg.io.outputs import OutputMode
from strokeseg.phantom.case import PhantomConfig
from strokeseg.run import ReadOptions, RunOptions, evaluate, perfusion, threshold
from strokeseg.workflows.phantom import CohortSpec, write_phantom_cohort
from strokeseg.workflows.report import ReportOptions


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("api") / "data"
    write_phantom_cohort(root, CohortSpec(2, PhantomConfig(slices=2, matrix=(48, 48), frames=30), "isles2018", seed=5))
    return root


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_threshold_writes_what_the_command_writes_and_says_it(data, tmp_path, cli):
    said: list[str] = []
    res = threshold(data, tmp_path / "api", truth=data, options=RunOptions(report=ReportOptions(), echo=said.append))
    assert sorted(r["case_id"] for r in res.rows) == ["case_1", "case_2"] and res.evaluation is not None
    assert (tmp_path / "api" / "report" / "index.html").exists()
    assert any(line.startswith("wrote labels and read-outs to") for line in said)
    assert any(line.startswith("wrote the report to") for line in said)
    code, out, err = cli("threshold", data, "--out", tmp_path / "cli", "--truth", data, "--report")
    assert code == 0, err
    # the command is the call: the same read-out table, and the same lines (the command prints to stdout)
    assert _rows(tmp_path / "cli" / "readout.csv") == _rows(tmp_path / "api" / "readout.csv")
    assert out.replace(str(tmp_path / "cli"), "OUT").splitlines() == "\n".join(said).replace(str(tmp_path / "api"), "OUT").splitlines()


def test_a_python_call_is_silent_by_default_and_refuses_an_output_folder_in_use(data, tmp_path, capsys):
    threshold(data, tmp_path / "out")
    assert capsys.readouterr().out == ""
    with pytest.raises(InputError):
        threshold(data, tmp_path / "out")  # not empty: a new run is refused
    threshold(data, tmp_path / "out", options=RunOptions(mode=OutputMode.OVERWRITE))
    assert (tmp_path / "out" / "readout.csv").exists()


def test_perfusion_and_evaluate_calls(data, tmp_path):
    done = perfusion(data, tmp_path / "maps", read=ReadOptions(layout="isles2018"))
    assert sorted(m.case_id for m in done.results) == ["case_1", "case_2"]
    assert all((tmp_path / "maps" / c / f).exists() for c in ("case_1", "case_2") for f in ("Tmax.nii.gz", "perfusion.json"))
    threshold(data, tmp_path / "labels")
    result = evaluate(tmp_path / "labels", data, tmp_path / "scores")
    assert {s.region for s in result.summaries} >= {"core"}
    assert (tmp_path / "scores" / "per_case.csv").exists()


def test_a_dicom_reference_that_is_not_a_folder_names_the_parameter(data, tmp_path):
    with pytest.raises(InputError) as e:
        threshold(data, tmp_path / "o", options=RunOptions(report=ReportOptions(dicom_reference=tmp_path / "missing")))
    assert e.value.params == ("dicom_reference",) and not (tmp_path / "o").exists()


def test_train_and_report_calls(data, tmp_path):
    from strokeseg.recipes.recipe import load_recipe
    from strokeseg.run import report, train

    recipe = load_recipe(
        "unet-2d-ct-fast",
        {
            "folds": 2,
            "epochs": 1,
            "batch_size": 2,
            "sampling.patch_size": [1, 48, 48],
            "inference.step": [1, 48, 48],
            "postprocess.thresholds": [0.5],
            "postprocess.min_sizes": [1],
        },
    )
    said: list[str] = []
    bundle, cv = train(data, recipe, tmp_path / "m", options=RunOptions(echo=said.append))
    assert (tmp_path / "m" / "bundle.json").exists() and bundle.threshold == 0.5 and cv.summaries
    assert said[0].startswith("recipe unet-2d-ct-fast:") and said[-1].startswith("model bundle written to")
    pages: list[str] = []
    result = report(tmp_path / "m", echo=pages.append)
    assert (tmp_path / "m" / "report" / "index.html").exists() and len(result.pages) >= 1
    assert pages[0].startswith(f"wrote {len(result.pages)} page(s)")


def test_export_call_writes_an_nnunet_dataset(data, tmp_path):
    import json

    from strokeseg.run import export
    from strokeseg.workflows.export import ExportOptions

    said: list[str] = []
    root = export(data, tmp_path / "raw", ExportOptions(501, "Phantom", folds=2), options=RunOptions(echo=said.append))
    assert root == tmp_path / "raw" / "Dataset501_Phantom"
    assert json.loads((root / "dataset.json").read_text(encoding="utf-8"))["numTraining"] == 2
    assert said == [f"wrote {root} (2 cases)"]


def test_compare_call_pairs_two_methods_on_the_same_cases(data, tmp_path):
    from strokeseg.run import compare

    for name in ("a", "b"):
        threshold(data, tmp_path / f"labels_{name}")
        evaluate(tmp_path / f"labels_{name}", data, tmp_path / f"scores_{name}")
    said: list[str] = []
    result = compare([f"A={tmp_path / 'scores_a'}", f"B={tmp_path / 'scores_b'}"], tmp_path / "cmp", options=RunOptions(echo=said.append))
    assert (tmp_path / "cmp" / "comparison.md").exists() and said[-1] == f"wrote {tmp_path / 'cmp' / 'comparison.md'}"
    assert result["reference"] == "A"


def test_phantom_info_and_cv_report_calls_do_what_their_commands_do(tmp_path, cli):
    from strokeseg.phantom.grid import GridConfig
    from strokeseg.run import cv_report, grid_phantom, info, phantom

    said: list[str] = []
    spec = CohortSpec(2, PhantomConfig(slices=2, matrix=(48, 48), frames=30), "isles2018", seed=3, second_slab_fraction=0.0)
    rows = phantom(tmp_path / "api", spec, options=RunOptions(echo=said.append))
    assert [r["case_id"] for r in rows] == ["case_1", "case_2"] and said[0].startswith("wrote 2 CT phantom cases")
    code, out, err = cli(
        "phantom",
        "--out",
        tmp_path / "cli",
        "--cases",
        "2",
        "--seed",
        "3",
        "--slices",
        "2",
        "--frames",
        "30",
        "--second-slab-fraction",
        "0",
    )
    assert code == 0, err
    assert out.replace(str(tmp_path / "cli"), "OUT").strip() == said[0].replace(str(tmp_path / "api"), "OUT")
    with pytest.raises(InputError):
        phantom(tmp_path / "api", spec)  # a new run into a folder with files is refused, as the command refuses it
    assert grid_phantom(tmp_path / "grid", GridConfig(noise_hu=0.0)) > 0
    desc = info(tmp_path / "api", json_out=tmp_path / "info.json")
    assert desc["layout"] == "isles2018" and not desc.get("problems") and (tmp_path / "info.json").exists()
    with pytest.raises(InputError, match="into the input") as e:
        info(tmp_path / "api", json_out=tmp_path / "api" / "d.json")
    assert e.value.params == ("json_out",)
    code, _, err = cli("info", tmp_path / "api", "--json", tmp_path / "api" / "d.json")
    assert code != 0 and "--json would write into the input" in err and not (tmp_path / "api" / "d.json").exists()
    with pytest.raises(InputError, match="no cross-validation report"):
        cv_report(tmp_path / "api")
    (tmp_path / "m" / "cv").mkdir(parents=True)
    (tmp_path / "m" / "cv" / "cv_report.md").write_text("| fold | T |\n", encoding="utf-8")
    assert cv_report(tmp_path / "m") == "| fold | T |\n"
