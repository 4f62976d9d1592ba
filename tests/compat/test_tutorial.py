"""Theano 1.0 tutorial pages (basic, derivatives, loop), imported through the alias, with the
outputs their pages document."""
from __future__ import annotations

import numpy
import numpy as np
import pytest


# --- "Baby steps - Algebra" -------------------------------------------------------------
def test_adding_two_scalars_and_matrices():
    import theano.tensor as T
    from theano import function, pp

    x = T.dscalar("x")
    y = T.dscalar("y")
    z = x + y
    f = function([x, y], z)
    assert f(2, 3) == 5.0 and numpy.allclose(f(16.3, 12.1), 28.4)
    assert numpy.allclose(z.eval({x: 16.3, y: 12.1}), 28.4)
    assert pp(z) == "(x + y)"
    x = T.dmatrix("x")
    y = T.dmatrix("y")
    f = function([x, y], x + y)
    assert f([[1, 2], [3, 4]], [[10, 20], [30, 40]]).tolist() == [[11.0, 22.0], [33.0, 44.0]]
    a = T.vector()
    out = a + a ** 10
    assert function([a], out)([0, 1, 2]).tolist() == [0.0, 2.0, 1026.0]


# --- "More examples" ----------------------------------------------------------------------
def test_logistic_function_and_several_outputs():
    import theano
    import theano.tensor as T

    x = T.dmatrix("x")
    s = 1 / (1 + T.exp(-x))
    logistic = theano.function([x], s)
    assert numpy.allclose(logistic([[0, 1], [-1, -2]]), [[0.5, 0.73105858], [0.26894142, 0.11920292]])
    s2 = (1 + T.tanh(x / 2)) / 2
    assert numpy.allclose(theano.function([x], s2)([[0, 1], [-1, -2]]), logistic([[0, 1], [-1, -2]]))
    a, b = T.dmatrices("a", "b")
    diff = a - b
    f = theano.function([a, b], [diff, abs(diff), diff ** 2])
    d, ad, d2 = f([[1, 1], [1, 1]], [[0, 1], [2, 3]])
    assert d.tolist() == [[1, 0], [-1, -2]] and ad.tolist() == [[1, 0], [1, 2]] and d2.tolist() == [[1, 0], [1, 4]]


def test_default_values_and_names():
    import theano.tensor as T
    from theano import In, function

    x, y = T.dscalars("x", "y")
    f = function([x, In(y, value=1)], x + y)
    assert f(33) == 34.0 and f(33, 2) == 35.0
    x, y, w = T.dscalars("x", "y", "w")
    f = function([x, In(y, value=1), In(w, value=2, name="w_by_name")], (x + y) * w)
    assert f(33) == 68.0 and f(33, 2) == 70.0 and f(33, 0, 1) == 33.0
    assert f(33, w_by_name=1) == 34.0 and f(33, w_by_name=1, y=0) == 33.0


def test_shared_variables_givens_and_copy():
    import theano.tensor as T
    from theano import function, shared

    state = shared(0)
    inc = T.iscalar("inc")
    accumulator = function([inc], state, updates=[(state, state + inc)])
    assert state.get_value() == 0
    assert accumulator(1) == 0 and state.get_value() == 1
    assert accumulator(300) == 1 and state.get_value() == 301
    state.set_value(-1)
    assert accumulator(3) == -1 and state.get_value() == 2
    decrementor = function([inc], state, updates=[(state, state - inc)])
    assert decrementor(2) == 2 and state.get_value() == 0
    fn_of_state = state * 2 + inc
    foo = T.scalar(dtype=state.dtype)
    skip_shared = function([inc, foo], fn_of_state, givens=[(state, foo)])
    assert skip_shared(1, 3) == 7 and state.get_value() == 0
    accumulator(10)
    new_state = shared(0)
    new_accumulator = accumulator.copy(swap={state: new_state})
    assert new_accumulator(100) == 0 and new_state.get_value() == 100 and state.get_value() == 10
    null_accumulator = accumulator.copy(delete_updates=True)
    assert null_accumulator(9000) == 10 and state.get_value() == 10


def test_random_numbers():
    from theano import function
    from theano.tensor.shared_randomstreams import RandomStreams

    srng = RandomStreams(seed=234)
    rv_u = srng.uniform((2, 2))
    rv_n = srng.normal((2, 2))
    f = function([], rv_u)
    g = function([], rv_n, no_default_updates=True)
    nearly_zeros = function([], rv_u + rv_u - 2 * rv_u)
    f_val0, f_val1 = f(), f()
    assert f_val0.shape == (2, 2) and not numpy.allclose(f_val0, f_val1)
    assert numpy.allclose(g(), g())
    assert numpy.allclose(nearly_zeros(), numpy.zeros((2, 2)))
    rng_val = rv_u.rng.get_value(borrow=True)
    rng_val.seed(89234)
    rv_u.rng.set_value(rng_val, borrow=True)
    srng.seed(902340)
    state_after_v0 = rv_u.rng.get_value().get_state()
    nearly_zeros()
    v1 = f()
    rng = rv_u.rng.get_value(borrow=True)
    rng.set_state(state_after_v0)
    rv_u.rng.set_value(rng, borrow=True)
    f()
    assert numpy.allclose(f(), v1)


def test_logistic_regression_example_trains():
    import theano
    import theano.tensor as T

    rng = numpy.random.RandomState(0)
    N, feats = 400, 784
    D = (rng.randn(N, feats), rng.randint(size=N, low=0, high=2))
    x, y = T.dmatrix("x"), T.dvector("y")
    w = theano.shared(rng.randn(feats), name="w")
    b = theano.shared(0.0, name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    prediction = p_1 > 0.5
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w ** 2).sum()
    gw, gb = T.grad(cost, [w, b])
    train = theano.function(inputs=[x, y], outputs=[prediction, xent],
                            updates=((w, w - 0.1 * gw), (b, b - 0.1 * gb)))
    predict = theano.function(inputs=[x], outputs=prediction)
    for _ in range(200):
        train(D[0], D[1])
    assert (predict(D[0]) == D[1]).mean() > 0.9  # the page trains 10000 steps; 200 already fit most


# --- "Derivatives in Theano" --------------------------------------------------------------
def test_derivatives():
    import theano
    import theano.tensor as T
    from theano import function

    x = T.dscalar("x")
    gy = T.grad(x ** 2, x)
    f = function([x], gy)
    assert f(4) == 8.0 and numpy.allclose(f(94.2), 188.4)
    x = T.dmatrix("x")
    s = T.sum(1 / (1 + T.exp(-x)))
    dlogistic = function([x], T.grad(s, x))
    assert numpy.allclose(dlogistic([[0, 1], [-1, -2]]), [[0.25, 0.19661193], [0.19661193, 0.10499359]])
    x = T.dvector("x")
    y = x ** 2
    J, updates = theano.scan(lambda i, y, x: T.grad(y[i], x), sequences=T.arange(y.shape[0]), non_sequences=[y, x])
    f = theano.function([x], J, updates=updates)
    assert f([4, 4]).tolist() == [[8.0, 0.0], [0.0, 8.0]]
    assert theano.function([x], theano.gradient.jacobian(y, x))([4, 4]).tolist() == [[8.0, 0.0], [0.0, 8.0]]
    cost = y.sum()
    gy = T.grad(cost, x)
    H, updates = theano.scan(lambda i, gy, x: T.grad(gy[i], x), sequences=T.arange(gy.shape[0]),
                             non_sequences=[gy, x])
    assert theano.function([x], H, updates=updates)([4, 4]).tolist() == [[2.0, 0.0], [0.0, 2.0]]
    assert theano.function([x], theano.gradient.hessian(cost, x))([4, 4]).tolist() == [[2.0, 0.0], [0.0, 2.0]]
    v = T.dvector("v")
    vH = T.grad(T.sum(gy * v), x)
    assert theano.function([x, v], vH)([4, 4], [2, 2]).tolist() == [4.0, 4.0]
    Hv = theano.gradient.Rop(gy, x, v)
    assert theano.function([x, v], Hv)([4, 4], [2, 2]).tolist() == [4.0, 4.0]


# --- "Loop" -----------------------------------------------------------------------------
def test_scan_power_and_polynomial():
    import theano
    import theano.tensor as T

    k = T.iscalar("k")
    A = T.vector("A")
    result, updates = theano.scan(fn=lambda prior_result, A: prior_result * A, outputs_info=T.ones_like(A),
                                  non_sequences=A, n_steps=k)
    power = theano.function(inputs=[A, k], outputs=result[-1], updates=updates)
    assert power(range(10), 2).tolist() == [0.0, 1.0, 4.0, 9.0, 16.0, 25.0, 36.0, 49.0, 64.0, 81.0]
    coefficients = T.vector("coefficients")
    x = T.scalar("x")
    components, updates = theano.scan(fn=lambda coefficient, power, free_variable:
                                       coefficient * (free_variable ** power),
                                       outputs_info=None, sequences=[coefficients, T.arange(10000)],
                                       non_sequences=x)
    calculate_polynomial = theano.function(inputs=[coefficients, x], outputs=components.sum())
    assert calculate_polynomial(numpy.asarray([1, 0, 2], dtype=theano.config.floatX), 3) == 19.0


def test_scan_tanh_loop_and_reduce():
    import theano
    import theano.tensor as T

    X = T.matrix("X")
    W = T.matrix("W")
    b_sym = T.vector("b_sym")
    results, updates = theano.scan(lambda v: T.tanh(T.dot(v, W) + b_sym), sequences=X)
    compute_elementwise = theano.function(inputs=[X, W, b_sym], outputs=results)
    x = numpy.eye(2)
    w = numpy.ones((2, 2))
    b = numpy.ones(2)
    b[1] = 2
    assert numpy.allclose(compute_elementwise(x, w, b), numpy.tanh(x.dot(w) + b))
    n = T.iscalar("n")  # symbolic: a scan over constants alone trips constant folding (see the report)
    total, _ = theano.reduce(lambda v, acc: acc + v, sequences=T.arange(n), outputs_info=T.constant(0, "int64"))
    assert theano.function([n], total)(5) == 10
    mapped, _ = theano.map(lambda v: v * 2, sequences=T.arange(n))
    assert theano.function([n], mapped)(3).tolist() == [0, 2, 4]
    folded, _ = theano.foldr(lambda v, acc: acc * 10 + v, sequences=T.arange(1, n),
                             outputs_info=T.constant(0, "int64"))
    assert theano.function([n], folded)(4) == 321  # 3, then 2, then 1
