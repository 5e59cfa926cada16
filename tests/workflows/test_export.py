"""``strokeseg export nnunet``: an nnU-Net raw dataset that strokeseg (and nnunetv2, where installed)
reads back as it was, with strokeseg's patient-grouped folds."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest

from strokeseg.io.case import load_case
from strokeseg.io.labels import CORE
from strokeseg.io.layouts import open_dataset
from strokeseg.phantom.case import PhantomConfig
from strokeseg.workflows.phantom import CohortSpec, write_phantom_cohort


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    root = tmp_path_factory.mktemp("export") / "ph"
    # 6 cases, some patients with two slabs: the folds must keep a patient's cases together
    write_phantom_cohort(root, CohortSpec(6, PhantomConfig(slices=2, frames=30), "isles2018", seed=7, second_slab_fraction=0.5))
    return root


@pytest.mark.parametrize("target", ["regions", "core", "lesion"])
def test_round_trip_images_labels_and_geometry(cli, cohort, tmp_path, target):
    code, _, err = cli("export", "nnunet", cohort, "--out", tmp_path / "x", "--id", "7", "--name", "Ph", "--target", target, "--folds", "2")
    assert code == 0, err
    root = tmp_path / "x" / "Dataset007_Ph"
    back = open_dataset(root)
    assert back.layout.name == "nnunet-raw"
    src = open_dataset(cohort)
    assert sorted(back.case_ids) == sorted(src.case_ids)
    meta = json.loads((root / "dataset.json").read_text(encoding="utf-8"))
    assert meta["channel_names"]["0"] == "CT"  # CT normalisation for the HU channel, z-score for the maps
    for ref in src.cases:
        a = load_case(ref)
        b = load_case(back.get(ref.case_id))
        assert b.geometry.shape == a.geometry.shape and np.allclose(b.geometry.spacing, a.geometry.spacing)
        for m in meta["strokeseg_channels"]:
            np.testing.assert_array_equal(b.images[m], a.images[m].astype(np.float32))
        want = {"regions": a.label, "core": np.where(a.label == CORE, CORE, 0), "lesion": np.where(a.label > 0, CORE, 0)}[target]
        np.testing.assert_array_equal(b.label, want)  # read back: core→core; lesion (named so) → core


def test_splits_group_patients_and_provenance_maps_back(cli, cohort, tmp_path):
    assert cli("export", "nnunet", cohort, "--out", tmp_path / "x", "--id", "8", "--name", "Ph", "--folds", "3")[0] == 0
    root = tmp_path / "x" / "Dataset008_Ph"
    splits = json.loads((root / "splits_final.json").read_text(encoding="utf-8"))
    prov = json.loads((root / "strokeseg_provenance.json").read_text(encoding="utf-8"))
    assert prov["version"] == 1 and len(splits) == 3
    patient = {c: v["patient"] for c, v in prov["cases"].items()}
    val = [c for s in splits for c in s["val"]]
    assert sorted(val) == sorted(patient)  # every labelled case validated exactly once
    for i, s in enumerate(splits):
        assert not {patient[c] for c in s["val"]} & {patient[c] for c in s["train"]}  # no patient straddles
        assert all(prov["cases"][c]["fold"] == i for c in s["val"])
    assert len(set(patient.values())) < len(patient)  # the cohort does have patients with two cases
    if importlib.util.find_spec("nnunetv2") is not None:  # nnU-Net's own check, where the extra is installed
        from nnunetv2.experiment_planning.verify_dataset_integrity import verify_dataset_integrity

        verify_dataset_integrity(str(root), 1)


@pytest.mark.parametrize(("args", "message"), [(["--id", "1000"], "1–999"), (["--name", "a b"], "--name")])
def test_bad_id_or_name_is_one_line_and_writes_nothing(cli, cohort, tmp_path, args, message):
    base = {"--id": "9", "--name": "Ph"}
    base.update(dict(zip(args[::2], args[1::2])))
    code, _, err = cli("export", "nnunet", cohort, "--out", tmp_path / "x", *[v for kv in base.items() for v in kv])
    assert code != 0 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists() or not any((tmp_path / "x").glob("Dataset*"))


def test_vendor_sentinels_become_zero_and_unlabelled_cases_go_to_imagests():
    from strokeseg.workflows.export import _without_sentinels

    cbf = np.full((2, 4, 4), 1e-6, np.float32)  # a vendor's CBF background
    cbf[:, 1:3, 1:3] = 50.0
    tmax = np.full((2, 4, 4), -30.0, np.float32)  # and its Tmax background
    tmax[:, 1:3, 1:3] = 2.0
    tmax[0, 1, 1] = np.nan
    ct = np.full((2, 4, 4), -1000.0, np.float32)
    out, zeroed = _without_sentinels({"CBF": cbf, "Tmax": tmax, "CT": ct}, ["CT", "CBF", "Tmax"])
    assert zeroed == 2 * 16 - 8 + 1
    assert out["CBF"][1, 1, 1] == 50.0 and out["CBF"][0, 0, 0] == 0.0 and out["CBF"][0, 1, 1] == 0.0
    assert out["Tmax"][1, 2, 2] == 2.0 and out["Tmax"][0, 0, 0] == 0.0 and np.isfinite(out["Tmax"]).all()
    assert out["CT"] is ct  # not a perfusion map: untouched


def test_real_isles24_maps_export_for_prediction(cli, tmp_path):
    from tests.helpers import SHARED, shared_or_skip

    data = shared_or_skip(SHARED / "data" / "real" / "isles2024-vendor-maps")
    code, _, err = cli("export", "nnunet", data, "--out", tmp_path / "x", "--id", "24", "--name", "Vendor")
    assert code == 0, err
    root = tmp_path / "x" / "Dataset024_Vendor"
    assert not (root / "imagesTr").exists() and not (root / "splits_final.json").exists()  # no label: to predict
    prov = json.loads((root / "strokeseg_provenance.json").read_text(encoding="utf-8"))["cases"]["sub-stroke0143"]
    assert prov["split"] == "imagesTs" and prov["map_voxels_zeroed"] > 0
    back = load_case(open_dataset(root).cases[0])
    for m, arr in back.images.items():
        assert arr.min() >= 0.0, m  # no CBF 1e-6 / Tmax −30 background left for nnU-Net's statistics


def test_more_folds_than_patients_is_one_line_naming_the_dataset(cli, cohort, tmp_path):
    code, _, err = cli("export", "nnunet", cohort, "--out", tmp_path / "x", "--id", "9", "--name", "Ph", "--folds", "50")
    assert code != 0 and str(cohort) in err and "--folds" in err and len(err.strip().splitlines()) == 1


def test_perfusion_outputs_export_with_their_computed_maps(cli, tmp_path):
    """A ``strokeseg perfusion`` run folder is a dataset too: its computed maps and the label it carried export."""
    ph = tmp_path / "ph"
    write_phantom_cohort(
        ph, CohortSpec(3, PhantomConfig(slices=2, frames=30, matrix=(64, 64)), "isles2018", seed=7, second_slab_fraction=0.0)
    )
    code, _, err = cli("perfusion", ph, "--out", tmp_path / "P")
    assert code == 0, err
    code, _, err = cli("export", "nnunet", tmp_path / "P", "--out", tmp_path / "X", "--id", "9", "--name", "Perf", "--folds", "3")
    assert code == 0, err
    root = tmp_path / "X" / "Dataset009_Perf"
    meta = json.loads((root / "dataset.json").read_text(encoding="utf-8"))
    assert {"CBF", "CBV", "Tmax"} <= set(meta["strokeseg_channels"]) and meta["numTraining"] == 3
    back = open_dataset(root)
    src = open_dataset(tmp_path / "P")
    for ref in src.cases:
        a, b = load_case(ref), load_case(back.get(ref.case_id))
        np.testing.assert_array_equal(b.images["CBF"], a.images["CBF"].astype(np.float32))
        np.testing.assert_array_equal(b.label > 0, a.label == CORE)  # the core target
