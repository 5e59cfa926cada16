"""apply_label_map: the lookup-table path equals the plain definition on every kind of input."""

import numpy as np
import pytest

from strokeseg.io.labels import NON_INTEGER, apply_label_map


def _reference(arr, label_map):
    ints = np.rint(np.asarray(arr, float)).astype(np.int64)
    out = np.zeros(ints.shape, np.uint8)
    for k, v in label_map.items():
        out[ints == k] = v
    unknown = {int(v) for v in np.unique(ints) if int(v) not in label_map}
    if np.asarray(arr).dtype.kind == "f" and np.any(np.abs(np.asarray(arr) - np.rint(arr)) > 1e-3):
        unknown.add(NON_INTEGER)
    return out, unknown


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.int32, np.float32, np.float64])
def test_lookup_equals_the_definition(dtype):
    rng = np.random.default_rng(0)
    arr = rng.integers(-2, 5, size=(4, 9, 7)).astype(dtype)
    if np.dtype(dtype).kind == "u":
        arr = np.abs(arr)
    lmap = {0: 0, 1: 2, 2: 1}
    got, unknown = apply_label_map(arr, lmap)
    want, want_unknown = _reference(arr, lmap)
    assert got.dtype == np.uint8 and np.array_equal(got, want) and unknown == want_unknown


def test_non_integer_and_huge_ranges():
    arr = np.array([0.0, 1.0, 1.5, 2.0])
    _, unknown = apply_label_map(arr, {0: 0, 1: 1, 2: 2})
    assert NON_INTEGER in unknown
    sparse = np.array([0, 1, 10_000_000], np.int64)
    got, unknown = apply_label_map(sparse, {0: 0, 1: 2})
    assert got.tolist() == [0, 2, 0] and unknown == {10_000_000}
    empty, unknown = apply_label_map(np.zeros((0,), np.uint8), {0: 0})
    assert empty.shape == (0,) and unknown == set()
