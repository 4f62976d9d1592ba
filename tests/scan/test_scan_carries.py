"""The loop has one kind of state, the carry (issue 18): several taps of an output are carries
of its past values, random states and shared updates are carries. Gradients through those carries against
finite differences; O(1) memory when only the last step is read; a new kind of state built on
the op alone."""
from __future__ import annotations

import numpy as np
import pytest

import framework.tensor as T
from framework import function
from framework.core.scan import InnerGraph, Scan
from framework.random import RandomStreams
from framework.scan_module import scan

from test_scan_memory import peak_bytes  # pytest puts tests/scan (no __init__.py) on sys.path


def numeric_grad(f, x, eps=1e-6):
    """Central differences of the scalar f at x (a float64 array)."""
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        d = np.zeros_like(x)
        d[i] = eps
        g[i] = (f(x + d) - f(x - d)) / (2 * eps)
    return g


def scan_nodes(f):
    return [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Scan)]


# --- gradients through multi-tap outputs ----------------------------------------------------------

@pytest.mark.parametrize("taps", [[-2, -1], [-3, -1], [-1, -3, -2]])
def test_grad_through_a_multi_tap_output_matches_finite_differences(taps):
    rng = np.random.RandomState(len(taps) - taps[0])
    lag = -min(taps)
    x0 = T.dmatrix("x0")
    w = T.dvector("w")
    X = T.dmatrix("X")

    def step(x_t, *args):
        *past, w = args
        return T.tanh(sum((k + 1) * 0.4 * p for k, p in enumerate(past)) * w + x_t)

    r, _ = scan(step, sequences=X, outputs_info=dict(initial=x0, taps=taps), non_sequences=w)
    cost = (r ** 2).sum() + r[-1].sum() * 3.0
    f = function([x0, w, X], [cost] + T.grad(cost, [x0, w, X]))
    cost_of = function([x0, w, X], cost)
    v0, vw, vX = rng.randn(lag + 1, 3), rng.randn(3), rng.randn(6, 3)  # x0 has a row more than the taps need
    _, g0, gw, gX = f(v0, vw, vX)
    np.testing.assert_allclose(g0, numeric_grad(lambda a: cost_of(a, vw, vX), v0), rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(gw, numeric_grad(lambda a: cost_of(v0, a, vX), vw), rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(gX, numeric_grad(lambda a: cost_of(v0, vw, a), vX), rtol=1e-5, atol=1e-8)
    assert not g0[lag:].any()  # rows the taps never read get no gradient


def test_grad_through_a_multi_tap_output_read_only_at_its_last_step():
    rng = np.random.RandomState(3)
    x0 = T.dvector("x0")
    c = T.dscalar("c")
    fib, _ = scan(lambda a, b, c: a * c + T.sin(b), outputs_info=dict(initial=x0, taps=[-2, -1]),
                  non_sequences=c, n_steps=7)
    cost = fib[-1]
    f = function([x0, c], T.grad(cost, [x0, c]))
    cost_of = function([x0, c], cost)
    v0, vc = rng.rand(2), np.float64(0.7)
    g0, gc = f(v0, vc)
    np.testing.assert_allclose(g0, numeric_grad(lambda a: cost_of(a, vc), v0), rtol=1e-5, atol=1e-9)
    assert gc == pytest.approx(numeric_grad(lambda a: cost_of(v0, a), np.asarray(vc)), rel=1e-5)


# --- gradients through random draws in the body ------------------------------------------------

def replayed(fn, rng_vars):
    """``fn`` evaluated from the generator states the streams have now (restored before each call)."""
    states = [r.get_value().get_state() for r in rng_vars]

    def at(*args):
        for r, s in zip(rng_vars, states):
            g = r.get_value()
            g.set_state(s)
            r.set_value(g)
        return fn(*args)

    return at


def test_grad_through_normal_and_uniform_draws_matches_finite_differences():
    srng = RandomStreams(7)
    W = T.dmatrix("W")
    s = T.dscalar("s")
    h0 = T.dvector("h0")

    def step(h, W, s):
        noise = srng.normal(size=h.shape) * s
        gate = srng.uniform(size=h.shape, low=0.5, high=1.5)
        return T.tanh(T.dot(h * gate, W) + noise)

    hs, upd = scan(step, outputs_info=h0, non_sequences=[W, s], n_steps=5)
    cost = (hs ** 2).sum() + hs[-1].sum()
    f = function([h0, W, s], T.grad(cost, [h0, W, s]), no_default_updates=True)
    cost_of = replayed(function([h0, W, s], cost, no_default_updates=True), list(upd))
    rng = np.random.RandomState(0)
    vh, vW, vs = rng.randn(3), rng.randn(3, 3) * 0.5, np.float64(0.3)
    gh, gW, gs = replayed(f, list(upd))(vh, vW, vs)
    np.testing.assert_allclose(gh, numeric_grad(lambda a: cost_of(a, vW, vs), vh), rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(gW, numeric_grad(lambda a: cost_of(vh, a, vs), vW), rtol=1e-5, atol=1e-8)
    assert gs == pytest.approx(numeric_grad(lambda a: cost_of(vh, vW, a), np.asarray(vs)), rel=1e-5)


def test_grad_through_draws_and_a_multi_tap_output_together():
    srng = RandomStreams(11)
    x0 = T.dmatrix("x0")
    w = T.dvector("w")

    def step(a, b, w):
        return T.tanh(a * w + b * srng.uniform(size=b.shape, low=0.2, high=1.0))

    r, upd = scan(step, outputs_info=dict(initial=x0, taps=[-2, -1]), non_sequences=w, n_steps=5)
    cost = (r * r).sum()
    f = function([x0, w], T.grad(cost, [x0, w]), no_default_updates=True)
    cost_of = replayed(function([x0, w], cost, no_default_updates=True), list(upd))
    rng = np.random.RandomState(2)
    v0, vw = rng.randn(2, 4), rng.randn(4)
    g0, gw = replayed(f, list(upd))(v0, vw)
    np.testing.assert_allclose(g0, numeric_grad(lambda a: cost_of(a, vw), v0), rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(gw, numeric_grad(lambda a: cost_of(v0, a), vw), rtol=1e-5, atol=1e-8)


# --- memory: reading only the last step stores O(1) steps -------------------------------------------

N = 20_000  # one state: 160 kB


def last_step_functions(steps):
    """A traced carry, a per-step output, a multi-tap output and a shared update, each read at its last step."""
    from framework import shared

    x0 = T.dvector("x0")
    acc = shared(np.zeros(N), name="acc")
    (h, side, fib), upd = scan(lambda h, a, b: ([h * 0.5 + 1.0, T.exp(-h), a * 0.3 + b * 0.6], {acc: acc + h}),
                               outputs_info=[x0, None, dict(initial=T.stack([x0, x0]), taps=[-2, -1])],
                               n_steps=steps)
    return function([x0], [h[-1], side[-1], fib[-1]], updates=upd), acc


@pytest.mark.parametrize("steps", [10, 400])
def test_last_step_only_outputs_stay_constant_in_memory(steps):
    state = np.zeros(N)
    f, acc = last_step_functions(steps)
    (node,) = scan_nodes(f)
    assert node.op.keep == (1, 1, 1)
    peak = peak_bytes(f, state)
    # a handful of states (carries, the step's values, the results), never one per step
    assert peak < 40 * state.nbytes, (steps, peak / state.nbytes)
    h, side, fib = f(state)
    assert np.allclose(h, 2.0 - 2.0 ** (1 - steps))


def test_last_step_memory_does_not_grow_with_the_number_of_steps():
    state = np.zeros(N)
    short = peak_bytes(last_step_functions(10)[0], state)
    long = peak_bytes(last_step_functions(1000)[0], state)
    assert long < short + 4 * state.nbytes, (short / state.nbytes, long / state.nbytes)


# --- a new kind of state is one change in one place -----------------------------------------------

def scan_backwards_by_index(fn, X, h0, W):
    """``go_backwards`` as a new kind of state: an index carry counting down, the body reading
    ``X[i]``. This helper is the whole change -- the loop, its gradient and the memory rewrites
    take it as they take any carry (docs/architecture.md, "Scan: one carry loop")."""
    h, i, x, w = h0.type("h[t-1]"), T.lscalar("i"), X.type("X"), W.type("W")
    inner = InnerGraph([h, i, x, w], [fn(x[i], h, w), i - 1])
    op = Scan(inner, n_seqs=0, n_rec=1, n_nonrec=0, n_state=1, n_nonseqs=2, label="backwards")
    return op.make_node(X.shape[0], h0, X.shape[0] - 1, X, W).outputs[0]


def test_a_new_kind_of_state_needs_no_change_to_the_loop_grad_or_rewrites():
    X = T.dmatrix("X")
    h0 = T.dvector("h0")
    W = T.dmatrix("W")

    def body(x_t, h, W):
        return T.tanh(T.dot(h, W) + x_t)

    by_index = scan_backwards_by_index(body, X, h0, W)
    reference, _ = scan(body, sequences=X, outputs_info=h0, non_sequences=W, go_backwards=True)
    rng = np.random.RandomState(5)
    vX, vh, vW = rng.randn(6, 3), rng.randn(3), rng.randn(3, 3) * 0.5
    ins = [X, h0, W]
    np.testing.assert_allclose(function(ins, by_index)(vX, vh, vW), function(ins, reference)(vX, vh, vW),
                               rtol=1e-12)
    cost, ref_cost = by_index[-1].sum() + (by_index ** 2).sum(), reference[-1].sum() + (reference ** 2).sum()
    got = function(ins, T.grad(cost, ins))(vX, vh, vW)
    want = function(ins, T.grad(ref_cost, ins))(vX, vh, vW)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    f_last = function(ins, by_index[-1])
    assert scan_nodes(f_last)[0].op.keep == (1,)
    np.testing.assert_allclose(f_last(vX, vh, vW), function(ins, reference[-1])(vX, vh, vW), rtol=1e-12)


def test_an_initial_value_with_too_few_rows_for_the_taps_is_refused_naming_it():
    from framework.core.errors import ShapeError
    from framework.scan_module import ScanError

    x0 = T.dvector("x0")
    r, _ = scan(lambda a, b: a + b, outputs_info=dict(initial=x0, taps=[-3, -1]), n_steps=4)
    f = function([x0], r)
    np.testing.assert_array_equal(f([1.0, 2.0, 3.0, 99.0]), [4.0, 6.0, 9.0, 13.0])  # rows past the taps' are unused
    with pytest.raises(ShapeError, match=r"outputs_info\[0\] \(taps \[-3, -1\] need 3 rows\)"):
        f([1.0, 2.0])
    with pytest.raises(ScanError, match="need 3 rows"):
        scan(lambda a, b: a + b, outputs_info=dict(initial=T.zeros((2,)), taps=[-3, -1]), n_steps=4)
