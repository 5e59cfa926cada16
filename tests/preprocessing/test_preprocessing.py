import json

import numpy as np
import pytest

from strokeseg.preprocessing.cache import cached, content_key
from strokeseg.preprocessing.normalization import Normalizer
from strokeseg.preprocessing.symmetry import ncc, symmetric_modalities


def test_normalizer_uses_training_brain_statistics():
    rng = np.random.default_rng(0)
    brain = np.zeros((2, 10, 10), bool)
    brain[:, 2:8, 2:8] = True
    xs = [rng.normal([[[[5.0]]], [[[100.0]]]], [[[[2.0]]], [[[10.0]]]], (2, 2, 10, 10)) for _ in range(3)]
    n = Normalizer(["a", "b"], clip=None).fit((x, brain) for x in xs)
    allv = np.concatenate([x[:, brain] for x in xs], axis=1)
    np.testing.assert_allclose(n.mean, allv.mean(1))
    np.testing.assert_allclose(n.std, allv.std(1))
    z = n(xs[0], brain)
    assert np.all(z[:, ~brain] == 0) and abs(z[1, brain].mean()) < 0.5
    assert Normalizer.from_dict(n.to_dict()).mean == n.mean


def test_normalizer_clips_to_brain_percentiles_before_whitening():
    """A few vessel-like voxels (1 %, 50x the tissue value) must not set the scale of the tissue."""
    rng = np.random.default_rng(1)
    brain = np.ones((4, 30, 30), bool)
    xs = []
    for _ in range(3):
        x = rng.normal(40.0, 10.0, (1, 4, 30, 30))
        vessels = rng.random((4, 30, 30)) < 0.01
        x[0][vessels] = 2000.0
        xs.append(x)
    plain = Normalizer(["CBF"], clip=None).fit((x, brain) for x in xs)
    clipped = Normalizer(["CBF"], clip=(0.5, 98.0)).fit((x, brain) for x in xs)
    allv = np.concatenate([x[0, brain] for x in xs])
    lo, hi = np.percentile(allv, [0.5, 98.0])
    assert clipped.lower[0] == pytest.approx(lo) and clipped.upper[0] == pytest.approx(hi)
    np.testing.assert_allclose(clipped.std, np.clip(allv, lo, hi).std(), rtol=1e-9)
    assert plain.std[0] > 150 and clipped.std[0] < 15  # the tissue's σ 10, not the vessels'
    z = clipped(xs[0], brain)
    assert z.max() == pytest.approx((hi - clipped.mean[0]) / clipped.std[0], rel=1e-5)
    back = Normalizer.from_dict(json.loads(json.dumps(clipped.to_dict())))  # bounds survive a JSON bundle
    np.testing.assert_allclose(back(xs[1], brain), clipped(xs[1], brain))


def test_normalizer_leaves_scalar_channels_alone_and_case_mode_uses_the_case():
    rng = np.random.default_rng(2)
    brain = np.zeros((2, 10, 10), bool)
    brain[:, 1:9, 1:9] = True
    x = np.stack([rng.normal(7.0, 3.0, (2, 10, 10)), np.full((2, 10, 10), 0.25)])
    n = Normalizer(["CBV", "NIHSS"], mode="case")
    z = n(x, brain)
    assert abs(z[0, brain].mean()) < 1e-5 and z[0, brain].std() == pytest.approx(1.0, rel=0.05)
    np.testing.assert_array_equal(z[1], 0.25)  # NIHSS: not clipped, whitened or masked
    d = Normalizer(["CBV", "NIHSS"]).fit([(x, brain)]).to_dict()
    assert d["lower"][1] is None and d["upper"][1] is None


def test_none_mode_passes_values_through_but_keeps_the_statistics_for_the_input_guard():
    rng = np.random.default_rng(3)
    brain = np.zeros((2, 10, 10), bool)
    brain[:, 2:8, 2:8] = True
    x = rng.normal(40.0, 10.0, (1, 2, 10, 10))
    n = Normalizer(["CBF"], mode="none", clip=None).fit([(x, brain)])
    z = n(x, brain)
    np.testing.assert_allclose(z[:, brain], x[:, brain].astype(np.float32))  # unchanged inside the brain
    assert np.all(z[:, ~brain] == 0)
    _lower, _upper, mean, std = n.reference(x, brain)  # what the guard compares a case with: the training inputs
    assert mean[0] == pytest.approx(x[0, brain].mean()) and std[0] == pytest.approx(x[0, brain].std())
    back = Normalizer.from_dict(json.loads(json.dumps(n.to_dict())))
    assert back.mode == "none" and np.array_equal(back(x, brain), z)


def test_cache_computes_once(tmp_path, monkeypatch):
    monkeypatch.setenv("STROKESEG_CACHE", str(tmp_path))
    calls = []

    def compute():
        calls.append(1)
        return {"a": np.arange(5.0)}

    key = content_key({"x": np.ones(3)}, {"s": 1})
    assert key != content_key({"x": np.ones(3) * 2}, {"s": 1}) != content_key({"x": np.ones(3)}, {"s": 2})
    np.testing.assert_array_equal(cached("t", key, compute)["a"], np.arange(5.0))
    np.testing.assert_array_equal(cached("t", key, compute)["a"], np.arange(5.0))
    assert len(calls) == 1


@pytest.mark.parametrize("rotation", [6.0, -8.0])
def test_registered_mirror_matches_the_healthy_hemisphere(rotation):
    """Lesion in one hemisphere, head rotated: the registered mirror beats the plain flip (NCC)."""
    from scipy import ndimage

    from strokeseg.phantom.case import PhantomConfig, generate_case
    from strokeseg.phantom.lesion import LesionSpec

    spec = LesionSpec("mca", side=1, core_fraction=0.4)
    c = generate_case(PhantomConfig(slices=4, matrix=(128, 128), spacing_xy=1.8, frames=40, rotation_deg=rotation, lesion=spec), 2)
    brain = c.brain
    res = symmetric_modalities({"CT": c.images["CT"]}, c.geometry, brain, "CT")
    assert res.registered
    assert abs(np.degrees(res.transform[2])) == pytest.approx(2 * abs(rotation), abs=2.5)  # a mirrored tilt θ needs 2θ
    smooth = lambda a: ndimage.gaussian_filter(np.where(brain, a, 0), (0, 1.5, 1.5))  # noqa: E731
    lesion_side = np.sign(np.mean(np.argwhere(c.label > 0)[:, 2] - 64))
    xs = np.arange(128)[None, None, :]
    healthy = brain & (np.sign(xs - 64) == -lesion_side) & (c.label == 0)
    import SimpleITK as sitk

    from strokeseg.preprocessing.symmetry import _reflection, _to_sitk

    idx = np.argwhere(brain)
    centre = c.geometry.index_to_world(idx.mean(0))
    img = _to_sitk(c.images["CT"], c.geometry)
    flip = sitk.GetArrayFromImage(sitk.Resample(img, img, _reflection(c.geometry, centre), sitk.sitkLinear, 0.0))
    orig = smooth(c.images["CT"])
    assert ncc(orig, smooth(res.channels["CT"]), healthy) > ncc(orig, smooth(flip), healthy) + 0.05


def _cache_entry(tmp_path, key):
    from strokeseg.preprocessing.cache import FORMAT

    return tmp_path / "t" / f"v{FORMAT}" / f"{key}.npz"


def test_cache_refuses_a_crafted_entry_and_recomputes(tmp_path, monkeypatch):
    """An entry someone else wrote, with the right key and a plausible body, fails the HMAC and is recomputed."""
    monkeypatch.setenv("STROKESEG_CACHE", str(tmp_path))
    key = content_key({"x": np.ones(3)}, {"s": 1})
    cached("t", key, lambda: {"a": np.arange(5.0)})
    entry = _cache_entry(tmp_path, key)
    with np.load(entry) as f:
        arrays = {k: f[k] for k in f.files}
    arrays["a"] = arrays["a"] + 0.34  # the attacker's change, keeping the stored MAC
    np.savez(entry, **arrays)
    np.testing.assert_array_equal(cached("t", key, lambda: {"a": np.arange(5.0)})["a"], np.arange(5.0))
    np.savez(entry, a=np.arange(5.0) + 1, __hmac__=np.asarray("0" * 64))  # a forged MAC
    np.testing.assert_array_equal(cached("t", key, lambda: {"a": np.arange(5.0)})["a"], np.arange(5.0))


def test_cache_never_blocks_on_a_fifo_and_never_follows_a_link(tmp_path, monkeypatch):
    import os

    monkeypatch.setenv("STROKESEG_CACHE", str(tmp_path))
    key = content_key({"x": np.zeros(2)}, {})
    entry = _cache_entry(tmp_path, key)
    entry.parent.mkdir(parents=True)
    os.mkfifo(entry)
    np.testing.assert_array_equal(cached("t", key, lambda: {"a": np.ones(2)})["a"], np.ones(2))  # returns: no hang
    assert entry.is_file() and not entry.is_symlink()  # replaced by a real entry
    victim = tmp_path / "victim.npz"
    victim.write_bytes(b"precious")
    entry.unlink()
    entry.symlink_to(victim)
    np.testing.assert_array_equal(cached("t", key, lambda: {"a": np.ones(2)})["a"], np.ones(2))
    assert victim.read_bytes() == b"precious"


def test_cache_entry_of_the_wrong_shape_is_recomputed_and_size_is_bounded(tmp_path, monkeypatch):
    monkeypatch.setenv("STROKESEG_CACHE", str(tmp_path))
    key = content_key({"x": np.ones(4)}, {})
    cached("t", key, lambda: {"a": np.ones(3)})
    got = cached("t", key, lambda: {"a": np.ones(4)}, expect=lambda e: e["a"].shape == (4,))
    assert got["a"].shape == (4,)
    monkeypatch.setenv("STROKESEG_CACHE_MAX_GB", "0")  # nothing may stay
    cached("t", content_key({"x": np.ones(5)}, {}), lambda: {"a": np.ones(5)})
    assert not list(tmp_path.glob("t/*/*.npz"))


def test_an_affine_registration_of_the_mirror_undoes_a_shear_a_rigid_one_cannot():
    """Clèrigues registered the mirror with FSL FLIRT's affine: a skewed head's mirror is skewed the other way."""
    from scipy import ndimage

    from strokeseg.phantom.case import PhantomConfig, generate_case

    c = generate_case(PhantomConfig(slices=4, matrix=(128, 128), spacing_xy=1.8, frames=40, p_no_stroke=1.0), 2)
    shear = np.array([[1.0, 0.0], [0.12, 1.0]])  # (y, x): x' = x + 0.12 y, about the centre
    offset = np.array([63.5, 63.5]) - shear @ np.array([63.5, 63.5])

    def skew(a: np.ndarray, order: int) -> np.ndarray:
        return np.stack([ndimage.affine_transform(s, shear, offset=offset, order=order) for s in a.astype(np.float32)])

    ct, brain = skew(c.images["CT"], 1), skew(c.brain, 0) > 0.5
    rigid = symmetric_modalities({"CT": ct}, c.geometry, brain, "CT", transform="rigid")
    affine = symmetric_modalities({"CT": ct}, c.geometry, brain, "CT", transform="affine")
    assert affine.registered and len(affine.transform) == 12 and len(rigid.transform) == 6
    assert affine.ncc_registered > max(rigid.ncc_registered, affine.ncc_flip) + 0.2
    straight = symmetric_modalities({"CT": c.images["CT"]}, c.geometry, c.brain, "CT", transform="affine")
    assert straight.ncc_registered >= symmetric_modalities({"CT": c.images["CT"]}, c.geometry, c.brain, "CT").ncc_registered - 0.02
    with pytest.raises(ValueError, match="rigid, affine"):
        symmetric_modalities({"CT": ct}, c.geometry, brain, "CT", transform="elastic")


def test_the_real_isles18_ct_correlates_with_its_registered_mirror():
    """Bone at the brain mask's rim dominated the real ISLES'18 CT (sd 97 HU, body 16–62 HU): unclipped, the CT was
    uncorrelated with its own mirror (NCC 0.00) and the registration had nothing to follow."""
    from strokeseg.io.case import load_case
    from strokeseg.io.layouts import open_dataset
    from strokeseg.preprocessing.config import BrainMask
    from strokeseg.preprocessing.prepare import case_brain_mask
    from tests.helpers import SHARED, shared_or_skip

    case = load_case(open_dataset(shared_or_skip(SHARED / "data" / "real" / "isles2018")).cases[0])
    brain = case_brain_mask(case, "CT", BrainMask.MAPS)
    for transform in ("rigid", "affine"):
        res = symmetric_modalities({"CT": case.images["CT"].astype(np.float32)}, case.geometry, brain, "CT", transform=transform)
        assert res.registered and res.ncc_flip > 0.4 and res.ncc_registered > res.ncc_flip
