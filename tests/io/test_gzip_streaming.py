"""Streamed 4D NIfTI reads equal nibabel's, and ISA-L gzip writes are ordinary, reproducible gzip."""

from __future__ import annotations

import gzip
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from strokeseg.errors import InputError
from strokeseg.io import gzipio
from strokeseg.io.geometry import isotropic
from strokeseg.io.nifti import _stream_frames, read_nifti, read_nifti_series, write_nifti


def _nibabel_zyxt(path: Path) -> np.ndarray:
    return np.ascontiguousarray(np.transpose(np.asanyarray(nib.load(str(path)).dataobj), (2, 1, 0, 3)), dtype=np.float32)


@pytest.mark.parametrize("suffix", [".nii", ".nii.gz"])
@pytest.mark.parametrize("dtype", [np.int16, np.float32, np.uint8])
@pytest.mark.parametrize("scaled", [False, True])
def test_streamed_series_equals_nibabel(tmp_path: Path, suffix: str, dtype, scaled: bool) -> None:
    rng = np.random.default_rng(1)
    data = (rng.random((7, 5, 3, 9)) * 200).astype(dtype)  # (x, y, z, t) on disk
    img = nib.Nifti1Image(data, np.diag([0.9, 0.8, 5.0, 1.0]))
    if scaled:
        img.header.set_slope_inter(0.37, -12.5)
    path = tmp_path / f"s{suffix}"
    nib.save(img, str(path))
    arr, _, _ = read_nifti_series(path)
    assert arr.dtype == np.float32 and arr.shape == (3, 5, 7, 9)
    assert np.array_equal(arr, _nibabel_zyxt(path))


def test_streamed_groups_of_frames_give_the_same_array(tmp_path: Path) -> None:
    data = np.random.default_rng(2).normal(size=(6, 4, 3, 11)).astype(np.float32)
    path = tmp_path / "s.nii.gz"
    nib.save(nib.Nifti1Image(data, np.eye(4)), str(path))
    img = nib.load(str(path))
    one = _stream_frames(img, path, group_bytes=1)  # one frame per group
    three = _stream_frames(img, path, group_bytes=3 * 6 * 4 * 3 * 4)
    assert np.array_equal(one, three) and np.array_equal(one, _nibabel_zyxt(path))


@pytest.mark.parametrize("threads", ["1", "2"])
def test_reading_ahead_gives_the_serial_array(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, threads: str) -> None:
    """With two threads the next group is inflated while this one is placed: the same array, and a cut file still names its frames."""
    data = (np.random.default_rng(4).random((6, 5, 3, 13)) * 900).astype(np.int16)
    path = tmp_path / "s.nii.gz"
    img = nib.Nifti1Image(data, np.eye(4))
    img.header.set_slope_inter(0.5, 3.0)
    nib.save(img, str(path))
    monkeypatch.setenv("STROKESEG_THREADS", threads)
    img = nib.load(str(path))
    assert np.array_equal(_stream_frames(img, path, group_bytes=2 * 6 * 5 * 3 * 2), _nibabel_zyxt(path))  # 7 groups
    raw = gzip.decompress(path.read_bytes())
    cut = tmp_path / "cut.nii"
    cut.write_bytes(raw[:-1])  # the last group (one frame) is short
    with pytest.raises(InputError, match="frames 12–12 of 13"):
        _stream_frames(nib.load(str(cut)), cut, group_bytes=2 * 6 * 5 * 3 * 2)


def test_truncated_series_names_the_frames(tmp_path: Path) -> None:
    data = np.ones((8, 8, 4, 10), np.int16)
    path = tmp_path / "s.nii"
    nib.save(nib.Nifti1Image(data, np.eye(4)), str(path))
    img = nib.load(str(path))
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) - 300])
    with pytest.raises(InputError, match="truncated"):
        _stream_frames(img, path)


def test_gzip_writes_are_standard_and_reproducible(tmp_path: Path) -> None:
    vol = np.random.default_rng(3).random((4, 6, 5)).astype(np.float32)
    a, b = tmp_path / "a.nii.gz", tmp_path / "b.nii.gz"
    write_nifti(a, vol, isotropic(vol.shape, 2.0))
    write_nifti(b, vol, isotropic(vol.shape, 2.0))
    assert a.read_bytes() == b.read_bytes()  # header time 0
    assert gzip.decompress(a.read_bytes())[:4] == (348).to_bytes(4, "little")  # the stdlib reads it: a NIfTI-1 header
    back, geom = read_nifti(a)
    assert np.array_equal(back, vol) and geom.spacing == (2.0, 2.0, 2.0)
    assert np.array_equal(np.asanyarray(nib.load(str(a)).dataobj).transpose(2, 1, 0), vol)
    assert gzipio.BACKEND in ("isal", "zlib")


def test_label_files_read_as_integers_map_like_floats(tmp_path: Path) -> None:
    """A uint8/int16 label file keeps its integers and maps through the lookup table to the same canonical labels."""
    from strokeseg.io.labels import apply_label_map
    from strokeseg.io.read import read_image

    lab = np.random.default_rng(4).integers(0, 4, size=(5, 9, 7)).astype(np.uint8)
    for dtype in (np.uint8, np.int16):
        path = tmp_path / f"lab_{np.dtype(dtype).name}.nii.gz"
        write_nifti(path, lab.astype(dtype), isotropic(lab.shape))
        vol = read_image(path, integers=True)
        assert vol.array.dtype == dtype
        as_int = apply_label_map(vol.array, {0: 0, 1: 2, 2: 1})
        as_float = apply_label_map(read_image(path).array, {0: 0, 1: 2, 2: 1})
        assert np.array_equal(as_int[0], as_float[0]) and as_int[1] == as_float[1] == {3}
