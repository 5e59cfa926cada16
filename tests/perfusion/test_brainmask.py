"""CT brain mask from the baseline: the intracranial soft tissue, never scalp or bone."""

import numpy as np

from strokeseg.masks.brain import ct_brain_mask
from strokeseg.phantom.anatomy import Tissue
from strokeseg.phantom.case import PhantomConfig, generate_case


def _head(shape=(3, 128, 128), centre=(64.0, 64.0), r_brain=30.0, skull=5.0, scalp=4.0):
    """Concentric brain (35 HU) / skull (1000 HU) / scalp (40 HU) discs in air, with their truth."""
    yy, xx = np.mgrid[: shape[1], : shape[2]]
    r = np.hypot(yy - centre[0], xx - centre[1])
    hu = np.full(shape[1:], -1000.0)
    hu[r < r_brain + skull + scalp] = 40.0
    hu[r < r_brain + skull] = 1000.0
    hu[r < r_brain] = 35.0
    rng = np.random.default_rng(0)
    vol = np.repeat(hu[None], shape[0], 0) + rng.normal(0, 4, shape)
    brain = np.repeat((r < r_brain)[None], shape[0], 0)
    scalp_mask = np.repeat(((r >= r_brain + skull) & (r < r_brain + skull + scalp))[None], shape[0], 0)
    return vol, brain, scalp_mask


def test_closed_skull_gives_the_brain_without_scalp():
    vol, brain, scalp = _head()
    m = ct_brain_mask(vol)
    assert not (m & scalp).any() and not (m & (vol > 150)).any()
    assert (m & brain).sum() / brain.sum() > 0.9  # one voxel of erosion at the inner table
    assert not (m & ~brain).any()


def test_a_skull_ring_cut_by_the_field_of_view_still_encloses_the_brain():
    vol, brain, scalp = _head(centre=(20.0, 64.0))  # the head runs past the top edge of the image
    assert brain[:, 0].any()  # the brain itself touches the edge, so the skull ring is open there
    m = ct_brain_mask(vol)
    assert not (m & scalp).any()
    assert (m & brain).sum() / brain.sum() > 0.9


def test_skull_stripped_input_falls_back_to_soft_tissue():
    vol, brain, _ = _head()
    vol[~brain] = -1000.0
    m = ct_brain_mask(vol)
    assert (m & brain).sum() / brain.sum() > 0.95 and not (m & ~brain).any()


def test_a_slab_that_grazes_the_skull_cap_excludes_scalp_and_bone():
    # A second slab 40.6 mm above the first, reaching the vertex: the 5-mm slabs average scalp, skull
    # and brain at the cap, which once joined the scalp to the brain and filled the skull into the mask
    # (39,049 scalp/skull voxels in this case).
    case = generate_case(PhantomConfig(frames=30, slab_offset_mm=40.6), 2122531363, slab=1)
    baseline = case.series.data[..., :3].mean(axis=3)
    m = ct_brain_mask(baseline)
    t = case.tissue
    parenchyma = np.isin(t, (Tissue.GM, Tissue.WM))
    assert not (parenchyma[-1]).any() and (t[-1] == Tissue.SKULL).any()  # the top slice is skull cap only
    assert not (m & np.isin(t, (Tissue.SCALP, Tissue.SKULL, Tissue.AIR))).any()
    assert not (m & (baseline > 150)).any()
    assert (m & parenchyma).sum() / parenchyma.sum() > 0.99
    assert not ((case.label > 0) & ~m).any()


def test_a_case_with_only_a_ct_gets_the_ct_mask_not_an_mri_threshold():
    """A learned method (e.g. an nnU-Net model on NCCT) whose only channel is a CT in HU."""
    from strokeseg.io.case import Case
    from strokeseg.io.geometry import Geometry
    from strokeseg.masks.case import case_brain_mask

    vol, brain, _ = _head()
    case = Case("c", {"CT": vol.astype(np.float32)}, Geometry(vol.shape, (1.0, 1.0, 5.0)))
    m = case_brain_mask(case, "CT")
    assert np.array_equal(m, ct_brain_mask(vol))
    assert not (m & (vol > 150)).any() and (m & brain).sum() / brain.sum() > 0.9  # no skull in it
