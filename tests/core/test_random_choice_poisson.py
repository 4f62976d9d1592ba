"""The native streams' ``poisson``, ``choice`` and ``shuffle_row_elements`` (PCG64 states): the state's
own NumPy draws, shapes while building and when run, replay through ``seed``, and NumPy's errors."""
from __future__ import annotations

import numpy as np
import pytest

import framework.tensor as T
from framework import function
from framework.random import RandomState, RandomStreams

MODES = ["FAST_RUN", "FAST_COMPILE"]


@pytest.mark.parametrize("mode", MODES)
def test_draws_are_the_states_own_and_replay(mode):
    srng = RandomStreams(99)
    lam = T.dvector("lam")
    x = T.dmatrix("x")
    shuffled = srng.shuffle_row_elements(x)
    outs = [srng.poisson(lam=lam), srng.poisson((2, 3), 1.5), srng.choice((4,), 6, replace=False),
            srng.choice((2, 2), np.array([5, 7, 9]), p=np.array([0.1, 0.1, 0.8])), srng.choice(), shuffled]
    f = function([lam, x], outs, mode=mode)
    lv, xv = np.array([0.5, 3.0, 40.0]), np.arange(8.0).reshape(2, 4)
    first = f(lv, xv)
    seeds = np.random.RandomState(99)
    states = [RandomState(int(seeds.randint(2 ** 30))) for _ in range(6)]
    perm = np.asarray([states[0].permutation(4) for _ in range(2)])  # shuffle_row_elements was made first
    want = [states[1].poisson(lv), states[2].poisson(1.5, (2, 3)), states[3].choice(6, (4,), False),
            states[4].choice([5, 7, 9], (2, 2), True, [0.1, 0.1, 0.8]), states[5].choice(2),
            np.take_along_axis(xv, perm, axis=-1)]
    for g, w in zip(first, want):
        np.testing.assert_array_equal(g, w)
    assert [np.shape(g) for g in first] == [(3,), (2, 3), (4,), (2, 2), (), (2, 4)]
    assert outs[2].type.shape == (4,) and outs[4].ndim == 0 and shuffled.permutation.ndim == 2
    srng.seed(99)
    for g, w in zip(f(lv, xv), first):
        np.testing.assert_array_equal(g, w)


def test_bad_parameters_are_numpys_errors():
    srng = RandomStreams(1)
    lam = T.dscalar("lam")
    f = function([lam], srng.poisson((3,), lam))
    with pytest.raises(ValueError, match="lam"):
        f(-1.0)
    g = function([], srng.choice((2,), 3, p=[0.5, 0.6, -0.1]))
    with pytest.raises(ValueError, match="probabilities"):
        g()
    with pytest.raises(TypeError, match="a must be a scalar or a vector"):
        srng.choice((2,), T.dmatrix())
