"""A failed call stores nothing -- generator states included.

FAST_RUN's draws advance a shared state in place (``random_inplace``, ``advance_inplace``, a
loop's ``rng_inplace``), FAST_COMPILE's advance a copy that only the (never reached) update
would store. So a call failing after a draw once left the stream advanced in FAST_RUN only:
the next call drew other numbers than in FAST_COMPILE (found by the random-graph fuzzer,
tests/fuzz/test_random.py, once it compared the states). The linker now snapshots each such
state at the start of a call (``Op.rng_advanced``, ``Backend.rng_snapshots``) and the
function puts it back when the call fails."""
from __future__ import annotations

import numpy as np
import pytest

import framework.tensor as T
from framework import function, scan
from framework.random import RandomStreams
from framework.testing.streams import assert_same_state

MODES = ["FAST_RUN", "FAST_COMPILE"]


def states(srng):
    return [s for s, _ in srng.updates()]


def snapshot(srng):
    return [s.get_value() for s in states(srng)]


def assert_states(srng, saved):
    for s, v in zip(states(srng), saved):
        assert_same_state(s.get_value(borrow=True), v)


def draws_then_fails(streams, mode, dist):
    """A draw of ``dist``, then a product of its sample that fails for a ``b`` of the wrong size."""
    x = T.matrix("x")
    b = T.matrix("b")
    srng = streams(seed=7)
    if dist == "bernoulli":
        sample = srng.binomial(size=x.shape, n=1, p=T.nnet.sigmoid(x))
    elif dist == "normal":
        sample = srng.normal(size=x.shape)
    else:
        sample = srng.uniform(size=x.shape)
    first = srng.uniform(size=(3,))  # a second stream, drawn before the failure too
    f = function([x, b], [T.dot(sample, b), first * 2], mode=mode)
    return srng, f


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dist", ["bernoulli", "normal", "uniform"])
def test_a_failed_call_leaves_every_stream_as_it_was(streams, mode, dist):
    srng, f = draws_then_fails(streams, mode, dist)
    x = np.random.RandomState(0).randn(3, 5)  # 15 draws: an odd count leaves a half word / a Gaussian cached
    f(x, np.ones((5, 2)))
    before = snapshot(srng)
    held = [s.get_value(borrow=True) for s in states(srng)]
    with pytest.raises(ValueError):
        f(x, np.ones((4, 2)))  # the sample is (3, 5): the product fails after the draws
    assert_states(srng, before)
    if streams is RandomStreams:  # the native states are put back in place: the object a caller holds is the state
        assert all(s.get_value(borrow=True) is h for s, h in zip(states(srng), held))


@pytest.mark.parametrize("dist", ["bernoulli", "normal", "uniform"])
def test_the_modes_draw_the_same_numbers_after_a_failed_call(streams, dist):
    results = []
    for mode in MODES:
        srng, f = draws_then_fails(streams, mode, dist)
        x = np.random.RandomState(1).randn(3, 5)
        with pytest.raises(ValueError):
            f(x, np.ones((4, 2)))
        results.append(f(x, np.ones((5, 2))))
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_a_dead_draw_advanced_in_place_is_put_back():
    x = T.matrix("x", dtype="float32")
    b = T.matrix("b", dtype="float32")
    srng = RandomStreams(seed=3)
    srng.binomial(size=x.shape, n=1, p=T.nnet.sigmoid(x), dtype="float32")  # only advances its state
    kept = srng.uniform(size=x.shape, dtype="float32")
    f = function([x, b], T.dot(kept, b), updates=srng.updates())
    assert any(n.op.name == "random_advance" for n in f.maker.fgraph.toposort())
    x0 = np.zeros((2, 3), dtype="float32")
    before = snapshot(srng)
    with pytest.raises(ValueError):
        f(x0, np.ones((4, 1), dtype="float32"))
    assert_states(srng, before)


def test_a_loop_advancing_its_streams_in_place_is_put_back(streams):
    srng = streams(seed=11)
    x0 = T.vector("x0")
    b = T.matrix("b")

    def step(x):
        return x * 0.5 + srng.uniform(size=x.shape)

    out, upd = scan(step, outputs_info=[x0], n_steps=5)
    f = function([x0, b], T.dot(out[-1], b), updates=upd)
    assert any(getattr(n.op, "rng_inplace", ()) and any(n.op.rng_inplace) for n in f.maker.fgraph.toposort())
    loop_states = list(upd.keys())
    f(np.zeros(3), np.ones((3, 1)))
    before = [s.get_value() for s in loop_states]
    with pytest.raises(ValueError):
        f(np.zeros(3), np.ones((2, 1)))
    for s, v in zip(loop_states, before):
        assert_same_state(s.get_value(borrow=True), v)


def test_a_bad_input_fails_before_any_draw():
    x = T.matrix("x")
    srng = RandomStreams(seed=2)
    f = function([x], srng.uniform(size=x.shape) + x)
    f(np.zeros((2, 2)))
    before = snapshot(srng)
    with pytest.raises(Exception):
        f("not an array")
    assert_states(srng, before)
    after_good = f(np.zeros((2, 2)))  # and the stream goes on from where the last good call left it
    srng2 = RandomStreams(seed=2)
    g = function([x], srng2.uniform(size=x.shape) + x)
    g(np.zeros((2, 2)))
    np.testing.assert_array_equal(after_good, g(np.zeros((2, 2))))


def test_an_interrupt_mid_call_puts_the_streams_back():
    """Ctrl-C inside a call (a ``KeyboardInterrupt`` from a kernel after the draws): the streams
    are as before the call, so a training run that stops there and resumes from its checkpoint
    draws what an uninterrupted run draws."""
    x = T.matrix("x")
    srng = RandomStreams(seed=4)
    sample = srng.binomial(size=x.shape, n=1, p=T.nnet.sigmoid(x))
    f = function([x], T.exp(sample).sum())
    g = f._linked.run.__globals__
    last = max((k for k in g if k.startswith("k") and k[1:].isdigit()), key=lambda k: int(k[1:]))
    kernel = g[last]

    def interrupted(*args):
        raise KeyboardInterrupt

    before = snapshot(srng)
    g[last] = interrupted
    with pytest.raises(KeyboardInterrupt):
        f(np.zeros((3, 4)))
    assert_states(srng, before)
    g[last] = kernel
    f(np.zeros((3, 4)))  # and the function still works
