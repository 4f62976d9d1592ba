"""Shape signatures: equal signatures must mean equal run-time shapes, and
gradients use them to leave out sum_to_shape where nothing was broadcast."""
import numpy as np
import pytest

import framework
import framework.tensor as T
from framework import function, grad
from framework.core.elemwise import SumToShape
from framework.core.shape_sig import shape_signature


def _ops(f):
    return [type(n.op).__name__ for n in f.maker.fgraph.toposort()]


def test_elementwise_chains_of_one_variable_share_its_signature():
    x = T.dvector("x")
    y = T.exp(x) * 2 + x
    assert shape_signature(y) == shape_signature(x)


def test_independent_inputs_have_different_signatures():
    x, y = T.dvector("x"), T.dvector("y")
    assert shape_signature(x) != shape_signature(y)
    assert shape_signature(x + y) not in (shape_signature(x), shape_signature(y))


def test_static_sizes_and_broadcast_axes():
    x = T.tensor(dtype="float64", shape=(3, None), name="x")
    row = T.tensor(dtype="float64", shape=(1, None), name="row")
    assert shape_signature(x)[0] == 3
    s = shape_signature(x * 2.0)
    assert s == shape_signature(x)
    # a size-1 axis never decides the broadcast size
    assert shape_signature(x + row)[0] == 3


def test_dot_and_reductions_follow_their_inputs():
    m, v = T.dmatrix("m"), T.dvector("v")
    d = T.dot(m, v)
    assert shape_signature(d) == (shape_signature(m)[0],)
    assert shape_signature(m.sum(axis=1)) == (shape_signature(m)[0],)
    assert shape_signature(m.sum(axis=1, keepdims=True)) == (shape_signature(m)[0], 1)
    assert shape_signature(m.T) == tuple(reversed(shape_signature(m)))


def test_gradient_through_one_variable_needs_no_sum_to_shape():
    x = T.dvector("x")
    cost = (T.exp(x) * x + T.tanh(x)).sum()
    g = grad(cost, x)
    f = function([x], g, mode="FAST_COMPILE")
    assert "SumToShape" not in _ops(f)
    xv = np.linspace(-1, 1, 5)
    np.testing.assert_allclose(f(xv), np.exp(xv) * xv + np.exp(xv) + 1 - np.tanh(xv) ** 2)


@pytest.mark.parametrize("shapes", [((3,), (3,)), ((1,), (4,)), ((4,), (1,))])
def test_gradient_of_possibly_broadcast_inputs_is_still_summed_at_run_time(shapes):
    x, y = T.dvector("x"), T.dvector("y")
    gx, gy = grad((x * y).sum(), [x, y])
    f = function([x, y], [gx, gy])
    xv, yv = np.arange(1.0, 1 + shapes[0][0]), np.arange(2.0, 2 + shapes[1][0])
    gxv, gyv = f(xv, yv)
    assert gxv.shape == xv.shape and gyv.shape == yv.shape
    np.testing.assert_allclose(gxv, np.broadcast_to(yv, np.broadcast_shapes(xv.shape, yv.shape)).reshape(
        -1, *xv.shape).sum(0) if xv.shape != yv.shape and xv.shape == (1,) else yv * np.ones_like(xv))
    expected_gy = (xv * np.ones(np.broadcast_shapes(xv.shape, yv.shape))).sum(keepdims=True) \
        if yv.shape == (1,) and xv.shape != (1,) else xv * np.ones_like(yv)
    np.testing.assert_allclose(gyv, expected_gy)


def test_a_constant_gradient_still_uses_its_inputs():
    x = T.dvector("x")
    f = function([x], grad((x * 3).sum(), x))  # must not raise UnusedInputError
    np.testing.assert_allclose(f([1.0, 2.0]), [3.0, 3.0])
