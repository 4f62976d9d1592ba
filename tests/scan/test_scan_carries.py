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
from framework.scan_module import scan, until

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


# --- a shift register renames, it does not copy ---------------------------------------------------
# The carry for tap -2 gets the old value of the carry for tap -1 (an inner input passed on) and
# the new value is returned twice (per-step output and newest carry): the loop renames those
# values instead of linking them as body outputs, which the linker would copy every step.

def taps_reference(x0, taps, steps, fn):
    """A multi-tap output by a plain NumPy loop: ``fn(*past values in the taps' order)``."""
    hist = list(x0[:-min(taps)])
    for _ in range(steps):
        hist.append(fn(*[hist[len(hist) + t] for t in taps]))
    return np.array(hist[-min(taps):]).reshape((steps,) + x0.shape[1:])


def weighted(*past):
    return sum((k + 1) * 0.3 * p for k, p in enumerate(past))


def owned(arrays, inputs):
    """No two arrays share memory, and none shares memory with an input."""
    for i, a in enumerate(arrays):
        assert not any(np.shares_memory(a, b) for b in arrays[i + 1:]), i
        assert not any(np.shares_memory(a, b) for b in inputs), i


@pytest.mark.parametrize("mode", ["FAST_RUN", "DEBUG"])
@pytest.mark.parametrize("taps", [[-2, -1], [-3, -1], [-1, -3, -2]])
def test_multi_tap_outputs_match_a_numpy_loop_and_copy_nothing_per_step(taps, mode):
    x0, n = T.dmatrix("x0"), T.iscalar("n")
    r, _ = scan(weighted, outputs_info=dict(initial=x0, taps=taps), n_steps=n)
    f_all, f_last, f_ring = (function([x0, n], o, mode=mode) for o in (r, r[-1], r[-2:]))
    v0 = np.arange(12.0).reshape(4, 3) / 10
    held = v0.copy()
    for steps in (0, 1, 2, 7):
        want = taps_reference(v0, taps, steps, weighted)
        got = f_all(v0, steps)
        np.testing.assert_allclose(got, want if steps else np.empty((0, 3)), rtol=1e-13)  # the body's row shape
        assert got.shape == (steps, 3)
        owned([got], [v0])
        if steps:
            np.testing.assert_allclose(f_last(v0, steps), want[-1], rtol=1e-13)
            owned([f_last(v0, steps)], [v0])
        if steps >= 2:
            np.testing.assert_allclose(f_ring(v0, steps), want[-2:], rtol=1e-13)
    np.testing.assert_array_equal(v0, held)  # the caller's initial value is never written
    if mode == "FAST_RUN":
        for f in (f_all, f_last, f_ring):
            (node,) = scan_nodes(f)
            body = node.op.compile_inner(f.maker.backend)
            assert body.n_body == 1 and "COPY" not in body.run.__source__  # y once, no carry passed on by a copy


@pytest.mark.parametrize("taps", [[-2, -1], [-3, -1]])
def test_multi_tap_outputs_with_a_sequence_and_until(taps):
    x0, X, lim = T.dmatrix("x0"), T.dmatrix("X"), T.dscalar("lim")

    def step(x, *past):
        y = x + weighted(*past)
        return y, until(y.sum() > lim)

    r, _ = scan(step, sequences=X, outputs_info=dict(initial=x0, taps=taps))
    f_all, f_last = function([x0, X, lim], r), function([x0, X, lim], [r[-1], r[-2:]])
    rng = np.random.RandomState(4)
    v0, vX = rng.rand(3, 3), rng.rand(8, 3)
    for limit in (-1.0, 6.0, 1e9):  # stops at step 0, somewhere in the middle, never
        hist, want = list(v0[:-min(taps)]), []
        for x in vX:
            y = x + weighted(*[hist[len(hist) + t] for t in taps])
            hist.append(y)
            want.append(y)
            if y.sum() > limit:
                break
        got = f_all(v0, vX, limit)
        np.testing.assert_allclose(got, want, rtol=1e-13)
        last, ring = f_last(v0, vX, limit)
        np.testing.assert_allclose(last, want[-1], rtol=1e-13)
        np.testing.assert_allclose(ring, want[-2:], rtol=1e-13)
        for result in (got, last, ring):  # (last and ring are views of one stacked output, as before)
            owned([result], [v0, vX])


def shift_register_scan(keep=None):
    """A raw Scan whose final carries come back: a per-step ``y`` and carries ``c0, c1 <- c1, y``."""
    c0, c1 = T.dvector("c0"), T.dvector("c1")
    y = c0 * 0.5 + c1
    op = Scan(InnerGraph([c0, c1], [y, c1, y]), n_seqs=0, n_rec=0, n_nonrec=1, n_state=2, n_nonseqs=0, keep=keep)
    n, a, b = T.iscalar("n"), T.dvector("a"), T.dvector("b")
    return function([n, a, b], op.make_node(n, a, b).outputs)


@pytest.mark.parametrize("keep", [None, (1,)])
def test_renamed_values_the_caller_gets_are_arrays_of_its_own(keep):
    f = shift_register_scan(keep)
    a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    for steps in (0, 1, 2, 5):
        ys, hist = [], [a, b]
        for _ in range(steps):
            hist.append(hist[-2] * 0.5 + hist[-1])
            ys.append(hist[-1])
        stacked, c0, c1 = f(steps, a, b)
        want = np.array(ys if keep is None else ys[-1:]) if steps else np.empty((0, 2))  # the body's row shape
        np.testing.assert_array_equal(stacked, want)
        assert stacked.shape == want.shape
        np.testing.assert_array_equal(c0, hist[-2])
        np.testing.assert_array_equal(c1, hist[-1])
        # at one step c0 is b passed on; at any, c1 is the last y that `stacked` holds too
        owned([stacked, c0, c1], [a, b])
    np.testing.assert_array_equal(a, [1.0, 2.0])
    np.testing.assert_array_equal(b, [3.0, 4.0])


def test_a_body_returning_its_inputs_as_they_are():
    from framework import shared

    x, X, n = T.dvector("x"), T.dmatrix("X"), T.iscalar("n")
    r, _ = scan(lambda h: h, outputs_info=x, n_steps=n)  # a traced carry passed on unchanged
    f_all, f_last = function([x, n], r), function([x, n], r[-1])
    v = np.array([1.0, 2.0])
    for steps in (0, 1, 3):
        got = f_all(v, steps)
        np.testing.assert_array_equal(got, np.tile(v, (steps, 1)))
        owned([got], [v])
        if steps:
            np.testing.assert_array_equal(f_last(v, steps), v)
            owned([f_last(v, steps)], [v])
    # a sequence row and a shared value passed on: the row is copied, the shared value not shared
    s = shared(np.array([5.0, 6.0]), name="s")
    rows, upd = scan(lambda xt, h: ([xt, h], {s: s}), sequences=X, outputs_info=[None, x])
    g = function([X, x], rows, updates=upd)
    held, vX = s.get_value(borrow=True), np.arange(6.0).reshape(3, 2)
    got_rows, got_h = g(vX, v)
    np.testing.assert_array_equal(got_rows, vX)
    np.testing.assert_array_equal(got_h, np.tile(v, (3, 1)))
    owned([got_rows, got_h, s.get_value(borrow=True)], [vX, v, held])
    np.testing.assert_array_equal(s.get_value(), [5.0, 6.0])


def test_multi_tap_output_mixed_with_random_draws(streams):
    srng = streams(seed=9)
    x0, n = T.dmatrix("x0"), T.iscalar("n")
    r, upd = scan(lambda a, b: a * 0.5 + b * srng.uniform(size=(3,)), outputs_info=dict(initial=x0, taps=[-2, -1]),
                  n_steps=n)
    f = function([x0, n], [r, r[-1]], updates=upd)
    (ref,) = streams.reference_states(9, 1)
    v0 = np.arange(6.0).reshape(2, 3)
    for steps in (1, 2, 5):  # each call goes on where the last stopped
        got, last = f(v0, steps)
        want = taps_reference(v0, [-2, -1], steps, lambda a, b: a * 0.5 + b * ref.uniform(size=(3,)))
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(last, want[-1])
        owned([got], [v0])


@pytest.mark.parametrize("steps", [1, 2, 6])
def test_grad_through_a_shift_register_whose_backward_loop_renames_too(steps):
    # taps [-3, -1]: the body never reads tap -2, so the gradient of the carry for tap -2 is the
    # pending gradient of the carry for tap -3 as it is, a pass-through of the backward loop
    rng = np.random.RandomState(steps)
    x0, w, n, lim = T.dmatrix("x0"), T.dvector("w"), T.iscalar("n"), T.dscalar("lim")
    r, _ = scan(lambda a, b, w: (T.tanh(a * w + b), until(T.tanh(a * w + b).sum() < lim)),
                outputs_info=dict(initial=x0, taps=[-3, -1]), non_sequences=w, n_steps=n)
    cost = (r ** 2).sum() + r[-1].sum() * 2.0
    f = function([x0, w, n, lim], T.grad(cost, [x0, w]))
    cost_of = function([x0, w, n, lim], cost)
    v0, vw = rng.randn(3, 3), rng.randn(3)
    for limit in (-1e9, 0.1):  # never stops; stops early (at step 4 of 6)
        g0, gw = f(v0, vw, steps, limit)
        np.testing.assert_allclose(g0, numeric_grad(lambda a: cost_of(a, vw, steps, limit), v0), rtol=1e-5, atol=1e-8)
        np.testing.assert_allclose(gw, numeric_grad(lambda a: cost_of(v0, a, steps, limit), vw), rtol=1e-5, atol=1e-8)
    (backward,) = [nd.op for nd in scan_nodes(f) if nd.op.label.startswith("grad_of")]
    assert (False, 0) in backward.compile_inner(f.maker.backend).take  # the pending gradient passed on


def test_a_carry_passed_on_keeps_the_shape_checks():
    from framework.core.errors import ShapeError

    # a carry passed on to a carry of another shape fails at step 0, as when it was copied
    c0, c1 = T.dvector("c0"), T.dvector("c1")
    op = Scan(InnerGraph([c0, c1], [c1, c1 + 1]), n_seqs=0, n_rec=0, n_nonrec=0, n_state=2, n_nonseqs=0)
    a, b = T.dvector("a"), T.dvector("b")
    f = function([a, b], op.make_node(3, a, b).outputs)
    with pytest.raises(ShapeError, match=r"step 0: carry 0 has shape \(3,\), its initial state has shape \(2,\)"):
        f(np.zeros(2), np.zeros(3))
    # a multi-tap output whose shape changes at step 3 fails there, naming the per-step output
    k, x0 = T.ivector("k"), T.dmatrix("x0")
    r, _ = scan(lambda kt, a, b: a[:kt] + b[:kt], sequences=k, outputs_info=dict(initial=x0, taps=[-2, -1]))
    g = function([k, x0], r)
    with pytest.raises(ShapeError, match=r"step 3: output 0 has shape \(2,\), but \(3,\) at step 0"):
        g(np.array([3, 3, 3, 2, 3], "int32"), np.ones((2, 3)))
