"""The NumPy backend's inlined float32 Bernoulli draw (the RBM's case) gives exactly
what the general path gives: the same samples, state, error and state after it."""
from __future__ import annotations

import numpy as np
import pytest

from framework_backend_numpy.random_draws import _bernoulli, bernoulli_from

F32 = np.dtype("float32")


def state(g: np.random.Generator):
    s = g.bit_generator.state["state"]
    return s["key"].tobytes(), s["pos"]


@pytest.mark.parametrize("shape", [(20, 784), (1,), (3, 0), (5, 1, 2), (7, 3)])
def test_same_samples_and_state_as_the_general_path(shape):
    p = np.random.RandomState(len(shape)).rand(*shape).astype("float32")
    if p.size:
        p.flat[0], p.flat[-1] = 0.0, 1.0
    g1, g2 = (np.random.Generator(np.random.MT19937(3)) for _ in range(2))
    a = _bernoulli(g1, None, (p,), F32)
    b = bernoulli_from(g2.random, None, p, F32)
    assert a.dtype == b.dtype == F32 and a.shape == b.shape
    np.testing.assert_array_equal(a, b)
    assert state(g1) == state(g2)


@pytest.mark.parametrize("bad", [np.nan, -0.1, 1.1, np.inf])
def test_same_error_and_no_draw_for_a_bad_p(bad):
    p = np.full((4, 4), 0.5, "float32")
    p[2, 2] = bad
    for draw in (lambda g: _bernoulli(g, None, (p,), F32), lambda g: bernoulli_from(g.random, None, p, F32)):
        g = np.random.Generator(np.random.MT19937(3))
        before = state(g)
        with pytest.raises(ValueError, match="^p < 0, p > 1 or p contains NaNs$"):
            draw(g)
        assert state(g) == before


def pcg64_with(buffered: bool) -> np.random.Generator:
    """A PCG64 generator with (``buffered``) or without half a 64-bit word waiting in its buffer."""
    g = np.random.Generator(np.random.PCG64(11))
    g.random(3 if buffered else 4, dtype=np.float32)
    return g


@pytest.mark.parametrize("buffered", [False, True])
@pytest.mark.parametrize("shape", [(20, 784), (20, 500), (2,), (3,), (1,), (3, 0), (5, 1, 2), (7, 3), (4, 6)])
def test_pcg64_float32_uniforms_are_the_generators_own_bit_for_bit(shape, buffered):
    """The raw-word path (even sizes, nothing buffered) draws exactly what
    ``Generator.random(dtype=float32)`` draws and leaves exactly its state --
    including the unflagged buffer field that ``get_state`` shows."""
    from framework_backend_numpy.random_draws import _float32_uniforms

    g1, g2 = pcg64_with(buffered), pcg64_with(buffered)
    n = int(np.prod(shape))
    a = _float32_uniforms(g1, shape, n)
    b = g2.random(shape, dtype=np.float32)
    assert a.dtype == F32 and a.shape == b.shape
    np.testing.assert_array_equal(a, b)
    assert g1.bit_generator.state == g2.bit_generator.state
    # and the draws after it agree too
    np.testing.assert_array_equal(g1.random(5, dtype=np.float32), g2.random(5, dtype=np.float32))
    np.testing.assert_array_equal(g1.random(3), g2.random(3))


@pytest.mark.parametrize("shape", [(20, 784), (7, 3), (6,)])
def test_pcg64_bernoulli_and_uniform_match_the_generator(shape):
    """The Bernoulli and float32 uniform draws on PCG64 (the native streams) are
    ``Generator.random(float32)`` compared with ``p`` / scaled, as documented."""
    from framework_backend_numpy.random_draws import _uniform

    p = np.random.RandomState(2).rand(*shape).astype("float32")
    p.flat[0], p.flat[-1] = 0.0, 1.0
    for buffered in (False, True):
        g1, g2 = pcg64_with(buffered), pcg64_with(buffered)
        np.testing.assert_array_equal(_bernoulli(g1, None, (p,), F32), (g2.random(shape, dtype=np.float32) < p))
        assert g1.bit_generator.state == g2.bit_generator.state
        lo, hi = np.float32(-2), np.float32(3)
        u = _uniform(g1, shape, (lo, hi), F32)
        ref = g2.random(shape, dtype=np.float32) * np.float32(5) + lo
        np.testing.assert_array_equal(u, ref)
        assert g1.bit_generator.state == g2.bit_generator.state
