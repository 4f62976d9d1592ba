"""``theano.ifelse`` against Theano 1.0's theano/tests/test_ifelse.py (``test_lazy_if``,
``test_multiple_out``, ``test_grad_lazy_if``, ``test_multiple_out_grad``, ``test_wrong_branch_types``/
``test_dtype_mismatch``, ``test_ndim_mismatch``, ``test_lazy_if_on_generics``), read as the
specification. Our own tests."""
from __future__ import annotations

import numpy as np
import pytest

import framework.compat.theano as _compat

_compat.install()

import theano  # noqa: E402
import theano.tensor as T  # noqa: E402
from theano.ifelse import IfElse, ifelse  # noqa: E402

F = theano.function
V = np.arange(3.0)


def test_lazy_the_untaken_branch_is_not_computed():
    """test_lazy_if: an out-of-bounds read in the branch not taken never runs."""
    c, v = T.iscalar("c"), T.dvector("v")
    f = F([c, v], ifelse(c, v, v[[5]]))
    np.testing.assert_array_equal(f(1, V), V)
    with pytest.raises(IndexError):
        f(0, V)


def test_several_outputs_keep_the_container_type():
    """test_multiple_out: lists give lists, tuples give tuples (Theano's ``rval_type``)."""
    c, v = T.iscalar("c"), T.dvector("v")
    out = ifelse(c, [v, v.sum()], [v * 2, v.sum() * 2])
    assert isinstance(out, list)
    assert isinstance(ifelse(c, (v, v), (v, v)), tuple)
    a, s = F([c, v], out)(0, V)
    np.testing.assert_array_equal(a, 2 * V)
    assert s == 6
    a, b = F([c, v], IfElse(2)(c, v, v.sum(), -v, v.sum() + 1))(0, V)
    np.testing.assert_array_equal(a, -V)
    assert b == 4


@pytest.mark.parametrize("dtype", ["int8", "int32", "int64", "uint8", "bool", "float32", "float64"])
def test_condition_dtypes(dtype):
    """Any scalar condition: zero is false, anything else true."""
    c, v = T.tensor(dtype, ()), T.dvector("v")
    f = F([c, v], ifelse(c, v, -v))
    np.testing.assert_array_equal(f(np.array(1, dtype), V), V)
    np.testing.assert_array_equal(f(np.array(0, dtype), V), -V)


def test_python_numbers_as_branches():
    c = T.iscalar("c")
    f = F([c], ifelse(c, 1.0, 2.0))
    assert f(0) == 2.0 and f(1) == 1.0
    assert F([c], ifelse(c, [3, 1], [4, 2]))(0) == [4, 2]


def test_mismatched_branches_are_errors():
    """test_dtype_mismatch / test_ndim_mismatch / a different number of outputs."""
    c, v = T.iscalar("c"), T.dvector("v")
    with pytest.raises(TypeError, match="same dtype"):
        ifelse(c, v, T.fvector())
    with pytest.raises(TypeError, match="same dtype"):
        ifelse(c, v, T.dmatrix())
    with pytest.raises(ValueError, match="pairwise"):
        ifelse(c, [v, v], [v])
    with pytest.raises(TypeError, match="scalar"):
        ifelse(v, v, v)


def test_gradients_through_ifelse():
    """test_grad_lazy_if / test_multiple_out_grad: the gradient flows through the branch taken."""
    c, v, w = T.iscalar("c"), T.dvector("v"), T.dvector("w")
    x, y = ifelse(c, [v ** 2, w], [v * 3, w * 2])
    g = F([c, v, w], T.grad(x.sum() + y.sum(), [v, w]))
    gv, gw = g(1, V, V)
    np.testing.assert_array_equal(gv, 2 * V)
    np.testing.assert_array_equal(gw, np.ones(3))
    gv, gw = g(0, V, V)
    np.testing.assert_array_equal(gv, 3 * np.ones(3))
    np.testing.assert_array_equal(gw, 2 * np.ones(3))
