"""Ops declare their shape rule once (``infer_shape``) and the sizes their kernel
checks (``shape_constraints``); rewrites that stop running a node keep its checks."""
import numpy as np
import pytest

import framework.tensor as T
from framework import function, grad
from framework.core.blas import Dot
from framework.core.errors import ShapeError
from framework.core.graph import Apply
from framework.core.op import Op
from framework.core.shape_infer import CheckShapes
from framework.core.shape_sig import shape_signature
from framework.core.types import TensorType
from framework.core.variable import as_tensor_variable


def _ops(f):
    return [n.op.name for n in f.maker.fgraph.toposort()]


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE"])
def test_gradient_of_misaligned_vector_dot_raises_naming_both_shapes(mode):
    x, y = T.dvector("x"), T.dvector("y")
    f = function([x, y], grad(T.dot(x, y), x), mode=mode)
    with pytest.raises(ValueError) as info:
        f(np.ones(3), np.ones(4))
    assert "(3,)" in str(info.value) and "(4,)" in str(info.value)
    np.testing.assert_allclose(f(np.ones(3), np.arange(3.0)), np.arange(3.0))


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE"])
def test_gradient_of_misaligned_matrix_dot_raises_naming_both_shapes(mode):
    a, b = T.dmatrix("a"), T.dmatrix("b")
    f = function([a, b], grad(T.dot(a, b).sum(), a), mode=mode)
    with pytest.raises(ValueError) as info:
        f(np.ones((2, 3)), np.ones((4, 5)))
    msg = str(info.value)
    assert "(2, 3)" in msg and "(4, 5)" in msg
    assert f(np.ones((2, 3)), np.ones((3, 5))).shape == (2, 3)


def test_fast_run_error_names_the_op_and_the_users_line():
    a, b = T.dmatrix("a"), T.dmatrix("b")
    g = grad(T.dot(a, b).sum(), a)  # the dot that cannot work
    f = function([a, b], g)
    assert "check_shapes" in _ops(f)  # the dot itself no longer runs
    with pytest.raises(ShapeError) as info:
        f(np.ones((2, 3)), np.ones((4, 5)))
    assert "op 'dot'" in str(info.value) and "the dot that cannot work" in str(info.value)


def test_no_check_when_the_sizes_are_proven_equal():
    x = T.dvector("x")
    f = function([x], grad(T.dot(x, x), x))
    assert "check_shapes" not in _ops(f)
    np.testing.assert_allclose(f(np.arange(3.0)), 2 * np.arange(3.0))


def test_shape_of_an_unused_broadcast_still_checks_it():
    x, y = T.dvector("x"), T.dvector("y")
    for mode in ("FAST_RUN", "FAST_COMPILE"):
        f = function([x, y], (x + y).shape, mode=mode)
        with pytest.raises(ValueError):
            f(np.ones(3), np.ones(4))
        assert list(f(np.ones(3), np.ones(1))) == [3]


def test_static_scalar_shape_still_checks_the_dot():
    x, y = T.dvector("x"), T.dvector("y")
    f = function([x, y], T.tanh(T.dot(x, y)).shape)
    with pytest.raises(ValueError):
        f(np.ones(3), np.ones(4))


def test_dot_static_shape_comes_from_infer_shape():
    m = TensorType("float64", (2, None))("m")
    v = TensorType("float64", (None, 5))("v")
    assert T.dot(m, v).type.shape == (2, 5)
    assert Dot().infer_shape(None, [(2, 3), (3, 5)]) == [(2, 5)]
    with pytest.raises(ShapeError, match="not aligned"):
        T.dot(TensorType("float64", (2, 3))("p"), TensorType("float64", (4,))("q"))
    assert shape_signature(T.dot(m, v)) == (2, 5)


class _Double(Op):
    """A plugin-style op whose output has twice input 0's length (its own rule)."""

    name = "double_len"

    def make_node(self, x):
        x = as_tensor_variable(x)
        return Apply(self, [x], [TensorType(x.dtype, (None,))])

    def impl(self, xp, x):
        return xp.concatenate([x, x])

    def infer_shape(self, node, input_shapes):
        return [(input_shapes[0][0] * 2,)]

    def shape_constraints(self, node):
        return []


class _Opaque(_Double):
    """The same op, saying nothing about what its kernel checks."""

    name = "opaque_len"

    def shape_constraints(self, node):
        return None

    def impl(self, xp, x):
        if x.shape[0] > 3:
            raise ValueError("too long")
        return xp.concatenate([x, x])


def test_a_plugin_ops_infer_shape_drives_the_lift():
    x = T.dvector("x")
    f = function([x], _Double()(x).shape[0])
    assert "double_len" not in _ops(f)
    assert int(f(np.ones(3))) == 6


def test_a_node_with_unknown_checks_keeps_running():
    x = T.dvector("x")
    f = function([x], _Opaque()(x).shape[0])
    assert "opaque_len" in _ops(f)
    with pytest.raises(ValueError, match="too long"):
        f(np.ones(5))


def test_check_shapes_message_never_fails():
    op = CheckShapes("dot", None, (("equal", (0, 0), (1, 0)),))
    with pytest.raises(ShapeError, match="op 'dot'"):
        op.make_kernel(None, None)(np.int64(1), np.ones(3), np.ones(4))
