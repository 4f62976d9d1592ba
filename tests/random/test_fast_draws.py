"""Uniform and Bernoulli draws through a Generator on the RandomState's own bit
generator: the state stays a RandomState and replays exactly; the numbers are
documented (docs/random.md); ``binomial``'s ``p`` is checked in every mode."""
from __future__ import annotations

import numpy as np
import pytest

import framework
import framework.tensor as T
from framework import config, function
from framework.random import RandomStreams
from framework.testing.streams import assert_same_state

MODES = ["FAST_RUN", "FAST_COMPILE"]


# --- issue 10, item 2: p outside [0, 1] or NaN is an error in every mode ----------------

@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("bad", [1.5, -0.25, np.nan, np.inf])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_binomial_refuses_p_outside_unit_interval(streams, mode, bad, dtype):
    p = T.matrix("p", dtype=dtype)
    srng = streams(seed=3)
    f = function([p], srng.binomial(size=p.shape, n=1, p=p, dtype=dtype), mode=mode)
    good = np.full((4, 5), 0.5, dtype=dtype)
    f(good)
    bad_p = good.copy()
    bad_p[2, 3] = bad
    with pytest.raises(ValueError, match="p < 0, p > 1 or p (is|contains) NaN"):
        f(bad_p)


@pytest.mark.parametrize("mode", MODES)
def test_binomial_of_a_diverged_sigmoid_fails_instead_of_sampling_zeros(streams, mode):
    """The RBM's case: p = sigmoid(NaN) must not quietly draw zeros."""
    x = T.matrix("x", dtype="float32")
    srng = streams(seed=3)
    p = T.nnet.sigmoid(x)
    f = function([x], srng.binomial(size=p.shape, n=1, p=p, dtype="float32"), mode=mode)
    xv = np.zeros((3, 4), dtype="float32")
    assert f(xv).shape == (3, 4)
    xv[1, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        f(xv)


@pytest.mark.parametrize("mode", MODES)
def test_binomial_accepts_the_closed_interval(streams, mode):
    p = T.vector("p", dtype="float32")
    srng = streams(seed=3)
    f = function([p], srng.binomial(size=(1000, 3), n=1, p=p, dtype="float32"), mode=mode)
    out = f(np.array([0.0, 1.0, 0.5], dtype="float32"))
    assert out[:, 0].max() == 0 and out[:, 1].min() == 1
    assert 0.4 < out[:, 2].mean() < 0.6


# --- float32 uniforms: Generator speed, RandomState semantics ----------------------------

@pytest.mark.parametrize("mode", MODES)
def test_float32_uniform_numbers_are_the_documented_ones_in_every_mode(streams, mode):
    """Native: ``Generator.random(dtype=float32)`` on the state's own bit generator. Theano layer:
    ``RandomState.uniform``'s doubles cast to float32, as Theano 1.0 drew them."""
    srng = streams(seed=11)
    rv = srng.uniform((3, 5), dtype="float32")
    f = function([], rv, mode=mode)
    assert isinstance(rv.rng.get_value(), np.random.RandomState)
    ref = streams.reference_states(11, 1)[0]
    for _ in range(3):
        np.testing.assert_array_equal(f(), streams.uniform(ref, 0.0, 1.0, (3, 5), "float32"))
    if streams.theano:  # spelled out with NumPy alone: what Theano's RandomFunction('uniform') returned
        theano_rng = np.random.RandomState(int(np.random.RandomState(11).randint(2 ** 30)))
        srng.seed(11)
        np.testing.assert_array_equal(f(), theano_rng.uniform(0.0, 1.0, (3, 5)).astype("float32"))
        ref = theano_rng
    # the state advanced exactly as the reference's did
    assert_same_state(rv.rng.get_value(), ref)


@pytest.mark.parametrize("mode", MODES)
def test_float32_uniform_with_bounds(streams, mode):
    srng = streams(seed=11)
    f = function([], srng.uniform((2000,), low=-2.0, high=3.0, dtype="float32"), mode=mode)
    out = f()
    expected = streams.uniform(streams.reference_states(11, 1)[0], -2.0, 3.0, (2000,), "float32")
    np.testing.assert_array_equal(out, expected)
    assert out.dtype == np.float32 and out.min() >= -2.0 and out.max() <= 3.0


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dist", ["uniform", "bernoulli"])
def test_get_state_set_state_and_seed_replay_exactly(streams, mode, dist):
    srng = streams(seed=5)
    if dist == "uniform":
        rv = srng.uniform((4, 6), dtype="float32")
    else:
        rv = srng.binomial(size=(4, 6), n=1, p=np.float32(0.3), dtype="float32")
    f = function([], rv, mode=mode)
    f()
    state = rv.rng.get_value().get_state()
    a, b = f(), f()
    rng = rv.rng.get_value(borrow=True)
    rng.set_state(state)
    rv.rng.set_value(rng, borrow=True)
    np.testing.assert_array_equal(f(), a)
    np.testing.assert_array_equal(f(), b)
    # seeding the RandomState itself (the tutorial's rng_val.seed(89234))
    rng = rv.rng.get_value(borrow=True)
    rng.seed(89234)
    rv.rng.set_value(rng, borrow=True)
    c = f()
    rng.seed(89234)
    rv.rng.set_value(rng, borrow=True)
    np.testing.assert_array_equal(f(), c)
    # and the stream's seed()
    srng.seed(77)
    d = f()
    srng.seed(77)
    np.testing.assert_array_equal(f(), d)
    assert isinstance(rv.rng.get_value(), np.random.RandomState)


def test_float64_uniform_numbers_are_randomstate_numbers(streams):
    """float64 draws go through the Generator too, and give RandomState.uniform's very numbers."""
    with config.change_flags(floatX="float64"):
        srng = streams(seed=2)
        f = function([], [srng.uniform((3, 4)), srng.uniform((5,), low=-1.0, high=4.0)])
        r1, r2 = streams.reference_states(2, 2)
        u1, u2 = f()
        np.testing.assert_array_equal(u1, r1.uniform(0.0, 1.0, (3, 4)))
        np.testing.assert_array_equal(u2, r2.uniform(-1.0, 4.0, (5,)))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("p_dtype", ["float32", "float64"])
def test_bernoulli_numbers_are_the_documented_ones_in_every_mode(streams, mode, p_dtype):
    """binomial(n=1, p): ``uniform < p`` (uniforms in p's precision) on the native streams,
    ``RandomState.binomial(1, p)`` -- Theano's numbers -- on the Theano layer; FAST_COMPILE
    (a binomial node) and FAST_RUN (made a bernoulli node by ``binomial_to_uniform``) alike."""
    srng = streams(seed=9)
    p = T.matrix("p", dtype=p_dtype)
    f = function([p], [srng.binomial(size=p.shape, n=1, p=p, dtype="float32"),
                       srng.binomial(size=(2, 6, 7), n=1, p=p), srng.binomial(n=1, p=0.25, size=(9,))], mode=mode)
    pv = np.random.RandomState(0).rand(6, 7).astype(p_dtype)
    r1, r2, r3 = streams.reference_states(9, 3)
    for _ in range(2):
        a, b, c = f(pv)
        np.testing.assert_array_equal(a, streams.bernoulli(r1, pv).astype("float32"))
        np.testing.assert_array_equal(b, streams.bernoulli(r2, pv, (2, 6, 7)).astype("int64"))
        np.testing.assert_array_equal(c, streams.bernoulli(r3, np.float64(0.25), (9,)).astype("int64"))
        assert a.dtype == np.float32 and b.dtype == np.int64


def test_binomial_with_n_other_than_one_draws_numpys_binomial(streams):
    srng = streams(seed=4)
    p = T.vector("p")
    f = function([p], srng.binomial(size=(3, 4), n=3, p=p))
    pv = np.array([0.1, 0.5, 0.9, 0.3])
    (ref,) = streams.reference_states(4, 1)
    np.testing.assert_array_equal(f(pv), ref.binomial(3, pv, (3, 4)))


def test_a_user_state_draws_its_own_kind_of_numbers(streams):
    """A state set to a Generator draws the fast numbers from it; one set to NumPy's own RandomState
    class (whatever its bit generator) draws RandomState's numbers, as the Theano layer's do."""
    srng = streams(seed=1)
    rv = srng.uniform((3,), dtype="float32")
    f = function([], rv)
    rv.rng.set_value(np.random.Generator(np.random.PCG64(4)), borrow=True)
    np.testing.assert_array_equal(f(), np.random.Generator(np.random.PCG64(4)).random(3, dtype=np.float32))
    rv.rng.set_value(np.random.RandomState(np.random.PCG64(4)), borrow=True)
    expected = np.random.RandomState(np.random.PCG64(4)).uniform(size=3).astype(np.float32)
    np.testing.assert_array_equal(f(), expected)
