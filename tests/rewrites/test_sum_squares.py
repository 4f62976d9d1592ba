"""sum_squares_of_product: sum((A * B) ** 2) over axes where one factor is
broadcast, without building the product -- same values (random shapes, every
axis choice, sum and mean, keepdims), same non-finite results, and a gradient."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import framework.tensor as T
from framework import function
from framework.core.graph import Apply

from .conftest import op_names, sym, without

PLAIN = without("sum_squares_of_product")


def jacobian_terms(dtype="float64"):
    a, W = T.matrix("a", dtype=dtype), T.matrix("W", dtype=dtype)
    J = a.dimshuffle(0, "x", 1) * W.dimshuffle("x", 0, 1)
    return a, W, J


@pytest.mark.parametrize("axes", [None, (0,), (1,), (2,), (0, 1), (0, 2), (1, 2), (0, 1, 2)])
@pytest.mark.parametrize("kind", ["sum", "mean"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_same_values_for_every_axis_choice(axes, kind, keepdims):
    a, W, J = jacobian_terms()
    red = getattr(T, kind)
    out = red(J ** 2, axis=axes, keepdims=keepdims)
    f = function([a, W], out)
    g = function([a, W], out, mode="FAST_COMPILE")
    rng = np.random.RandomState(len(str(axes)) + keepdims)
    for _ in range(3):
        b, v, h = rng.randint(1, 9, size=3)
        av, Wv = rng.rand(b, h), rng.randn(v, h)
        r, e = f(av, Wv), g(av, Wv)
        assert r.shape == e.shape and r.dtype == e.dtype
        np.testing.assert_allclose(r, e, rtol=1e-12, atol=1e-12)
    summed = range(3) if axes is None else axes
    factored = any(k in (0, 1) for k in summed)  # axis 2 is broadcast in neither factor
    assert ("factored_sum_of_squares" in op_names(f)) == factored


def test_the_contractive_autoencoders_penalty_in_float32():
    x, W = T.matrix("x", dtype="float32"), T.matrix("W", dtype="float32")
    h = T.nnet.sigmoid(T.dot(x, W))
    J = T.reshape(h * (1 - h), (20, 1, 50)) * T.reshape(W, (1, 30, 50))
    pen = T.sum(J ** 2) // 20
    f = function([x, W], pen)
    assert "factored_sum_of_squares" in op_names(f)
    g = function([x, W], pen, mode=PLAIN)
    rng = np.random.RandomState(0)
    xv, Wv = rng.rand(20, 30).astype("float32"), rng.randn(30, 50).astype("float32")
    np.testing.assert_allclose(f(xv, Wv), g(xv, Wv), rtol=1e-5)


@pytest.mark.parametrize("value", [np.inf, -np.inf, np.nan])
@pytest.mark.parametrize("where", ["a", "W", "zero row"])
def test_non_finite_inputs_give_the_products_result(value, where):
    a, W, J = jacobian_terms()
    outs = [T.sum(J ** 2), T.sum(J * J, axis=(0, 1)), T.mean(T.sqr(J), axis=1)]
    f = function([a, W], outs)
    g = function([a, W], outs, mode="FAST_COMPILE")
    rng = np.random.RandomState(1)
    av, Wv = rng.rand(3, 4), rng.randn(5, 4)
    if where == "a":
        av[1, 2] = value
    elif where == "W":
        Wv[0, 1] = value
    else:  # inf * 0: NaN in the product, not in a factored sum
        av[0, 3] = value
        Wv[:, 3] = 0.0
        Wv[2, 3] = 1.0
    with np.errstate(all="ignore"):
        for r, e in zip(f(av, Wv), g(av, Wv)):
            np.testing.assert_array_equal(np.isnan(r), np.isnan(e))
            np.testing.assert_allclose(r, e, rtol=1e-12)


def test_not_fired_without_a_broadcast_factor():
    x, y = T.dmatrix("x"), T.dmatrix("y")
    f = function([x, y], T.sum((x * y) ** 2, axis=0))
    assert "factored_sum_of_squares" not in op_names(f)


def test_gradient_of_the_factored_node_matches_the_products():
    from framework_rewrites.sum_squares import FactoredSumOfSquares

    a3, W3 = sym((4, 1, 3), name="a", static=True), sym((1, 5, 3), name="W", static=True)
    op = FactoredSumOfSquares((0,), (1,), (2,), False, False, "float64")
    node: Apply = op.make_node(a3, W3)
    direct = T.sum((a3 * W3) ** 2)
    rng = np.random.RandomState(2)
    av, Wv = rng.rand(4, 1, 3), rng.randn(1, 5, 3)
    got = function([a3, W3], T.grad(node.outputs[0], [a3, W3]), mode="FAST_COMPILE")(av, Wv)
    want = function([a3, W3], T.grad(direct, [a3, W3]), mode="FAST_COMPILE")(av, Wv)
    for g_, w_ in zip(got, want):
        np.testing.assert_allclose(g_, w_, rtol=1e-12)


# --- the general form: sums of products of broadcast factors ---------------------------------

def three_factor_sums():
    a, W, c = T.dmatrix("a"), T.dmatrix("W"), T.dscalar("c")
    a3, W3 = a.dimshuffle(0, "x", 1), W.dimshuffle("x", 0, 1)
    J = a3 * W3
    outs = [
        T.sum(2 * c * J * W3, axis=1, keepdims=True),  # the penalty's gradient with respect to a
        T.sum(J * c * a3, axis=0),  # ... and with respect to W
        T.sum(J ** 2 * W3, axis=(0, 2)),
        T.mean(J * a3 * J, axis=(1,)),
        T.sum(T.cast(J, "float32") * T.cast(W3, "float32")),  # casts between floats are looked through
    ]
    return [a, W, c], outs


def test_general_sums_of_broadcast_products_keep_their_values():
    ins, outs = three_factor_sums()
    f = function(ins, outs)
    assert op_names(f).count("factored_sum") == len(outs)
    g = function(ins, outs, mode="FAST_COMPILE")
    rng = np.random.RandomState(3)
    for _ in range(4):
        b, v, h = rng.randint(1, 8, size=3)
        args = (rng.rand(b, h), rng.randn(v, h), float(rng.randn()))
        for r, e in zip(f(*args), g(*args)):
            assert r.shape == e.shape and r.dtype == e.dtype
            np.testing.assert_allclose(r, e, rtol=1e-5 if r.dtype == np.float32 else 1e-11, atol=1e-6)


@pytest.mark.parametrize("value", [np.inf, np.nan])
def test_general_sums_with_non_finite_factors_give_the_products_result(value):
    ins, outs = three_factor_sums()
    f = function(ins, outs)
    g = function(ins, outs, mode="FAST_COMPILE")
    rng = np.random.RandomState(4)
    av, Wv = rng.rand(3, 4), rng.randn(5, 4)
    av[0, 1] = value
    Wv[:, 1] = 0.0
    with np.errstate(all="ignore"):
        for r, e in zip(f(av, Wv, 0.5), g(av, Wv, 0.5)):
            np.testing.assert_array_equal(np.isnan(r), np.isnan(e))
            np.testing.assert_allclose(r, e, rtol=1e-6)


def test_contractive_autoencoder_training_matches_without_the_rewrites():
    """The tutorial's cA step (penalty with true division) trains the same with and without."""
    B, V, H = 6, 9, 5

    def build(mode):
        import framework

        rng = np.random.RandomState(0)
        W = framework.shared(rng.uniform(-0.5, 0.5, (V, H)))
        b, bp = framework.shared(np.zeros(H)), framework.shared(np.zeros(V))
        x = T.dmatrix("x")
        y = T.nnet.sigmoid(T.dot(x, W) + b)
        z = T.nnet.sigmoid(T.dot(y, W.T) + bp)
        J = T.reshape(y * (1 - y), (B, 1, H)) * T.reshape(W, (1, V, H))
        cost = T.mean(-T.sum(x * T.log(z) + (1 - x) * T.log(1 - z), axis=1)) + 0.1 * T.mean(T.sum(J ** 2) / B)
        grads = T.grad(cost, [W, b, bp])
        f = function([x], cost, updates=[(p, p - 0.1 * g_) for p, g_ in zip([W, b, bp], grads)], mode=mode)
        return f, W

    f, W1 = build("FAST_RUN")
    g, W2 = build(without("sum_squares_of_product", "sum_of_broadcast_product"))
    names = op_names(f)
    assert "factored_sum" in names or "factored_sum_of_squares" in names
    data = (np.random.RandomState(1).rand(B, V) < 0.4).astype("float64")
    for _ in range(3):
        np.testing.assert_allclose(f(data), g(data), rtol=1e-10)
    np.testing.assert_allclose(W1.get_value(), W2.get_value(), rtol=1e-10, atol=1e-12)


def test_not_fired_when_a_factor_is_as_large_as_the_product():
    v, m = T.dvector("v"), T.dmatrix("m")
    f = function([v, m], [T.mean(64 * v), T.sum(m * v.dimshuffle("x", 0), axis=0)])
    assert "factored_sum" not in op_names(f)
    np.testing.assert_allclose(f(np.arange(3.0), np.ones((2, 3)))[0], 64.0)
