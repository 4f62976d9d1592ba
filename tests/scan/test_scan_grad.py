"""Gradients through scan (back-propagation through time) against finite differences."""
from __future__ import annotations

import numpy as np
import pytest

import framework.tensor as T
from framework import function
from framework.gradient import GradientError, hessian, jacobian, verify_grad
from framework.random import RandomStreams
from framework.scan_module import scan


@pytest.fixture
def rng():
    return np.random.RandomState(1234)


def test_rnn_grads_wrt_initial_state_non_sequence_and_sequence(rng):
    def rnn(h0, W, X):
        h, _ = scan(lambda x_t, h, W: T.tanh(T.dot(h, W) + x_t), sequences=X, outputs_info=h0, non_sequences=W)
        return h

    verify_grad(rnn, [rng.randn(3), 0.5 * rng.randn(3, 3), rng.randn(5, 3)], rng=rng)


def test_grad_through_the_last_step_with_an_implicit_outer_variable(rng):
    def rnn_last(h0, W, X):
        h, _ = scan(lambda x_t, h: T.tanh(T.dot(h, W) + x_t), sequences=X, outputs_info=h0)
        return h[-1]

    verify_grad(rnn_last, [rng.randn(3), 0.5 * rng.randn(3, 3), rng.randn(5, 3)], rng=rng)


def test_grad_with_output_taps(rng):
    def two_taps(x0, c):
        r, _ = scan(lambda a, b, c: a * c + 0.3 * b * b, outputs_info=dict(initial=x0, taps=[-2, -1]),
                    non_sequences=c, n_steps=6)
        return r

    verify_grad(two_taps, [rng.rand(2, 3), rng.rand(3)], rng=rng)


def test_grad_with_a_gap_in_the_taps(rng):
    def gap(x0):
        r, _ = scan(lambda a: T.sin(a) * 1.5, outputs_info=dict(initial=x0, taps=[-3]), n_steps=7)
        return r

    verify_grad(gap, [rng.rand(3, 2)], rng=rng)


def test_grad_with_sequence_taps(rng):
    def seq_taps(X, h0):
        r, _ = scan(lambda xm1, xp1, h: h * xm1 + xp1 ** 2, sequences=dict(input=X, taps=[-1, 1]),
                    outputs_info=h0)
        return r

    verify_grad(seq_taps, [rng.rand(6, 2), rng.rand(2)], rng=rng)


def test_grad_with_several_outputs_and_go_backwards(rng):
    def outs(X, h0):
        (a, b), _ = scan(lambda x, h: [h * x + x, T.sin(h * x).sum()], sequences=X, outputs_info=[h0, None],
                         go_backwards=True)
        return a.sum() + 2 * b.sum()

    verify_grad(outs, [rng.rand(4, 2), rng.rand(2)], rng=rng)


def test_grad_with_explicit_n_steps_shorter_than_the_sequence(rng):
    def partial(X, h0):
        r, _ = scan(lambda x, h: h * x, sequences=X, outputs_info=h0, n_steps=3)
        return r

    verify_grad(partial, [rng.rand(5, 2), rng.rand(2)], rng=rng)
    X = T.dmatrix("X")
    h0 = T.dvector("h0")
    r, _ = scan(lambda x, h: h * x, sequences=X, outputs_info=h0, n_steps=3)
    gX = function([X, h0], T.grad(r.sum(), X))(rng.rand(5, 2), rng.rand(2))
    np.testing.assert_array_equal(gX[3:], 0.0)


def test_scan_inside_scan(rng):
    def nested(X, w):
        def outer(x_t, acc):
            inner, _ = scan(lambda v, a: T.tanh(a * v + w), sequences=x_t, outputs_info=acc)
            return inner[-1]

        r, _ = scan(outer, sequences=X, outputs_info=T.zeros_like(w))
        return r

    verify_grad(nested, [rng.rand(3, 4), np.asarray(rng.rand())], rng=rng)


def test_truncate_gradient_only_back_propagates_k_steps(rng):
    x0 = T.dvector("x0")
    W = T.dmatrix("W")
    X = T.dmatrix("X")
    h, _ = scan(lambda x_t, h: T.tanh(T.dot(h, W) + x_t), sequences=X, outputs_info=x0, truncate_gradient=2)
    full, _ = scan(lambda x_t, h: T.tanh(T.dot(h, W) + x_t), sequences=X, outputs_info=x0)
    args = (rng.randn(3), 0.5 * rng.randn(3, 3), rng.randn(5, 3))
    gX, gW, gx0 = function([x0, W, X], T.grad(h[-1].sum(), [X, W, x0]))(*args)
    fX = function([x0, W, X], T.grad(full[-1].sum(), X))(*args)
    np.testing.assert_array_equal(gX[:3], 0.0)
    np.testing.assert_allclose(gX[3:], fX[3:])  # the last two steps are exact
    np.testing.assert_array_equal(gx0, 0.0)
    assert np.abs(gW).sum() > 0


def test_jacobian_and_hessian_of_unknown_length_use_scan():
    x = T.dvector("x")
    J = jacobian(T.tanh(x) * x.sum(), x)
    xv = np.array([1.0, 2.0])
    expect = np.diag((1 - np.tanh(xv) ** 2) * xv.sum()) + np.tanh(xv)[:, None]
    np.testing.assert_allclose(function([x], J)(xv), expect)
    H = hessian((x ** 3).sum(), x)
    np.testing.assert_allclose(function([x], H)(xv), np.diag(6 * xv))


def test_second_derivative_through_scan(rng):
    x = T.dscalar("x")
    r, _ = scan(lambda h: h * x, outputs_info=T.constant(np.float64(1.0)), n_steps=4)  # x ** 4
    g = T.grad(r[-1], x)
    gg = T.grad(g, x)
    f = function([x], [g, gg])
    g_val, gg_val = f(1.5)
    assert g_val == pytest.approx(4 * 1.5 ** 3)
    assert gg_val == pytest.approx(12 * 1.5 ** 2)


def test_grad_of_a_body_that_draws_replays_the_forward_samples():
    srng = RandomStreams(42)
    W = T.dmatrix("W")
    h0 = T.dvector("h0")

    def step(h, W):
        mask = srng.binomial(size=h.shape, p=0.7, dtype="float64")
        return T.tanh(T.dot(h * mask, W))

    hs, upd = scan(step, outputs_info=h0, non_sequences=W, n_steps=4)
    cost = hs.sum()
    (rng_var,) = list(upd)
    state = rng_var.get_value().get_state()
    f = function([h0, W], [cost, T.grad(cost, W)], updates=upd)
    fc = function([h0, W], cost, no_default_updates=True)
    w = np.random.RandomState(0).randn(3, 3)
    hv = np.ones(3)
    c, g = f(hv, w)
    eps, num = 1e-6, np.zeros_like(w)

    def at_state(wv):
        r = rng_var.get_value()
        r.set_state(state)
        rng_var.set_value(r)
        return fc(hv, wv)

    assert at_state(w) == pytest.approx(c, abs=1e-12)
    for i in range(3):
        for j in range(3):
            d = np.zeros_like(w)
            d[i, j] = eps
            num[i, j] = (at_state(w + d) - at_state(w - d)) / (2 * eps)
    np.testing.assert_allclose(g, num, atol=1e-7)


def test_grad_of_nothing_connected_is_refused_clearly():
    x = T.dvector("x")
    w = T.dscalar("w")
    r, _ = scan(lambda xt: xt * 2, sequences=x)
    with pytest.raises(GradientError):
        T.grad(r.sum(), w)


def test_an_initial_state_no_output_reads_is_disconnected():
    """z's new value never reads z: its initial value reaches no output, so grad refuses it (or gives
    zeros with disconnected_inputs='ignore'); y0 reaches y only, so y0 is disconnected from x."""
    from framework.gradient import DisconnectedInputError

    x0, y0, z0 = T.dvector("x0"), T.dvector("y0"), T.dvector("z0")
    (x, y, z), _ = scan(lambda a, b, c: (a ** 2, b, a + 1), outputs_info=[x0, y0, z0], n_steps=3)
    cost = (x + y + z).sum()
    T.grad(cost, [x0, y0])
    with pytest.raises(DisconnectedInputError):
        T.grad(cost, z0)
    with pytest.raises(DisconnectedInputError):
        T.grad(x.sum(), y0)
    gz = T.grad(cost, z0, disconnected_inputs="ignore")
    np.testing.assert_array_equal(function([x0, y0, z0], gz, on_unused_input="ignore")(*[np.ones(2)] * 3), [0, 0])
    assert x.owner.op.connection() == [{0, 2}, {1}, set()]


def test_a_final_state_is_connected_to_its_initial_value():
    """A shared state whose new value does not read it still passes its initial value through when the
    loop runs no step: the final value's gradient reaches the initial value."""
    from framework import shared

    s = shared(np.float64(3.0), name="s")
    w, n = T.dscalar("w"), T.iscalar("n")
    _, updates = scan(lambda: {s: w * 2}, n_steps=n)
    g = T.grad(updates[s], s)
    f = function([w, n], g, on_unused_input="ignore")
    assert f(1.0, 0) == 1 and f(1.0, 3) == 0
