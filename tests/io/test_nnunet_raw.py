"""The nnU-Net raw dataset layout: detection, channels by dataset.json, labels by name."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import SimpleITK as sitk

from strokeseg.errors import InputError
from strokeseg.io.case import load_case
from strokeseg.io.labels import CORE, PENUMBRA
from strokeseg.io.layouts import detect_layout, open_dataset
from tests.inference.nnunet.helpers import MR_MODEL, channel_files, reference


def _dataset(tmp_path, labels=None):
    root = tmp_path / "Dataset902_TinyMR"
    for d in ("imagesTr", "labelsTr", "imagesTs"):
        (root / d).mkdir(parents=True)
    meta = json.loads((MR_MODEL / "dataset.json").read_text(encoding="utf-8"))
    if labels is not None:
        meta["labels"] = labels
        meta.pop("regions_class_order", None)
    (root / "dataset.json").write_text(json.dumps(meta))
    for f in channel_files("mrt_000"):
        shutil.copy(f, root / "imagesTr" / f.name)
    label = sitk.GetImageFromArray(reference("mrt_000")[0])  # nnunetv2's labels as the training label
    label.CopyInformation(sitk.ReadImage(str(channel_files("mrt_000")[0])))
    sitk.WriteImage(label, str(root / "labelsTr" / "mrt_000.nii.gz"))
    for f in channel_files("mrt_001"):
        shutil.copy(f, root / "imagesTs" / f.name)
    return root


def test_cases_channels_and_region_labels(tmp_path):
    root = _dataset(tmp_path)
    assert detect_layout(root).name == "nnunet-raw"
    ds = open_dataset(root)
    assert ds.case_ids == ["mrt_000", "mrt_001"]
    assert set(ds.cases[0].images) == {"DWI", "ADC"} and ds.cases[0].label is not None and ds.cases[1].label is None
    # regions: hypoperfused (value 1 after painting) → penumbra, core (2) → core
    assert ds.label_map == {0: 0, 1: PENUMBRA, 2: CORE}
    case = load_case(ds.cases[0])
    assert case.label is not None and set(np.unique(case.label)) == {0, PENUMBRA, CORE}


def test_plain_labels_by_name_and_unknown_names(tmp_path):
    ds = open_dataset(_dataset(tmp_path, {"background": 0, "lesion": 1}))
    assert ds.label_map == {0: 0, 1: CORE}
    with pytest.raises(InputError, match="'edema'"):
        open_dataset(_dataset(tmp_path / "b", {"background": 0, "edema": 1}))


def test_a_missing_channel_is_named(tmp_path):
    root = _dataset(tmp_path)
    (root / "imagesTs" / "mrt_001_0001.nii.gz").unlink()
    with pytest.raises(InputError, match="mrt_001 lacks channel"):
        open_dataset(root)
