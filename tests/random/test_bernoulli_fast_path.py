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
