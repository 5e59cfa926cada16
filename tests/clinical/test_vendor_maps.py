"""Vendor perfusion maps with sentinel backgrounds: the tissue mask, the statistics and the read-out."""

from __future__ import annotations

import json

import nibabel as nib
import numpy as np
import pytest

from strokeseg.cli import main
from strokeseg.masks.brain import background_value, valid_map_mask
from tests.helpers import SHARED, shared_or_skip

ISLES24 = SHARED / "data" / "real" / "isles2024-vendor-maps"


def test_valid_map_mask_drops_sentinels_negatives_and_nonfinite():
    shape = (2, 20, 20)
    head = np.zeros(shape, bool)
    head[:, 4:16, 4:16] = True
    cbf = np.where(head, 40.0, 1e-6)
    tmax = np.where(head, 0.0, -30.0)  # tissue with Tmax 0 is valid
    cbv = np.where(head, 3.0, 0.0)
    cbv[0, 5, 5] = -2.0
    mtt = np.where(head, 4.0, 0.0)
    cbf[1, 6, 6] = np.nan
    valid, dropped = valid_map_mask({"CBF": cbf, "CBV": cbv, "MTT": mtt, "Tmax": tmax})
    assert background_value(cbf) == pytest.approx(1e-6) and background_value(tmax) == -30.0
    expected = head.copy()
    expected[0, 5, 5] = expected[1, 6, 6] = False
    assert np.array_equal(valid, expected)
    assert dropped["CBF"] == int((~head).sum()) + 1 and dropped["CBV"] == 1


@pytest.fixture
def isles24():
    return shared_or_skip(ISLES24)


def test_the_real_isles24_hypoperfused_volume_matches_the_vendor_tmax_region(isles24, tmp_path, capsys):
    maps = {}
    for m in ("cbf", "cbv", "mtt", "tmax"):
        img = nib.load(str(next(isles24.rglob(f"*_{m}.nii.gz"))))
        maps[m] = np.asanyarray(img.dataobj).astype(np.float64)
        voxel_ml = float(np.prod(img.header.get_zooms()[:3])) / 1000
    valid = (maps["cbf"] > 1e-5) & (maps["tmax"] >= 0) & (maps["mtt"] >= 0) & (maps["cbv"] >= 0)
    vendor_ml = float(((maps["tmax"] > 6) & valid).sum() * voxel_ml)
    assert 140 < vendor_ml < 160  # the vendor's own deficit: ~150 ml above 6 s
    assert main(["threshold", str(isles24), "--out", str(tmp_path / "o")]) == 0  # the layout reads a maps-only subject
    out = capsys.readouterr().out
    ro = json.loads((tmp_path / "o" / "sub-stroke0143" / "sub-stroke0143_readout.json").read_text(encoding="utf-8"))
    assert ro["hypoperfused_ml"] == pytest.approx(vendor_ml, rel=0.20)
    assert ro["tmax10_ml"] < ro["hypoperfused_ml"]
    assert any("vendor scale" in n for n in ro["notes"]) and "vendor scale" in out  # CBF median ≈ 10: not ml/100 g/min
    assert any("967 ml" in n for n in ro["notes"])  # the valid tissue, not the 3680 ml field of view


def test_phantom_vendor_sentinels_do_not_change_the_read_out(tmp_path, capsys):
    from strokeseg.phantom.case import PhantomConfig
    from strokeseg.workflows.phantom import CohortSpec, write_phantom_cohort

    cfg = PhantomConfig(slices=2, matrix=(64, 64), spacing_xy=3.0, frames=30, frame_interval=1.5)
    write_phantom_cohort(tmp_path / "plain", CohortSpec(2, cfg, "isles2018", seed=4, second_slab_fraction=0.0))
    write_phantom_cohort(
        tmp_path / "vendor", CohortSpec(2, cfg, "isles2018", seed=4, second_slab_fraction=0.0, quirks=("vendor-sentinels",))
    )
    tmax = nib.load(str(next((tmp_path / "vendor").glob("case_1/*CT_Tmax*/*.nii"))))
    assert float(np.asanyarray(tmax.dataobj).min()) == -30.0
    for name in ("plain", "vendor"):
        assert main(["threshold", str(tmp_path / name), "--out", str(tmp_path / f"o-{name}")]) == 0
    capsys.readouterr()
    for case in ("case_1", "case_2"):
        a = np.asanyarray(nib.load(str(tmp_path / "o-plain" / case / f"{case}_label.nii.gz")).dataobj)
        b = np.asanyarray(nib.load(str(tmp_path / "o-vendor" / case / f"{case}_label.nii.gz")).dataobj)
        assert np.array_equal(a, b)


@pytest.mark.parametrize(
    ("source", "ref", "says"),
    [
        ("given maps", 10.3, "probably on a vendor scale"),
        ("computed from CTP (tikhonov-lcurve)", 14.0, "own maps: its absolute CBF reads low"),
        ("computed from CTP (tikhonov-lcurve)", 150.0, "own maps: the AIF is probably too low"),
    ],
)
def test_an_implausible_reference_cbf_is_called_a_vendor_scale_only_on_given_maps(source, ref, says):
    """strokeseg's own maps are in ml/100 g/min by construction: a reference off the healthy range there is named as
    its accuracy problem, not as a vendor scale."""
    from types import SimpleNamespace

    from strokeseg.clinical.pipeline import perfusion_qc

    result = SimpleNamespace(tissue=np.ones((4, 10, 10), bool), reference_cbf=ref)
    (w,) = perfusion_qc(result, 1.0, source)
    assert w.code == "reference-cbf-implausible" and says in w.message
    assert ("vendor scale" in w.message) == (source == "given maps")
