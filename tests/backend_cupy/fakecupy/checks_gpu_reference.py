"""Run on the CuPy stand-in (tests/backend_cupy/test_gpu_reference.py): bench/gpu_rbm.py's
careful hand-written CuPy step computes what the plain NumPy transcription of the
tutorial's PCD-15 step computes, fed the same uniforms (issue 16: a fast reference
must still be the same work)."""
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "bench"))

import cupy  # noqa: E402  (the stand-in)
from gpu_rbm import CarefulCupyRBM, make_data  # noqa: E402
from numpy_rbm import NaiveRBM  # noqa: E402


def test_careful_cupy_step_equals_the_plain_transcription():
    B = 20
    rs = np.random.RandomState(5)
    drawn = []

    def uniforms(shape):
        u = rs.random_sample(shape).astype("float32")
        drawn.append(u)
        return cupy.asarray(u)

    plain = NaiveRBM(784, 500, B, persistent=True)
    careful = CarefulCupyRBM(cupy, B, uniforms=uniforms)
    data = make_data(3 * B)
    for i in range(3):
        x = data[i * B:(i + 1) * B]
        drawn.clear()
        got = careful.step(cupy.asarray(x))
        replay = iter(list(drawn))
        want = plain.step(x, lambda shape: next(replay), lr=0.1, k=15)
        assert len(drawn) == 30
        assert abs(got - want) <= 1e-5 * abs(want), (i, got, want)
    assert np.array_equal(cupy.asnumpy(careful.chain), plain.chain)
    np.testing.assert_allclose(cupy.asnumpy(careful.W), plain.W, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(cupy.asnumpy(careful.hbias), plain.hbias, atol=1e-6)
    np.testing.assert_allclose(cupy.asnumpy(careful.vbias), plain.vbias, atol=1e-6)
