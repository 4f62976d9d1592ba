"""DimShuffle, broadcastable patterns and CAReduce dtypes against Theano 1.0's
theano/tensor/tests/test_elemwise.py (``test_DimShuffle``: patterns with 'x', dropping a
broadcastable axis, the error for a non-broadcastable one; ``test_CAReduce``/``T_reduce_dtype``:
output dtypes for every input dtype, ``keepdims``, empty axes) and test_basic.py's
``T_Rebroadcast``/``test_addbroadcast``/``test_patternbroadcast``, ``T_shape_padaxis``. Our own tests."""
from __future__ import annotations

import numpy as np
import pytest

import framework.compat.theano as _compat

_compat.install()

import theano  # noqa: E402
import theano.tensor as T  # noqa: E402

F = theano.function
M = np.arange(12.0).reshape(3, 4)


def test_dimshuffle_patterns():
    m, r = T.dmatrix("m"), T.row("r")
    assert m.dimshuffle("x", 1, "x", 0).broadcastable == (True, False, True, False)
    assert r.dimshuffle(1).broadcastable == (False,)  # drops the broadcastable axis 0
    assert m.dimshuffle([1, 0]).broadcastable == (False, False)
    out = F([m], m.dimshuffle("x", 1, 0))(M)
    np.testing.assert_array_equal(out, M.T[None])
    with pytest.raises(ValueError, match="not known to have size 1"):
        m.dimshuffle(1)  # axis 0 is not broadcastable
    with pytest.raises(ValueError, match="invalid pattern"):
        m.dimshuffle(0, 0)


def test_tensor_type_with_a_broadcastable_pattern():
    """Theano's ``TensorType(dtype, broadcastable)`` and ``tensor(dtype, broadcastable, name)``."""
    t = T.TensorType("float64", (False, True))
    assert t.broadcastable == (False, True) and t.ndim == 2 and t.dtype == "float64"
    assert isinstance(t, T.TensorType) and isinstance(T.dmatrix().type, T.TensorType)
    x = t("x")
    assert x.name == "x" and x.broadcastable == (False, True)
    assert T.TensorType("int8", [False] * 3)().type.shape == (None, None, None)
    y = T.tensor("float32", (True, False), name="y")
    assert y.broadcastable == (True, False) and y.dtype == "float32" and y.name == "y"
    from theano.tensor.type import TensorType
    assert TensorType("float32", (True,)).broadcastable == (True,)
    assert T.TensorType("float64", (None, 3)).shape == (None, 3)  # framework's static shapes still work
    np.testing.assert_array_equal(F([x], x * 2)(np.ones((2, 1))), 2 * np.ones((2, 1)))


def test_addbroadcast_unbroadcast_patternbroadcast():
    m, r = T.dmatrix("m"), T.row("r")
    a = T.addbroadcast(m, 0)
    assert a.broadcastable == (True, False)
    assert T.unbroadcast(r, 0).broadcastable == (False, False)
    assert T.patternbroadcast(m, (False, True)).broadcastable == (False, True)
    assert T.addbroadcast(r, 0) is r and T.unbroadcast(m, 1) is m
    np.testing.assert_array_equal(F([m], a + m)(M[:1]), 2 * M[:1])
    with pytest.raises(ValueError, match="axis 0 must have size 1"):
        F([m], a)(M)  # checked when the function runs, as Theano's Rebroadcast
    g = F([m], T.grad((T.addbroadcast(m, 0) * np.array([1.0, 2.0])).sum(), m))(np.ones((1, 2)))
    np.testing.assert_array_equal(g, [[1, 2]])
    with pytest.raises(ValueError, match="entries"):
        T.patternbroadcast(m, (True,))


def test_shape_pad():
    v, m = T.dvector("v"), T.dmatrix("m")
    assert T.shape_padleft(v, 2).broadcastable == (True, True, False)
    assert T.shape_padright(v, 2).broadcastable == (False, True, True)
    assert T.shape_padaxis(m, 1).broadcastable == (False, True, False)
    assert T.shape_padaxis(m, -1).broadcastable == (False, False, True)
    with pytest.raises(ValueError, match="out of range"):
        T.shape_padaxis(m, 4)


RESULT = {"bool": "int64", "int8": "int64", "int16": "int64", "int32": "int64", "int64": "int64",
          "uint8": "uint64", "uint16": "uint64", "uint32": "uint64", "uint64": "uint64",
          "float16": "float16", "float32": "float32", "float64": "float64",
          "complex64": "complex64", "complex128": "complex128"}


@pytest.mark.parametrize("dtype", sorted(RESULT))
def test_reduction_dtypes_for_every_input_dtype(dtype):
    """CAReduceDtype: sum/prod upcast small ints to int64 (uint64); floats keep theirs; max/min
    keep the input's; all/any give bool; mean of integers is float64."""
    x = T.tensor(dtype, (False,))
    assert T.sum(x).dtype == T.prod(x).dtype == RESULT[dtype]
    assert T.max(x).dtype == T.min(x).dtype == dtype
    assert T.all(x).dtype == T.any(x).dtype == "bool"
    assert T.mean(x).dtype == (dtype if dtype.startswith(("float", "complex")) else "float64")


def test_reduction_values_keepdims_and_empty_axes():
    m, b = T.dmatrix("m"), T.bvector("b")
    s, mx, al, e, e2, big = F([m, b], [T.sum(m, axis=1, keepdims=True), T.max(m, axis=-1, keepdims=True),
                                      T.all(m, axis=0, keepdims=True), T.sum(m, axis=[]), T.max(m, axis=()),
                                      T.sum(b)])(M, np.full(200, 100, "int8"))
    np.testing.assert_array_equal(s, M.sum(1, keepdims=True))
    np.testing.assert_array_equal(mx, M.max(-1, keepdims=True))
    np.testing.assert_array_equal(al, M.all(0, keepdims=True))
    np.testing.assert_array_equal(e, M)  # no axis reduced
    np.testing.assert_array_equal(e2, M)
    assert big == 20000 and big.dtype == np.int64  # no int8 wrap-around
    assert T.sum(m, axis=1, keepdims=True).broadcastable == (False, True)
    z = F([m], [T.sum(m), T.prod(m), T.sum(m, axis=0)])(np.zeros((0, 3)))
    assert z[0] == 0 and z[1] == 1 and z[2].shape == (3,)
    with pytest.raises(ValueError):
        F([m], T.max(m))(np.zeros((0, 3)))  # no identity, as NumPy and Theano


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE"])
def test_float32_sums_accumulate_in_float64(mode):
    """Theano's ``CAReduceDtype`` default accumulators (float16 -> float32, float32 -> float64) and
    its ``mean`` docstring ("a sum of a float32 tensor will be done in float64 ..., but that result
    will be casted back in float32"): the functions follow them; results stay float32."""
    x = T.fvector("x")
    v = (np.random.RandomState(0).rand(100001) * 1000).astype("float32")
    f = theano.function([x], [T.sum(x), T.mean(x), T.prod(x[:5]), T.sum(x, acc_dtype="float32")], mode=mode)
    s, m, p, s32 = f(v)
    assert s.dtype == m.dtype == p.dtype == s32.dtype == np.float32
    assert s == np.float32(v.astype("float64").sum())
    assert m == np.float32(v.astype("float64").mean())
    assert p == np.float32(v[:5].astype("float64").prod())
    assert s32 == v.sum(dtype="float32")  # an explicit acc_dtype is kept
