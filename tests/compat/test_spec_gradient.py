"""``theano.gradient`` against Theano 1.0's theano/tests/test_gradient.py, read as the
specification: ``TestConsiderConstant``/``TestZeroGrad``/``TestDisconnectedGrad``,
``test_grad_constant``, ``test_grad_name``, ``test_known_grads``, ``test_disconnected_cost_grad``,
and the keywords of ``theano.grad`` (``return_disconnected``, ``null_gradients``). Our own tests."""
from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import framework.compat.theano as _compat

_compat.install()

import theano  # noqa: E402
import theano.tensor as T  # noqa: E402
from theano import gradient  # noqa: E402


def _same_grad(expr, x, want, a):
    g = gradient.grad(expr.sum(), x)
    f = theano.function([x], g, on_unused_input="ignore")
    f2 = theano.function([x], want, on_unused_input="ignore")
    np.testing.assert_allclose(f(a), f2(a))


@pytest.mark.parametrize("cut", ["consider_constant", "zero_grad"])
def test_consider_constant_and_zero_grad_give_a_connected_zero(cut):
    """TestConsiderConstant.test_grad / TestZeroGrad.test_grad: the gradient through the cut is
    zero, and ``grad(cut(x).sum(), x)`` is 0 rather than a DisconnectedInputError."""
    op = getattr(gradient, cut)
    x = T.matrix("x")
    a = np.random.RandomState(0).randn(3, 3)
    _same_grad(x * op(x), x, x, a)
    _same_grad(x * op(T.exp(x)), x, T.exp(x), a)
    _same_grad(op(x), x, T.constant(0.0), a)
    _same_grad(x ** 2 * op(x), x, 2 * x ** 2, a)
    assert T.consider_constant is gradient.consider_constant


def test_disconnected_grad_disconnects():
    """TestDisconnectedGrad.test_disconnected_paths."""
    x = T.matrix("x")
    with pytest.raises(gradient.DisconnectedInputError):
        gradient.grad(gradient.disconnected_grad(x).sum(), x)
    gradient.grad((x + gradient.disconnected_grad(x)).sum(), x)


def test_grad_wrt_a_variable_in_consider_constant_is_its_own_gradient():
    """test_grad_constant: consider_constant=[x] stops what flows *past* x, and the gradient with
    respect to x itself is the same as with respect to a constant."""
    x, y = T.scalar(), T.scalar()
    one = T.as_tensor_variable(1.0)
    g_x = T.grad(x + y, x, consider_constant=[x])
    g_one = T.grad(one + y, one)
    assert np.allclose(theano.function([x, y], [g_x, g_one])(1, 0.5), [1.0, 1.0])


def test_grad_names_the_gradient():
    """test_grad_name: ``(df/dx)`` when the cost and the variable have names."""
    A = T.matrix("A")
    x = T.vector("x")
    f = T.dot(x, T.dot(A, x))
    f.name = "f"
    assert T.grad(f, x).name == "(df/dx)"
    assert theano.grad(f, x, add_names=False).name != "(df/dx)"


def test_tensor_grad_is_theanos():
    assert T.grad is theano.grad is gradient.grad
    v = T.vector("v")
    T.grad(v.sum(), v, null_gradients="return", add_names=False)   # Theano's keywords are accepted


def test_return_disconnected():
    v, w = T.vector("v"), T.vector("w")
    gv, gw = T.grad(v.sum(), [v, w], disconnected_inputs="ignore", return_disconnected="None")
    assert gw is None and gv is not None
    _, gw = T.grad(v.sum(), [v, w], disconnected_inputs="ignore", return_disconnected="Disconnected")
    assert isinstance(gw.type, gradient.DisconnectedType)
    _, gw = T.grad(v.sum(), [v, w], disconnected_inputs="ignore")
    np.testing.assert_allclose(gw.eval({w: np.ones(2)}), [0.0, 0.0])
    with pytest.raises(ValueError, match="return_disconnected"):
        T.grad(v.sum(), [v, w], disconnected_inputs="ignore", return_disconnected="none")
    with pytest.raises(ValueError, match="null_gradients"):
        T.grad(v.sum(), v, null_gradients="bogus")


def test_known_grads_disconnected_type_disconnects_the_cost():
    """test_disconnected_cost_grad."""
    x, y = T.scalar(), T.scalar()
    cost = x + y
    with pytest.raises(gradient.DisconnectedInputError):
        T.grad(cost, [x, y], known_grads={cost: gradient.DisconnectedType()()}, disconnected_inputs="raise")


def test_known_grads_match_the_plain_gradient():
    """test_known_grads, for two of its layers."""
    x = T.scalar("x")
    c = T.vector("c")
    y = c[1] * x ** 2
    cost = T.sqr(y)
    inputs = [c, x]
    values = [np.array([0.5, -1.5, 2.0]), 0.7]
    true = theano.function(inputs, T.grad(cost, inputs))(*values)
    for layer in ([cost], [y]):
        first = T.grad(cost, layer)
        full = T.grad(cost=None, known_grads=OrderedDict(zip(layer, first)), wrt=inputs)
        got = theano.function(inputs, full)(*values)
        for a, b in zip(true, got):
            np.testing.assert_allclose(a, b)
