"""The NumPy backend lowers the Gibbs step's draw -- an in-place float32
``binomial(n=1, p)`` of ``p``'s shape -- to one function
(``random_draws.lower_bernoulli``). It must be the general draw exactly: the
same samples, the same state after, the same error for a bad ``p`` (with the
state untouched), and the general path for whatever it does not handle."""
from __future__ import annotations

import numpy as np
import pytest

import framework.tensor as T
from framework import function
from framework.core.backend import get_backend
from framework.testing.streams import assert_same_state


def lowered_kernels(f):
    return [k for k in f._linked.run.__globals__.values()
            if getattr(k, "__qualname__", "") == "lower_bernoulli.<locals>.kernel"]


def gibbs_like(streams, seed=4):
    """``binomial(size=p.shape, n=1, p=sigmoid(x))`` as the tutorial writes it, with the
    random state updated by the call (the draw runs in place)."""
    x = T.matrix("x", dtype="float32")
    srng = streams(seed=seed)
    mean = T.nnet.sigmoid(x)
    sample = srng.binomial(size=mean.shape, n=1, p=mean, dtype="float32")
    return x, srng, function([x], sample)


def test_the_tutorials_draw_is_lowered(streams):
    _, _, f = gibbs_like(streams)
    assert len(lowered_kernels(f)) == 1


@pytest.mark.parametrize("shape", [(20, 784), (3, 5), (1, 1), (7,)])
def test_same_samples_and_state_as_the_general_draw(streams, shape):
    x = T.tensor(dtype="float32", shape=(None,) * len(shape))
    srng = streams(seed=9)
    mean = T.nnet.sigmoid(x)
    f = function([x], srng.binomial(size=mean.shape, n=1, p=mean, dtype="float32"))
    assert lowered_kernels(f)
    backend = get_backend("cpu")
    rng_var = srng.updates()[0][0]
    values = np.random.RandomState(1).randn(*shape).astype("float32")
    for _ in range(3):
        before = backend.copy_rng(rng_var.get_value(borrow=True))
        sample = f(values)
        p = (1 / (1 + np.exp(-values))).astype("float32")
        _, expected = backend.draw(before, "bernoulli", None, (p,), "float32")
        np.testing.assert_array_equal(sample, expected)
        assert sample.dtype == np.float32
        assert_same_state(rng_var.get_value(borrow=True), before)


@pytest.mark.parametrize("bad", [np.nan, 1.5, -0.5])
def test_a_bad_p_raises_the_general_error_and_draws_nothing(streams, bad):
    p = T.matrix("p", dtype="float32")
    srng = streams(seed=2)
    f = function([p], srng.binomial(size=p.shape, n=1, p=p, dtype="float32"))
    assert lowered_kernels(f)
    rng_var = srng.updates()[0][0]
    good = np.full((4, 5), 0.5, dtype="float32")
    f(good)
    before = get_backend("cpu").copy_rng(rng_var.get_value(borrow=True))
    bad_p = good.copy()
    bad_p[1, 2] = bad
    with pytest.raises(ValueError, match="p < 0, p > 1 or p contains NaNs"):
        f(bad_p)
    assert_same_state(rng_var.get_value(borrow=True), before)


def test_an_empty_p_takes_the_general_path(streams):
    p = T.matrix("p", dtype="float32")
    srng = streams(seed=2)
    f = function([p], srng.binomial(size=p.shape, n=1, p=p, dtype="float32"))
    assert lowered_kernels(f)
    out = f(np.zeros((0, 3), dtype="float32"))
    assert out.shape == (0, 3) and out.dtype == np.float32


def test_float64_and_sized_draws_are_not_lowered(streams):
    p64 = T.matrix("p", dtype="float64")
    srng = streams(seed=2)
    assert not lowered_kernels(function([p64], srng.binomial(size=p64.shape, n=1, p=p64, dtype="float64")))
    p = T.matrix("p", dtype="float32")
    assert not lowered_kernels(function([p], srng.binomial(size=(2, 3, 4), n=1, p=p, dtype="float32")))
