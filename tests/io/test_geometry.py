import numpy as np
import pytest

from strokeseg.io.geometry import Geometry


def oblique() -> Geometry:
    a = np.deg2rad(12.0)
    rot = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1.0]])
    return Geometry((7, 9, 11), (0.9, 0.8, 5.0), origin=(10.0, -20.0, 30.0), direction=tuple(rot.ravel()))


def test_affine_ras_round_trip():
    g = oblique()
    back = Geometry.from_affine_ras(g.affine_ras(), g.shape)
    assert back.same_grid(g, atol=1e-9)
    np.testing.assert_allclose(back.spacing, g.spacing)


def test_affine_ras_is_lps_flipped():
    g = Geometry((2, 3, 4), (1.0, 2.0, 3.0), origin=(5.0, 6.0, 7.0))
    aff = g.affine_ras()
    np.testing.assert_allclose(aff[:3, 3], [-5.0, -6.0, 7.0])
    np.testing.assert_allclose(np.diag(aff)[:3], [-1.0, -2.0, 3.0])


def test_index_world_round_trip_and_axis_order():
    g = oblique()
    idx = np.array([[1.0, 2.0, 3.0], [6.0, 0.0, 10.0]])  # (z, y, x)
    np.testing.assert_allclose(g.world_to_index(g.index_to_world(idx)), idx, atol=1e-9)
    # one step along x (array axis 2) moves 0.9 mm, along z (axis 0) 5 mm
    w0 = g.index_to_world([0, 0, 0])
    assert np.linalg.norm(g.index_to_world([0, 0, 1]) - w0) == pytest.approx(0.9)
    assert np.linalg.norm(g.index_to_world([1, 0, 0]) - w0) == pytest.approx(5.0)


def test_voxel_volume_and_spacing_order():
    g = Geometry((4, 5, 6), (0.5, 2.0, 4.0))
    assert g.voxel_volume_ml == pytest.approx(0.004)
    assert g.spacing_zyx == (4.0, 2.0, 0.5)


def test_rejects_bad_spacing():
    with pytest.raises(ValueError, match="positive"):
        Geometry((1, 2, 3), (1.0, 0.0, 1.0))


def sheared_affine(tilt_deg: float = 20.0) -> np.ndarray:
    """A gantry-tilt RAS affine: the slice axis leans in the y–z plane."""
    aff = np.diag([0.9, 0.9, 5.0, 1.0])
    aff[1, 2] = 5.0 * np.tan(np.deg2rad(tilt_deg))
    aff[:3, 3] = (-50.0, 20.0, 7.0)
    return aff


def test_a_sheared_affine_is_kept_exactly_and_counts_its_true_voxel_volume():
    aff = sheared_affine(20.0)
    g = Geometry.from_affine_ras(aff, (4, 5, 6))
    assert np.array_equal(g.affine_ras(), aff)  # bit for bit, not straightened
    assert g.shear_deg == pytest.approx(20.0)
    assert g.voxel_volume_ml == pytest.approx(abs(np.linalg.det(aff[:3, :3])) / 1000)  # 0.9·0.9·5 mm³, not 0.9·0.9·5.32
    assert "sheared 20°" in g.describe()


@pytest.mark.parametrize(
    ("affine", "match"),
    [
        (np.diag([1.0, np.nan, 1.0, 1.0]), "NaN"),
        (np.diag([1.0, 1.0, 0.0, 1.0]), "zero-length"),
        (np.array([[1.0, 1.0, 0, 0], [0, 0, 0, 0], [0, 0, 1.0, 0], [0, 0, 0, 1.0]]), "singular"),
    ],
)
def test_invalid_affines_are_refused(affine, match):
    with pytest.raises(ValueError, match=match):
        Geometry.from_affine_ras(affine, (2, 3, 4))


def test_an_empty_axis_is_refused():
    with pytest.raises(ValueError, match="at least one voxel"):
        Geometry((0, 3, 4), (1.0, 1.0, 1.0))
