"""``dead_draw``: a draw whose sample nothing reads, whose new state is used, only advances its
state (``RandomAdvance``; the NumPy backend moves a PCG64 state on without drawing). Nothing a
user can see may change: the state after each call (the whole ``state`` dict), every later
number, the checks of the parameters and their errors, with the state untouched by a failed
call -- on the native streams (the fast path) and the Theano layer's (the general path)."""
from __future__ import annotations

import numpy as np
import pytest

import framework.tensor as T
from framework import Mode, function, scan
from framework.random import RandomState, RandomStreams
from framework.testing.streams import assert_same_state

from framework_backend_numpy.random_draws import _skip_float32_uniforms

WITHOUT = Mode("fast_run", excluding=["dead_draw"])


def ops(f):
    return [n.op.name for n in f.maker.fgraph.toposort()]


@pytest.mark.parametrize("start", [0, 1, 2, 3])
@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 10000, 10001, 15680])
def test_skipping_leaves_the_state_drawing_leaves(start, n):
    drawn, skipped = np.random.PCG64(77), np.random.PCG64(77)
    for bits in (drawn, skipped):  # leave half a word buffered (odd start) or none
        np.random.Generator(bits).random(start, dtype=np.float32)
    np.random.Generator(drawn).random(n, dtype=np.float32)
    _skip_float32_uniforms(RandomState(skipped), n)
    assert drawn.state == skipped.state  # the buffered half and its stale copy included
    np.testing.assert_array_equal(np.random.Generator(drawn).random(7, dtype=np.float32),
                                  np.random.Generator(skipped).random(7, dtype=np.float32))


def test_skipping_again_after_set_state_and_a_new_bit_generator():
    """The kernel keeps a Generator and the buffer flag's address on the state object: skips after
    ``set_state`` (same kind: the same bit generator, rewound) and after a switch to MT19937 and
    back (a new PCG64 object) still leave what drawing leaves."""
    ours, plain = RandomState(3), np.random.Generator(np.random.PCG64(3))
    for n in (5, 4, 7, 10001):
        _skip_float32_uniforms(ours, n)
        plain.random(n, dtype=np.float32)
        assert ours.get_state() == {**plain.bit_generator.state, "has_gauss": 0, "gauss": 0.0}
    rewound = np.random.PCG64(9)
    np.random.Generator(rewound).random(1, dtype=np.float32)  # a buffered half
    ours.set_state({**rewound.state, "has_gauss": 0, "gauss": 0.0})
    ours.set_state(np.random.RandomState(1).get_state())  # MT19937: another bit generator
    ours.set_state({**rewound.state, "has_gauss": 0, "gauss": 0.0})  # PCG64 again: a new object
    _skip_float32_uniforms(ours, 6)
    np.random.Generator(rewound).random(6, dtype=np.float32)
    assert ours._bit_generator.state == rewound.state


def chain(streams, seed=5):
    """Two Gibbs half-steps whose second sample is dropped: only its state update is kept
    (the tutorial's CD-1 draws its last hidden sample this way)."""
    x = T.matrix("x", dtype="float32")
    W = T.matrix("W", dtype="float32")
    srng = streams(seed=seed)
    h = srng.binomial(size=x.shape, n=1, p=T.nnet.sigmoid(x), dtype="float32")
    v_mean = T.nnet.sigmoid(T.dot(h, W))
    srng.binomial(size=v_mean.shape, n=1, p=v_mean, dtype="float32")  # dead: only advances
    return [x, W], srng, v_mean


@pytest.mark.parametrize("shape", [(20, 500, 784), (3, 5, 7), (1, 1, 1), (2, 3, 1)])
def test_the_same_numbers_and_states_as_drawing(streams, shape):
    b, n, m = shape
    ins, srng, out = chain(streams)
    f = function(ins, out, updates=srng.updates())
    assert "random_advance" in ops(f)
    ins2, srng2, out2 = chain(streams)
    g = function(ins2, out2, updates=srng2.updates(), mode=WITHOUT)
    assert "random_advance" not in ops(g)
    rng = np.random.RandomState(0)
    W = rng.randn(n, m).astype("float32")
    for step in range(4):  # the states carry over: a wrong advance shows in every later call
        x = rng.randn(b, n).astype("float32")
        np.testing.assert_array_equal(f(x, W), g(x, W))
        for (s1, _), (s2, _) in zip(srng.updates(), srng2.updates()):
            assert_same_state(s1.get_value(borrow=True), s2.get_value(borrow=True))


@pytest.mark.parametrize("bad", [np.nan, 1.5, -0.5])
def test_a_bad_p_raises_as_the_draw_does_and_leaves_the_state(streams, bad):
    p = T.matrix("p", dtype="float32")
    srng = streams(seed=3)
    srng.binomial(size=p.shape, n=1, p=p, dtype="float32")  # sample unused
    f = function([p], p.sum(), updates=srng.updates())
    assert "random_advance" in ops(f)
    g = function([p], p.sum(), updates=srng.updates(), mode=WITHOUT)
    state = srng.updates()[0][0]
    values = np.full((4, 6), 0.5, dtype="float32")
    f(values)
    before = state.get_value()
    values[1, 2] = bad
    with pytest.raises(ValueError) as with_rewrite:
        f(values)
    assert_same_state(state.get_value(borrow=True), before)
    with pytest.raises(ValueError) as without_rewrite:
        g(values)
    # the same error, naming the draw the user wrote (the rewritten node only marks that it made no sample)
    first = str(with_rewrite.value).splitlines()[0]
    assert first.replace(", state only", "") == str(without_rewrite.value).splitlines()[0]
    assert "random_bernoulli" in first and "test_dead_draw.py" in str(with_rewrite.value)
    assert_same_state(state.get_value(borrow=True), before)


def test_a_bounded_p_with_a_nan_raises_too():
    """A sigmoid's ``p`` is checked for NaN only (its bounds say [0, 1]): a NaN must still raise."""
    x = T.matrix("x", dtype="float32")
    srng = RandomStreams(seed=1)
    srng.binomial(size=x.shape, n=1, p=T.nnet.sigmoid(x), dtype="float32")
    f = function([x], x.sum(), updates=srng.updates())
    assert "random_advance" in ops(f)
    with pytest.raises(ValueError, match="NaN"):
        f(np.array([[0.0, np.nan]], dtype="float32"))


def test_a_state_read_afterwards_is_advanced_on_a_copy():
    """The dead draw's new state feeds another draw (not the update): it is not advanced in
    place, and the second draw sees the state the first would have left."""
    p = T.vector("p", dtype="float32")
    srng = RandomStreams(seed=8)
    first = srng.binomial(size=p.shape, n=1, p=p, dtype="float32")
    from framework.core.random_ops import make_random

    _, second = make_random("bernoulli", first.owner.outputs[0], None, [p], "float32")  # reads the first's new state
    f = function([p], second, no_default_updates=True)
    g = function([p], second, no_default_updates=True, mode=WITHOUT)
    assert "random_advance" in ops(f)
    values = np.linspace(0, 1, 9).astype("float32")
    state = first.owner.inputs[0]
    before = state.get_value()
    np.testing.assert_array_equal(f(values), g(values))
    assert_same_state(state.get_value(borrow=True), before)  # no update: the shared state is untouched


@pytest.mark.parametrize("dist", ["uniform", "normal"])
def test_other_draws_advance_as_drawing_does(dist):
    x = T.vector("x")
    srng = RandomStreams(seed=11)
    getattr(srng, dist)(size=(5, 3))  # sample unused
    f = function([x], x * 2, updates=srng.updates())
    g = function([x], x * 2, updates=srng.updates(), mode=WITHOUT)
    assert "random_advance" in ops(f)
    state = srng.updates()[0][0]
    start = state.get_value()
    f(np.ones(2))
    after_f = state.get_value()
    state.set_value(start)
    g(np.ones(2))
    assert_same_state(state.get_value(borrow=True), after_f)


def test_a_dead_draw_in_a_scan_body():
    srng = RandomStreams(seed=21)
    x0 = T.vector("x0", dtype="float32")

    def step(x):
        srng.binomial(size=x.shape, n=1, p=T.nnet.sigmoid(x), dtype="float32")  # sample unused
        kept = srng.uniform(size=x.shape, dtype="float32")
        return x * 0.5 + kept

    out, upd = scan(step, outputs_info=[x0], n_steps=6)
    f = function([x0], out[-1], updates=upd)
    g = function([x0], out[-1], updates=upd, mode=WITHOUT)
    states = [s for s, _ in upd.items()]
    start = [s.get_value() for s in states]
    a = f(np.zeros(4, dtype="float32"))
    after = [s.get_value() for s in states]
    for s, v in zip(states, start):
        s.set_value(v)
    b = g(np.zeros(4, dtype="float32"))
    np.testing.assert_array_equal(a, b)
    for s, v in zip(states, after):
        assert_same_state(s.get_value(borrow=True), v)


def test_a_sample_returned_to_the_caller_is_drawn():
    p = T.vector("p", dtype="float32")
    srng = RandomStreams(seed=2)
    s = srng.binomial(size=p.shape, n=1, p=p, dtype="float32")
    f = function([p], s, updates=srng.updates())
    assert "random_advance" not in ops(f)
