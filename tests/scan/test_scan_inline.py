"""scan_inline_one_step: a scan with n_steps the constant 1 becomes its body in the outer graph,
with the loop's results, shapes, errors and random draws (on by default in FAST_RUN; each test
compares with the same graph compiled without it, where the loop stays a scan)."""
from __future__ import annotations

import numpy as np
import pytest

import framework
import framework.tensor as T
from framework import Mode, function, shared
from framework.core.errors import ShapeError
from framework.core.scan import Scan
from framework.random import RandomStreams
from framework.scan_module import scan, until

INLINE = Mode("fast_run", including=["scan_inline_one_step"])
LOOP = Mode("fast_run", excluding=["scan_inline_one_step"])


def n_scans(f):
    return sum(isinstance(n.op, Scan) for n in f.maker.fgraph.toposort())


def both(inputs, outputs, **kw):
    f = function(inputs, outputs, mode=INLINE, **kw)
    g = function(inputs, outputs, mode=LOOP, **kw)
    return f, g


def test_values_and_shapes_of_every_kind_of_output():
    x0 = T.dvector("x0")
    W = T.dmatrix("W")
    acc = shared(np.zeros(3), name="acc")
    (h, side, fib), upd = scan(lambda h, a, b, W: ([T.tanh(T.dot(h, W)), T.exp(h), a + b * 0.5], {acc: acc + h}),
                               outputs_info=[x0, None, dict(initial=T.stack([x0, x0 * 2]), taps=[-2, -1])],
                               non_sequences=W, n_steps=1)
    outs = [h, side, fib, h[-1], side[-1:], fib[0]]
    f, g = both([x0, W], outs, updates=upd)
    assert n_scans(f) == 0 and n_scans(g) == 1
    rng = np.random.RandomState(0)
    xv, Wv = rng.randn(3), rng.randn(3, 3)
    got = f(xv, Wv)
    after_f = acc.get_value()
    acc.set_value(np.zeros(3))
    want = g(xv, Wv)
    for a, b in zip(got, want):
        assert a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(after_f, acc.get_value())


def test_random_draws_are_the_same_numbers_in_the_same_order():
    results = []
    for mode in (INLINE, LOOP):
        srng = RandomStreams(123)
        v0 = T.dmatrix("v0")
        W = shared(np.random.RandomState(1).randn(4, 3), name="W")

        def gibbs(v):
            h = srng.binomial(size=(v.shape[0], 3), p=T.nnet.sigmoid(T.dot(v, W)), dtype="float64")
            noise = srng.normal(size=v.shape)
            return [h, srng.binomial(size=v.shape, p=T.nnet.sigmoid(T.dot(h, W.T) + noise), dtype="float64")]

        (hs, vs), upd = scan(gibbs, outputs_info=[None, v0], n_steps=1)
        f = function([v0], [hs[-1], vs[-1]], updates=upd, mode=mode)
        assert n_scans(f) == (0 if mode is INLINE else 1)
        data = np.random.RandomState(2).rand(5, 4)
        results.append([f(data) for _ in range(3)])
    for a, b in zip(*results):
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)


def test_a_carry_that_changes_shape_fails_the_same_way():
    h0 = T.dvector("h0")
    n = T.lscalar("n")
    r, _ = scan(lambda h, n: T.ones((n,)) * h.sum(), outputs_info=h0, non_sequences=n, n_steps=1)
    f, g = both([h0, n], r)
    assert n_scans(f) == 0
    np.testing.assert_array_equal(f(np.ones(2), 2), g(np.ones(2), 2))
    for fn in (f, g):
        with pytest.raises(ShapeError):
            fn(np.ones(2), 3)


def test_left_alone_where_the_loop_could_fail_differently():
    X = T.dmatrix("X")
    h0 = T.dvector("h0")
    r, _ = scan(lambda x, h: h + x, sequences=X, outputs_info=h0, n_steps=1)  # X may have no rows
    assert n_scans(function([X, h0], r, mode=INLINE)) == 1
    with pytest.raises(ShapeError):
        function([X, h0], r, mode=INLINE)(np.ones((0, 2)), np.ones(2))
    s, _ = scan(lambda h: (h * 2, until(h.sum() > 0)), outputs_info=h0, n_steps=1)
    assert n_scans(function([h0], s, mode=INLINE)) == 1
    k, _ = scan(lambda h: h * 2, outputs_info=h0, n_steps=2)
    assert n_scans(function([h0], k, mode=INLINE)) == 1


def test_a_sequence_of_known_length_is_read_at_row_0():
    x = T.dvector("x")
    seq = T.stack([x, x * 3])  # 2 rows, known when building
    r, _ = scan(lambda row, h: h * row, sequences=seq, outputs_info=x, n_steps=1)
    f, g = both([x], r)
    assert n_scans(f) == 0
    np.testing.assert_array_equal(f([1.0, 2.0]), g([1.0, 2.0]))


def test_the_rbm_cd1_step_is_the_same_with_the_inlined_chain():
    from framework.models import RBM

    data = (np.random.RandomState(3).rand(6, 9) > 0.5).astype(framework.config.floatX)
    results = []
    for mode in (INLINE, LOOP):
        x = T.matrix("x")
        rbm = RBM(input=x, n_visible=9, n_hidden=5, numpy_rng=np.random.RandomState(4),
                  theano_rng=RandomStreams(5))
        cost, updates = rbm.get_cost_updates(lr=0.1, k=1)
        train = function([x], cost, updates=updates, mode=mode)
        assert n_scans(train) == (0 if mode is INLINE else 1)
        costs = [train(data) for _ in range(3)]
        results.append((costs, [p.get_value() for p in rbm.params]))
    (ca, pa), (cb, pb) = results
    np.testing.assert_array_equal(ca, cb)  # bit for bit: the same ops on the same values
    for a, b in zip(pa, pb):
        np.testing.assert_array_equal(a, b)
