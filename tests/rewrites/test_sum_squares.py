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
