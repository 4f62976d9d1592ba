"""pool_2d: values against Theano's window-by-window definition, gradients,
shapes, the old keywords and errors."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import framework
import framework.tensor as T
from framework import function, grad
from framework.gradient import verify_grad

from . import direct

MODES = ["max", "sum", "average_inc_pad", "average_exc_pad"]
R = np.random.RandomState(99)
CASES = [  # (ws, ignore_border, stride, pad)
    ((2, 2), True, None, (0, 0)),
    ((2, 3), True, None, (0, 0)),
    ((2, 3), False, None, (0, 0)),
    ((3, 2), True, (1, 2), (0, 0)),
    ((3, 2), False, (1, 2), (0, 0)),
    ((2, 2), False, (3, 3), (0, 0)),
    ((3, 3), True, (2, 2), (1, 2)),
    ((2, 3), True, None, (1, 1)),
]


def pool_2d(*args, **kw):
    return framework.ops.pool_2d(*args, **kw)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("ws,ignore_border,stride,pad", CASES)
def test_values_match_theanos_definition(mode, ws, ignore_border, stride, pad):
    x = T.dtensor4("x")
    y = pool_2d(x, ws, ignore_border=ignore_border, stride=stride, pad=pad, mode=mode)
    xv = R.randn(2, 3, 7, 8)
    expected = direct.pool2d(xv, ws, ignore_border, stride, pad, mode)
    got = function([x], y)(xv)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(y.owner.op.impl(np, xv), expected, rtol=1e-12, atol=1e-12)
    assert y.type.shape == (None, None, None, None)
    static = pool_2d(T.TensorType("float64", (2, 3, 7, 8))("s"), ws, ignore_border=ignore_border, stride=stride,
                     pad=pad, mode=mode)
    assert static.type.shape == expected.shape


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("ws,ignore_border,stride,pad", CASES)
def test_gradients_match_finite_differences(mode, ws, ignore_border, stride, pad):
    # distinct values, so the maxima are unique and finite differences are exact
    xv = R.permutation(2 * 7 * 8).reshape(1, 2, 7, 8) / 10.0
    verify_grad(lambda a: pool_2d(a, ws, ignore_border=ignore_border, stride=stride, pad=pad, mode=mode), [xv])


@pytest.mark.parametrize("mode", MODES)
def test_second_order_gradients(mode):
    xv = R.permutation(2 * 6 * 6).reshape(2, 6, 6) / 10.0
    verify_grad(lambda a: grad((pool_2d(a, (2, 2), stride=(1, 1), mode=mode) ** 2).sum(), a), [xv])
    # the gradient op's own gradient w.r.t. the output gradient (its adjoint)
    verify_grad(lambda gg: _input_gradient(xv, gg, mode), [R.randn(2, 2, 5)])


def _input_gradient(xv, gz, mode):
    """The gradient of pool_2d at the fixed point ``xv`` for the output gradient ``gz``."""
    x = T.constant(xv)
    y = pool_2d(x, (3, 2), stride=(2, 1), mode=mode)
    return grad(None, [x], known_grads={y: gz})[0]


def test_max_gradient_goes_to_every_tied_maximum():
    """Theano's rule: each element equal to its window's maximum gets the gradient."""
    x = T.dmatrix("x")
    gx = grad(pool_2d(x, (2, 2)).sum(), x)
    out = function([x], gx)(np.array([[1.0, 1.0, 0.0, 2.0], [0.0, 1.0, 2.0, 2.0]]))
    np.testing.assert_array_equal(out, [[1, 1, 0, 1], [0, 1, 1, 1]])


def test_any_number_of_leading_axes_and_integers():
    x = T.imatrix("x")
    y = pool_2d(x, (2, 2), mode="max")
    assert y.dtype == "int32"
    np.testing.assert_array_equal(function([x], y)(np.arange(16, dtype="int32").reshape(4, 4)), [[5, 7], [13, 15]])
    x5 = T.TensorType("float64", (None,) * 5)("x5")
    xv = R.randn(2, 1, 2, 5, 6)
    np.testing.assert_allclose(function([x5], pool_2d(x5, (2, 3), mode="sum"))(xv),
                               direct.pool2d(xv, (2, 3), mode="sum"))


def test_old_keywords_still_work_with_a_deprecation_warning():
    x = T.dtensor4("x")
    xv = R.randn(1, 1, 6, 6)
    with pytest.warns(DeprecationWarning, match="ds=, st=, padding="):
        old = pool_2d(x, ds=(2, 2), st=(1, 1), padding=(1, 1), mode="average_exc_pad")
    new = pool_2d(x, ws=(2, 2), stride=(1, 1), pad=(1, 1), mode="average_exc_pad")
    np.testing.assert_allclose(*function([x], [old, new])(xv))
    with pytest.raises(ValueError, match="not both"), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        pool_2d(x, ws=(2, 2), ds=(2, 2))


def test_symbolic_shape_rule():
    x = T.dtensor4("x")
    for ws, ib, st, pad in CASES:
        node = pool_2d(x, ws, ignore_border=ib, stride=st, pad=pad).owner
        (shape,) = node.op.infer_shape(node, [[x.shape[i] for i in range(4)]])
        xv = np.zeros((2, 3, 7, 8))
        assert tuple(int(v) for v in function([x], list(shape))(xv)) == direct.pool2d(xv, ws, ib, st, pad).shape


def test_errors():
    x = T.dtensor4("x")
    with pytest.raises(ValueError, match="mode"):
        pool_2d(x, (2, 2), mode="average")
    with pytest.raises(ValueError, match="ignore_border=True"):
        pool_2d(x, (2, 2), ignore_border=False, pad=(1, 1))
    with pytest.raises(ValueError, match="smaller than the window"):
        pool_2d(x, (2, 2), pad=(2, 0))
    with pytest.raises(ValueError, match="ws"):
        pool_2d(x)
    with pytest.raises(ValueError, match="at least 2"):
        pool_2d(T.dvector("v"), (2, 2))
    with pytest.raises(TypeError, match="float"):
        pool_2d(T.imatrix("i"), (2, 2), mode="average_inc_pad")


def test_max_pool_2d_same_size_keeps_only_each_windows_maximum():
    x = T.dtensor4("x")
    y = framework.ops.max_pool_2d_same_size(x, (2, 2))
    xv = np.array([[[[1.0, 5.0, 2.0, 0.0, 7.0], [3.0, 4.0, 9.0, 1.0, 8.0], [6.0, 0.0, 1.0, 2.0, 3.0]]]])
    expected = [[[[0, 5, 0, 0, 0], [0, 0, 9, 0, 0], [0, 0, 0, 0, 0]]]]  # partial windows are left out (zero)
    np.testing.assert_array_equal(function([x], y)(xv), expected)
    verify_grad(lambda a: framework.ops.max_pool_2d_same_size(a, (2, 2)), [R.permutation(2 * 4 * 6).reshape(1, 2, 4, 6) / 7.0])
