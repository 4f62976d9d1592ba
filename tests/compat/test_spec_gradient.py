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


def test_gradient_wrt_an_integer_is_the_real_one():
    """Theano 1.0's ``test_grad_int``: ``dot(X, W) + b`` through a sigmoid, ``X`` an int32 matrix,
    gives the gradient a float64 ``X`` gets (framework's own ``grad`` gave zeros: silent)."""
    W, b = T.dmatrix("W"), T.dvector("b")

    def grad_fn(X):
        cost = T.nnet.sigmoid(T.dot(X, W) + b).sum()
        return theano.function([X, W, b], gradient.grad(cost, X), on_unused_input="ignore")

    rng = np.random.RandomState(0)
    xv = rng.randint(-3, 4, size=(4, 3)).astype("int32")
    wv, bv = rng.randn(3, 2), rng.randn(2)
    got = grad_fn(T.imatrix("X"))(xv, wv, bv)
    want = grad_fn(T.dmatrix("X"))(xv.astype("float64"), wv, bv)
    assert got.dtype.kind == "f"
    np.testing.assert_allclose(got, want, rtol=1e-12)
    iv = T.ivector("iv")
    np.testing.assert_array_equal(theano.function([iv], gradient.grad((iv * 2.5).sum(), iv))([1, 2]), [2.5, 2.5])


def test_integer_results_pass_no_gradient_and_an_integer_cost_is_allowed():
    """Through integer results only (``iv * 2``, a cast to int) the gradient is zero, connected (no
    disconnected error); an integer cost is allowed and its gradient wrt itself is 1."""
    iv, x = T.ivector("iv"), T.dvector("x")
    np.testing.assert_array_equal(theano.function([iv], gradient.grad((iv * 2).sum(), iv))([1, 2]), [0, 0])
    g = gradient.grad((T.cast(x * 3, "int32") * 0.5).sum(), x)
    np.testing.assert_array_equal(theano.function([x], g)([1.0, 2.0]), [0.0, 0.0])
    ix = T.iscalar("ix")
    assert float(theano.function([ix], gradient.grad(ix, ix))(7)) == 1.0
    # a float path and an integer path from the same input: only the float one counts
    g = gradient.grad((iv * 2.5).sum() + (iv * 3).sum(), iv)
    np.testing.assert_array_equal(theano.function([iv], g)([1, 2]), [2.5, 2.5])


def test_native_grad_keeps_integers_at_zero():
    """framework's own ``grad`` is unchanged: integers get zeros, an integer cost is an error."""
    import framework
    iv = T.ivector("iv")
    g = framework.grad((iv * 2.5).sum(), iv)
    np.testing.assert_array_equal(theano.function([iv], g)([1, 2]), [0.0, 0.0])
    with pytest.raises(TypeError, match="integer dtype"):
        framework.grad(iv.sum(), iv)
    with pytest.raises(ValueError, match="int_grads"):
        framework.grad((iv * 2.5).sum(), iv, int_grads="float")


def test_an_integer_index_gets_a_zero_gradient():
    """An integer that only selects (an index) is a step: zero, whatever the mode of ``grad``."""
    x, iv = T.dvector("x"), T.ivector("iv")
    g = gradient.grad((x[iv] * 2.0).sum(), iv)
    f = theano.function([x, iv], g, on_unused_input="ignore")
    np.testing.assert_array_equal(f([1.0, 2.0, 3.0], [0, 2]), [0.0, 0.0])
