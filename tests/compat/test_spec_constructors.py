"""``theano.tensor`` constructors against Theano 1.0's theano/tensor/tests/test_basic.py
(``TestAlloc``, ``test_fill``/``second``, ``ZerosLikeTester``/``test_ones_like`` with ``dtype``,
``test_eye``, ``test_identity_like``, ``TestARange`` (dtypes: integer bounds give int64),
``TestNdGrid`` (``mgrid``/``ogrid``), ``test_constant`` (``ndim``)), read as the specification.
Our own tests."""
from __future__ import annotations

import numpy as np
import pytest

import framework.compat.theano as _compat

_compat.install()

import theano  # noqa: E402
import theano.tensor as T  # noqa: E402

F = theano.function


def test_alloc_fill_second_zeros_ones_like():
    s, v, m = T.dscalar("s"), T.dvector("v"), T.dmatrix("m")
    a, b, c, d = F([s, v, m], [T.alloc(s, 2, 3), T.alloc(v, 2, 3), T.fill(m, s), T.second(m, s)])(
        1.5, np.arange(3.0), np.zeros((2, 2)))
    np.testing.assert_array_equal(a, np.full((2, 3), 1.5))
    np.testing.assert_array_equal(b, np.tile(np.arange(3.0), (2, 1)))
    np.testing.assert_array_equal(c, np.full((2, 2), 1.5))
    np.testing.assert_array_equal(d, c)
    assert T.alloc(s, 1, 3).broadcastable == (True, False)
    assert T.zeros_like(m, dtype="int32").dtype == "int32" and T.zeros_like(T.imatrix()).dtype == "int32"
    o = F([m], T.ones_like(m, dtype="int8"))(np.zeros((2, 2)))
    assert o.dtype == np.int8 and (o == 1).all()
    with pytest.raises(ValueError):
        F([v], T.alloc(v, 2, 4))(np.arange(3.0))


def test_eye_and_identity_like():
    i = T.iscalar("i")
    for args in ((3,), (3, 4, 1), (2, None, -1), (4, 2, -3)):
        np.testing.assert_array_equal(F([], T.eye(*args))(), np.eye(*args))
    assert T.eye(3).dtype == theano.config.floatX and T.eye(2, dtype="int32").dtype == "int32"
    np.testing.assert_array_equal(F([i], T.eye(i, i + 1, 1))(2), np.eye(2, 3, 1))
    m = T.imatrix("m")
    out = F([m], T.identity_like(m))(np.zeros((2, 3), "int32"))
    np.testing.assert_array_equal(out, np.eye(2, 3))
    assert out.dtype == np.int32


def test_arange_dtypes_and_symbolic_bounds():
    """TestARange: integer bounds give int64 (uint64 when all unsigned), whatever their width."""
    i, u, d, f = T.iscalar("i"), T.scalar(dtype="uint32"), T.dscalar("d"), T.fscalar("f")
    assert T.arange(i).dtype == "int64" and T.arange(T.bscalar()).dtype == "int64"
    assert T.arange(u, u + 3, u).dtype == "uint64" and T.arange(u).dtype == "int64"
    assert T.arange(d).dtype == "float64" and T.arange(f).dtype == "float32"
    assert T.arange(5, dtype="float32").dtype == "float32"
    out = F([i], [T.arange(i), T.arange(i, 10, 3), T.arange(i, 0, -2)])(5)
    for got, exp in zip(out, [np.arange(5), np.arange(5, 10, 3), np.arange(5, 0, -2)]):
        np.testing.assert_array_equal(got, exp)
    np.testing.assert_allclose(F([d], T.arange(0, 1, d))(0.25), np.arange(0, 1, 0.25))


def test_mgrid_and_ogrid_give_lists_of_tensors():
    """TestNdGrid: Theano's grids are lists of tensors, one per slice."""
    dense = F([], T.mgrid[0:2, 1:7:2])()
    for got, exp in zip(dense, np.mgrid[0:2, 1:7:2]):
        np.testing.assert_array_equal(got, exp)
    assert isinstance(T.mgrid[0:3], list) and len(T.mgrid[0:2, 0:3]) == 2
    sparse = F([], T.ogrid[0:2, 0:3])()
    for got, exp in zip(sparse, np.ogrid[0:2, 0:3]):
        np.testing.assert_array_equal(got, exp)
        assert got.shape == exp.shape
    n = T.iscalar("n")
    np.testing.assert_array_equal(F([n], T.mgrid[0:n, 0:2][0])(3), np.mgrid[0:3, 0:2][0])


def test_constant_and_as_tensor_variable():
    """test_constant: ``ndim`` adds or removes leading size-1 axes; lists of mixed ints and
    floats are float64; ``dtype`` and ``name`` are kept."""
    assert T.constant([[1]], ndim=2).ndim == 2 and T.constant(1, ndim=2).broadcastable == (True, True)
    assert T.constant([[5]], ndim=0).ndim == 0
    with pytest.raises(ValueError, match="2-d"):
        T.constant(np.ones((2, 2, 2)), ndim=2)
    assert T.constant(1, dtype="float32").dtype == "float32" and T.constant(1, name="one").name == "one"
    assert T.as_tensor_variable([1, 2.5]).dtype == "float64"
    assert T.as_tensor_variable([True, False]).dtype == "bool"
    s = T.dscalar("s")
    np.testing.assert_array_equal(F([s], T.as_tensor_variable([s, 1]))(2.0), [2.0, 1.0])
    assert T.as_tensor_variable(1, name="x").name == "x"
    assert T.constant(np.ones((1, 3))).broadcastable == (True, False)
