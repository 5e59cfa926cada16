"""nnU-Net results folders: detection, safe checkpoint loading, and refusals by name."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pytest
import torch

from strokeseg.errors import InputError
from strokeseg.inference.nnunet.folder import is_nnunet_model, load_checkpoint, load_nnunet_model
from tests.inference.nnunet.helpers import CT_MODEL, MR_MODEL


def _copy(src: Path, tmp_path: Path) -> Path:
    dst = tmp_path / src.name
    shutil.copytree(src, dst)
    return dst


def _edit_json(path: Path, edit) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(json.dumps(data), encoding="utf-8")


def test_detection():
    assert is_nnunet_model(CT_MODEL) and is_nnunet_model(MR_MODEL)
    assert not is_nnunet_model(CT_MODEL / "fold_0")
    assert not is_nnunet_model(CT_MODEL.parent)


def test_real_checkpoints_load_with_weights_only():
    ckpt = load_checkpoint(CT_MODEL / "fold_0" / "checkpoint_final.pth")
    assert ckpt["trainer_name"] == "nnUNetTrainer_50epochs"
    assert "optimizer_state" in ckpt  # the whole nnU-Net checkpoint, not a stripped copy


def test_pickled_objects_are_refused_naming_the_file(tmp_path):
    model = _copy(CT_MODEL, tmp_path)
    path = model / "fold_0" / "checkpoint_final.pth"
    ckpt = torch.load(path, weights_only=False)
    ckpt["payload"] = argparse.Namespace(cmd="rm -rf /")
    torch.save(ckpt, path)
    with pytest.raises(InputError, match=r"weights_only=True") as err:
        load_nnunet_model(model)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_a_trainer_with_another_network_is_refused(tmp_path):
    model = _copy(CT_MODEL, tmp_path)
    path = model / "fold_1" / "checkpoint_final.pth"
    ckpt = torch.load(path, weights_only=False)
    ckpt["network_weights"]["extra_head.weight"] = torch.zeros(3)
    torch.save(ckpt, path)
    with pytest.raises(InputError, match=r"not the one plans\.json describes"):
        load_nnunet_model(model)


@pytest.mark.parametrize(
    ("file", "edit", "message"),
    [
        ("plans.json", lambda p: p["configurations"]["3d_fullres"].update(previous_stage="3d_lowres"), "cascade"),
        ("plans.json", lambda p: p.update(image_reader_writer="MyDicomReader"), "custom image reader"),
        ("plans.json", lambda p: p["configurations"]["3d_fullres"]["architecture"].update(network_class_name="my.Net"), "my.Net"),
        ("plans.json", lambda p: p["configurations"]["3d_fullres"]["architecture"]["arch_kwargs"].update(nonlin="os.system"), "os.system"),
        ("plans.json", lambda p: p["configurations"]["3d_fullres"].update(normalization_schemes=["MyNorm"]), "MyNorm"),
        ("plans.json", lambda p: p["configurations"]["3d_fullres"].update(preprocessor_name="MyPre"), "MyPre"),
        ("dataset.json", lambda d: d["labels"].update(ignore=2), "ignore label"),
    ],
)
def test_what_cannot_be_reproduced_is_refused_by_name(tmp_path, file, edit, message):
    model = _copy(CT_MODEL, tmp_path)
    _edit_json(model / file, edit)
    with pytest.raises(InputError, match=message) as err:
        load_nnunet_model(model)
    assert "\n" not in str(err.value)


def test_inherited_configurations_resolve(tmp_path):
    model = _copy(CT_MODEL, tmp_path)
    _edit_json(model / "plans.json", lambda p: p["configurations"].update(child={"inherits_from": "3d_fullres", "patch_size": [8, 8, 8]}))
    from strokeseg.inference.nnunet.folder import resolved_configuration

    plans = json.loads((model / "plans.json").read_text(encoding="utf-8"))
    cfg = resolved_configuration(plans, "child")
    assert cfg["patch_size"] == [8, 8, 8] and cfg["normalization_schemes"] == ["CTNormalization"]


def test_missing_folds_and_bad_json(tmp_path):
    model = _copy(MR_MODEL, tmp_path)
    with pytest.raises(InputError, match="fold_3"):
        load_nnunet_model(model, folds=("3",))
    (model / "plans.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match=r"plans\.json"):
        load_nnunet_model(model)
