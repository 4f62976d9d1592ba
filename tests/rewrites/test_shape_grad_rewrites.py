"""The rewrites that clean up gradient bookkeeping: useless_sum_to_shape,
elemwise_of_broadcast and filled_constant_shape."""
import numpy as np

import framework.tensor as T
from framework import Mode, function, grad


def _names(f):
    return [n.op.name for n in f.maker.fgraph.toposort()]


def test_broadcast_of_the_sum_gradient_is_folded_into_its_consumer():
    x = T.dvector("x")
    cost = (T.sin(x) * x).sum()
    g = grad(cost, x)
    on = function([x], g)
    off = function([x], g, mode=Mode(excluding=["elemwise_of_broadcast"]))
    assert "broadcast_like" not in _names(on)
    assert "broadcast_like" in _names(off)
    xv = np.linspace(-2, 2, 7)
    np.testing.assert_allclose(on(xv), off(xv))
    np.testing.assert_allclose(on(xv), np.cos(xv) * xv + np.sin(xv))


def test_seed_of_a_scalar_cost_is_a_constant_so_the_cost_is_not_computed():
    x = T.dvector("x")
    cost = T.exp(x).sum()
    f = function([x], grad(cost, x))
    # the forward exp is needed by the gradient, but not the sum (the cost itself)
    assert "sum" not in _names(f)
    off = function([x], grad(cost, x), mode=Mode(excluding=["filled_constant_shape"]))
    np.testing.assert_allclose(f([0.0, 1.0]), off([0.0, 1.0]))


def test_useless_sum_to_shape_goes_when_shapes_are_provably_equal():
    x = T.dvector("x")
    y = x * 2
    from framework.core.elemwise import sum_to_shape

    g = sum_to_shape(T.exp(y), x)
    f = function([x], g)
    assert "sum_to_shape" not in _names(f)
    off = function([x], g, mode=Mode(excluding=["useless_sum_to_shape"]))
    assert "sum_to_shape" in _names(off)
    np.testing.assert_allclose(f([1.0, 2.0]), off([1.0, 2.0]))
