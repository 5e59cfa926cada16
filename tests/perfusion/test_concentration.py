import numpy as np
import pytest

from strokeseg.errors import InputError
from strokeseg.perfusion.concentration import baseline_slice, ct_concentration, detect_bolus_arrival, mr_concentration


def test_bolus_arrival_ct_and_mr():
    t = np.arange(40.0)
    rise = np.clip(t - 9, 0, None) ** 2 * np.exp(-(t - 9) / 3) * (t >= 9)
    assert detect_bolus_arrival(30 + 2 * rise) == 10
    assert detect_bolus_arrival(1000 - 50 * rise) == 10  # MR: signal drops
    assert baseline_slice(40, 10) == slice(0, 9)
    with pytest.raises(InputError, match="baseline frame"):
        baseline_slice(40, 2, skip=2, baseline_frames=1)


def test_ct_and_mr_concentration():
    sig = np.array([[30.0, 30.0, 50.0, 40.0]])
    np.testing.assert_allclose(ct_concentration(sig, slice(0, 2)), [[0, 0, 20, 10]])
    s = np.array([[1000.0, 1000.0, 500.0]])
    np.testing.assert_allclose(mr_concentration(s, slice(0, 2), 0.03), [[0, 0, np.log(2) / 0.03]], rtol=1e-5)
