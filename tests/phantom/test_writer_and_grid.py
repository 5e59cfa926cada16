import numpy as np
import pytest

from strokeseg.io.layouts import open_dataset
from strokeseg.phantom.case import PhantomConfig
from strokeseg.phantom.grid import GRID_CBF, GridConfig, generate_grid, tile_medians
from strokeseg.workflows.phantom import CohortSpec, write_phantom_cohort
from tests.helpers import SMALL_CT


def test_isles2018_cohort_round_trip(tmp_path):
    rows = write_phantom_cohort(tmp_path, CohortSpec(3, PhantomConfig(**SMALL_CT), "isles2018", seed=2, second_slab_fraction=1.0))
    assert rows[0]["patient_id"] == rows[1]["patient_id"]  # two slabs of one patient
    ds = open_dataset(tmp_path)
    assert ds.layout.name == "isles2018" and len(ds) == 3 and len(ds.patients) == 2
    case = ds.load(ds.cases[0], with_series=True)
    assert sorted(case.images) == ["CBF", "CBV", "CT", "MTT", "Tmax"]
    assert case.series["CTP"].n_frames == 40 and case.series["CTP"].frame_interval == 1.5
    truth = np.asarray(__import__("nibabel").load(tmp_path / "case_1" / "strokeseg_truth" / "label.nii.gz").dataobj)
    assert set(np.unique(case.label)) <= {0, 2}
    assert (case.label == 2).sum() == (np.transpose(truth, (2, 1, 0)) == 2).sum()
    assert case.group in ("LVO", "non-LVO", "no-stroke") and case.nihss is not None


@pytest.mark.slow
def test_worker_processes_write_the_same_cohort(tmp_path):
    one = write_phantom_cohort(tmp_path / "a", CohortSpec(3, PhantomConfig(**SMALL_CT), "manifest", seed=4, second_slab_fraction=0.5))
    done: list[int] = []
    two = write_phantom_cohort(
        tmp_path / "b", CohortSpec(3, PhantomConfig(**SMALL_CT), "manifest", seed=4, second_slab_fraction=0.5), jobs=2, on_case=done.append
    )
    assert sorted(done) == [1, 2, 3] and [r["case_id"] for r in two] == [r["case_id"] for r in one]
    assert [r["patient_id"] for r in two] == [r["patient_id"] for r in one]
    a, b = open_dataset(tmp_path / "a"), open_dataset(tmp_path / "b")
    for ra, rb in zip(a.cases, b.cases):
        ca, cb = a.load(ra), b.load(rb)
        np.testing.assert_array_equal(ca.images["CBF"], cb.images["CBF"])
        np.testing.assert_array_equal(ca.label, cb.label)


def test_manifest_and_spes_layouts(tmp_path):
    write_phantom_cohort(tmp_path / "m", CohortSpec(2, PhantomConfig(**SMALL_CT), "manifest", seed=1))
    ds = open_dataset(tmp_path / "m")
    assert ds.layout.name == "manifest" and "series:CTP" not in ds.cases[0].images
    assert "CTP" in ds.cases[0].series
    mr = PhantomConfig(modality="mr", matrix=(55, 48), spacing_xy=4.0, slices=20, frames=40)
    write_phantom_cohort(tmp_path / "s", CohortSpec(1, mr, "isles2015-spes", seed=1))
    ds = open_dataset(tmp_path / "s")
    assert ds.layout.name == "isles2015-spes"
    case = ds.load(ds.cases[0], with_series=True)
    assert {"T1c", "T2", "DWI", "ADC", "CBF", "CBV", "TTP", "Tmax"} <= set(case.images)
    assert "PWI" in case.series


def test_grid_phantom_truth_per_tile():
    g = generate_grid(GridConfig(noise_hu=0.0, frames=50, cbf=(20.0, 60.0), mtt=(4.0, 8.0), delays=(0.0, 6.0)))
    assert len(g.tiles) == 2 * 2 * 2 * 3
    med = tile_medians(g.truth["CBF"], g)
    np.testing.assert_allclose(med, [t["CBF"] for t in g.tiles])
    assert {t["delay"] for t in g.tiles} == {0.0, 6.0}
    assert set(GRID_CBF) >= {20.0, 60.0}
    assert g.aif_mask.any() and (g.tile == -3).any()
