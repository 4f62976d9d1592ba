"""``grad`` and its companions: consider_constant, disconnected inputs,
known_grads, jacobian, hessian, verify_grad, gradient cuts, integer inputs."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import framework.tensor as T
from framework import function, grad
from framework.core.errors import DisconnectedInputError, GradientError
from framework.core.graph import Apply
from framework.core.op import Op
from framework.core.types import TensorType
from framework.gradient import disconnected_grad, hessian, jacobian, verify_grad, zero_grad


def values(outputs, inputs, *args):
    return function(inputs, outputs)(*args)


# --- basics ---------------------------------------------------------------------------------

def test_grad_returns_symbolic_variables():
    x = T.dvector("x")
    g = grad((x ** 2).sum(), x)
    assert isinstance(g, T.TensorVariable) and g.type == x.type
    np.testing.assert_allclose(values(g, [x], [1.0, -2.0]), [2.0, -4.0])


def test_grad_with_respect_to_a_list_returns_a_list():
    x, y = T.dscalars("x", "y")
    gs = grad(x * y + y, [x, y])
    assert isinstance(gs, list) and len(gs) == 2
    assert values(gs, [x, y], 2.0, 3.0) == [3.0, 3.0]
    assert isinstance(grad(x * y, (x,)), list)


def test_grad_of_shared_variable_parameters():
    from framework import shared

    w = shared(np.array([1.0, 2.0]), name="w")
    x = T.dvector("x")
    g = grad(((w * x).sum() - 1) ** 2, w)
    np.testing.assert_allclose(values(g, [x], [1.0, 1.0]), [4.0, 4.0])


def test_gradient_graph_can_be_differentiated_again():
    x = T.dscalar("x")
    g1 = grad(T.sin(x), x)
    g2 = grad(g1, x)
    g3 = grad(g2, x)
    got = values([g1, g2, g3], [x], 0.3)
    np.testing.assert_allclose(got, [np.cos(0.3), -np.sin(0.3), -np.cos(0.3)])


def test_shared_subexpression_gradients_are_summed():
    x = T.dscalar("x")
    y = x * x
    z = y + y * y
    np.testing.assert_allclose(values(grad(z, x), [x], 2.0), 2 * 2 + 4 * 2 ** 3)


def test_grad_of_non_scalar_cost_is_a_clear_error():
    x = T.dvector("x")
    with pytest.raises(TypeError) as info:
        grad(x ** 2, x)  # non-scalar cost
    msg = str(info.value)
    assert "scalar" in msg and "TensorType(float64, (?,))" in msg
    assert "sum()" in msg and "jacobian" in msg


def test_grad_of_integer_cost_is_a_clear_error():
    i = T.ivector("i")
    with pytest.raises(TypeError, match="integer"):
        grad(i.sum(), i)


def test_grad_wrt_must_be_variables():
    x = T.dscalar("x")
    with pytest.raises(TypeError, match="wrt"):
        grad(x * 2, [x, 3.0])
    with pytest.raises(TypeError, match="cost"):
        grad(3.0, x)


def test_grad_needs_a_cost_or_known_grads():
    with pytest.raises(ValueError):
        grad(None, T.dscalar())


# --- consider_constant ---------------------------------------------------------------------

def test_consider_constant_stops_the_gradient():
    x = T.dvector("x")
    u = x * 3
    cost = (u * x).sum()
    np.testing.assert_allclose(values(grad(cost, x), [x], [1.0, 2.0]), [6.0, 12.0])
    np.testing.assert_allclose(values(grad(cost, x, consider_constant=[u]), [x], [1.0, 2.0]), [3.0, 6.0])


def test_consider_constant_on_the_only_path_disconnects():
    x = T.dscalar("x")
    u = x * 3
    with pytest.raises(DisconnectedInputError):
        grad(u * 2, x, consider_constant=[u])
    assert values(grad(u * 2, x, consider_constant=[u], disconnected_inputs="ignore"), [x], 1.0) == 0.0


# --- disconnected inputs ----------------------------------------------------------------------

def test_disconnected_input_raises_by_default_naming_it():
    x, y = T.dvector("x"), T.dmatrix("y")
    with pytest.raises(DisconnectedInputError) as info:
        grad((x ** 2).sum(), y)
    assert "y" in str(info.value) and "'ignore'" in str(info.value)
    assert isinstance(info.value, GradientError)


def test_disconnected_input_warn_gives_zeros_and_a_warning():
    x, y = T.dvector("x"), T.dmatrix("y")
    with pytest.warns(UserWarning, match="does not depend on y"):
        gy = grad((x ** 2).sum(), y, disconnected_inputs="warn")
    np.testing.assert_array_equal(values(gy, [y], np.ones((2, 3))), np.zeros((2, 3)))


def test_disconnected_input_ignore_gives_zeros_silently():
    x, y = T.dvector("x"), T.dmatrix("y")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gx, gy = grad((x ** 2).sum(), [x, y], disconnected_inputs="ignore")
    got = values([gx, gy], [x, y], [1.0], np.ones((2, 2)))
    np.testing.assert_array_equal(got[0], [2.0])
    np.testing.assert_array_equal(got[1], np.zeros((2, 2)))


def test_disconnected_inputs_bad_value():
    x = T.dscalar("x")
    with pytest.raises(ValueError, match="raise"):
        grad(x, x, disconnected_inputs="sometimes")


def test_gradient_through_a_comparison_is_zero_not_disconnected():
    """The cost does depend on y (through a comparison): its gradient is zero, as in Theano."""
    x, y = T.dvector("x"), T.dvector("y")
    cost = (T.lt(x, y) * x).sum()
    gx, gy = grad(cost, [x, y])
    got = values([gx, gy], [x, y], [1.0, 3.0], [2.0, 2.0])
    np.testing.assert_array_equal(got[0], [1.0, 0.0])
    np.testing.assert_array_equal(got[1], [0.0, 0.0])


def test_gradient_through_an_integer_cast_is_zero_not_disconnected():
    x = T.dvector("x")
    cost = T.cast(T.cast(x, "int64").sum(), "float64")
    np.testing.assert_array_equal(values(grad(cost, x), [x], [1.5, 2.5]), [0.0, 0.0])


# --- known_grads -------------------------------------------------------------------------------

def test_known_grads_without_a_cost():
    x = T.dvector("x")
    h = T.tanh(x)
    gh = T.dvector("gh")
    gx = grad(None, x, known_grads={h: gh})
    xv, ghv = np.array([0.1, -0.3]), np.array([2.0, 5.0])
    np.testing.assert_allclose(values(gx, [x, gh], xv, ghv), ghv * (1 - np.tanh(xv) ** 2))


def test_known_grads_add_to_the_cost_gradient():
    x = T.dscalar("x")
    h = x * 3
    g = grad(h * 2, x, known_grads={h: 10.0})
    assert values(g, [x], 1.0) == (2 + 10) * 3


def test_known_grads_must_match_the_number_of_dimensions():
    x = T.dvector("x")
    with pytest.raises(ValueError, match="dims"):
        grad(None, x, known_grads={x * 2: T.dmatrix()})


# --- jacobian and hessian ------------------------------------------------------------------------

def test_jacobian_of_a_vector_with_static_length():
    x = TensorType("float64", (3,))("x")
    J = jacobian(x ** 2, x)
    np.testing.assert_allclose(values(J, [x], [1.0, 2.0, 3.0]), np.diag([2.0, 4.0, 6.0]))


def test_jacobian_of_a_matrix_expression_wrt_several_inputs():
    x = TensorType("float64", (2,))("x")
    W = TensorType("float64", (2, 2))("W")
    y = T.dot(W, x)
    Jx, JW = jacobian(y, [x, W])
    Wv, xv = np.arange(4.0).reshape(2, 2), np.array([1.0, -1.0])
    Jxv, JWv = values([Jx, JW], [x, W], xv, Wv)
    np.testing.assert_allclose(Jxv, Wv)
    want = np.zeros((2, 2, 2))
    for i in range(2):
        want[i, i, :] = xv
    np.testing.assert_allclose(JWv, want)


def test_jacobian_of_a_scalar_is_the_gradient():
    x = T.dvector("x")
    np.testing.assert_allclose(values(jacobian((x ** 2).sum(), x), [x], [1.0, 2.0]), [2.0, 4.0])


def test_jacobian_with_unknown_length_uses_scan():
    pytest.importorskip("framework.scan_module", reason="scan arrives with the scan issue")
    x = T.dvector("x")
    np.testing.assert_allclose(values(jacobian(x ** 2, x), [x], [1.0, 2.0]), np.diag([2.0, 4.0]))


def test_hessian():
    x = TensorType("float64", (3,))("x")
    cost = (x ** 3).sum() + x[0] * x[1]
    H = hessian(cost, x)
    xv = np.array([1.0, 2.0, 3.0])
    want = np.diag(6 * xv)
    want[0, 1] = want[1, 0] = 1.0
    np.testing.assert_allclose(values(H, [x], xv), want)


def test_hessian_needs_vectors():
    with pytest.raises(TypeError, match="vector"):
        m = T.dmatrix("m")
        hessian((m ** 2).sum(), m)


# --- verify_grad ----------------------------------------------------------------------------------

class _WrongSquare(Op):
    """x ** 2 with a wrong gradient (3x instead of 2x), to prove verify_grad catches it."""

    name = "wrong_square"

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type])

    def impl(self, xp, x):
        return x * x

    def grad(self, node, output_grads):
        return [output_grads[0] * 3 * node.inputs[0]]


def test_verify_grad_accepts_a_correct_gradient():
    rng = np.random.RandomState(0)
    verify_grad(lambda a, b: T.tanh(T.dot(a, b)).sum(axis=0), [rng.randn(3, 4), rng.randn(4, 2)], rng=rng)


def test_verify_grad_catches_a_wrong_gradient():
    with pytest.raises(GradientError) as info:
        verify_grad(_WrongSquare(), [np.array([1.0, 2.0, -0.5])], rng=np.random.RandomState(1))
    msg = str(info.value)
    assert "input 0" in msg and "finite differences" in msg


def test_verify_grad_checks_every_input():
    with pytest.raises(GradientError, match="input 1"):
        verify_grad(lambda a, b: a + _WrongSquare()(b), [np.array([1.0]), np.array([2.0])])


def test_verify_grad_needs_float_points():
    with pytest.raises(TypeError, match="float"):
        verify_grad(lambda a: a * 2, [np.array([1, 2])])


def test_verify_grad_in_float32():
    verify_grad(lambda a: T.exp(a).sum(), [np.array([0.1, 0.2], dtype="float32")])


def test_op_without_gradient_names_itself():
    class NoGrad(Op):
        name = "no_grad_op"

        def make_node(self, x):
            x = T.as_tensor_variable(x)
            return Apply(self, [x], [x.type])

        def impl(self, xp, x):
            return x

    x = T.dvector("x")
    y = NoGrad()(x)  # no gradient here
    with pytest.raises(GradientError) as info:
        grad(y.sum(), x)
    assert "no_grad_op" in str(info.value) and "has no gradient" in str(info.value)
    assert "test_grad.py" in str(info.value)


# --- gradient cuts -------------------------------------------------------------------------------

def test_disconnected_grad_cuts_one_path():
    x = T.dvector("x")
    cost = (disconnected_grad(x) * x).sum()
    np.testing.assert_allclose(values(grad(cost, x), [x], [1.0, 2.0]), [1.0, 2.0])
    np.testing.assert_allclose(values(disconnected_grad(x) * 2, [x], [1.0, 2.0]), [2.0, 4.0])


def test_disconnected_grad_on_the_only_path_disconnects():
    x = T.dvector("x")
    with pytest.raises(DisconnectedInputError):
        grad(disconnected_grad(x).sum(), x)


def test_zero_grad_gives_zeros_and_stays_connected():
    x = T.dvector("x")
    np.testing.assert_array_equal(values(grad(zero_grad(x).sum(), x), [x], [1.0, 2.0]), [0.0, 0.0])
    np.testing.assert_allclose(values(grad((zero_grad(x) * x).sum(), x), [x], [1.0, 2.0]), [1.0, 2.0])


# --- integer inputs -----------------------------------------------------------------------------

def test_integer_inputs_get_zero_gradients():
    x = T.dvector("x")
    i = T.ivector("i")
    gi, gx = grad((i * x).sum(), [i, x])
    assert gi.dtype.startswith("float")
    got = values([gi, gx], [i, x], [1, 2], [3.0, 4.0])
    np.testing.assert_array_equal(got[0], [0.0, 0.0])
    np.testing.assert_array_equal(got[1], [1.0, 2.0])


def test_integer_input_not_in_the_graph_still_gets_zeros():
    x = T.dscalar("x")
    n = T.lscalar("n")
    g = grad(x * 2, n)
    assert values(g, [n], 3) == 0.0
