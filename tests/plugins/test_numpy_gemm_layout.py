"""The NumPy backend computes float32 ``a @ W.T`` as ``(W @ a.T).T`` laid out in
C order (``framework_backend_numpy.gemm_layout``): the same values, shapes and
errors as ``numpy.dot``; only float32 products with a transposed right operand
take that route."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import framework.tensor as T
from framework import function


def lowered(f):
    return [k for k in f._linked.run.__globals__.values()
            if getattr(k, "__qualname__", "") == "lower_dot.<locals>.kernel"]


def product(dtype="float32", transposed=True):
    a, w = T.matrix("a", dtype=dtype), T.matrix("w", dtype=dtype)
    return function([a, w], T.dot(a, w.T if transposed else w))


def test_only_float32_products_with_a_transpose_are_lowered():
    assert len(lowered(product())) == 1
    assert not lowered(product("float64"))
    assert not lowered(product(transposed=False))


@settings(max_examples=40, deadline=None)
@given(m=st.integers(1, 70), k=st.integers(1, 90), n=st.integers(1, 80), seed=st.integers(0, 2 ** 16))
def test_same_values_as_numpy_dot(m, k, n, seed):
    f = product()
    rng = np.random.RandomState(seed)
    a = rng.randn(m, k).astype("float32")
    w = rng.randn(n, k).astype("float32")
    out = f(a, w)
    assert out.shape == (m, n) and out.dtype == np.float32 and out.flags.c_contiguous
    np.testing.assert_allclose(out, np.dot(a, w.T), rtol=2e-6, atol=2e-6 * np.sqrt(k))


def test_the_rbm_products_are_bit_for_bit_numpys():
    """What the module docstring measured: at the tutorial's shapes the swapped form gives
    the very same floats (OpenBLAS, one thread)."""
    rng = np.random.default_rng(0)
    f = product()
    for rows in (20, 100):
        h = (rng.random((rows, 500)) < 0.5).astype("float32")
        w = (rng.random((784, 500), dtype=np.float32) - 0.5)
        np.testing.assert_array_equal(f(h, w), np.dot(h, w.T))


def test_a_shape_mismatch_is_the_usual_error():
    f = product()
    with pytest.raises(ValueError, match="not aligned|shapes"):
        f(np.ones((3, 4), "float32"), np.ones((5, 6), "float32"))


def test_a_transpose_of_a_fortran_matrix_takes_the_plain_route():
    """``W`` already Fortran-ordered makes ``W.T`` C-ordered: numpy.dot's own fast case."""
    f = product()
    a = np.random.RandomState(1).randn(20, 30).astype("float32")
    w = np.asfortranarray(np.random.RandomState(2).randn(40, 30).astype("float32"))
    np.testing.assert_allclose(f(a, w), np.dot(a, w.T), rtol=2e-6, atol=1e-5)
