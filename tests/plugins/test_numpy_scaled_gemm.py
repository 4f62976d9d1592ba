"""The NumPy backend's scaled GEMM (``plugins/backend_numpy/scaled_gemm.py``): ``s * (A @ B)`` as one
BLAS call with ``alpha = s`` gives the product-then-``multiply`` numbers bit for bit, or is not used.

Where NumPy's own OpenBLAS cannot be found the function answers None everywhere and the callers
multiply as before; the tests of what it computes then check only that."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import framework.tensor as T
from framework import function

from framework_backend_numpy import scaled_gemm
from framework_backend_numpy.scaled_gemm import MAX_INNER, scaled_dot

HAVE_BLAS = bool(scaled_gemm._gemm())


def _bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a).view(f"u{a.itemsize}")


def _layout(x: np.ndarray, how: str) -> np.ndarray:
    return np.asfortranarray(x) if how == "F" else x


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 40), st.integers(1, 40), st.integers(1, MAX_INNER), st.sampled_from(["float32", "float64"]),
       st.sampled_from(["C", "F"]), st.sampled_from(["C", "F"]), st.floats(1e-6, 1e3), st.integers(0, 2 ** 31 - 1))
def test_same_bits_as_the_product_then_multiply(m, n, k, dtype, la, lb, factor, seed):
    rng = np.random.default_rng(seed)
    a = _layout(rng.standard_normal((m, k)).astype(dtype), la)
    b = _layout(rng.standard_normal((k, n)).astype(dtype), lb)
    s = np.asarray(factor, dtype=dtype)
    got = scaled_dot(a, b, s)
    want = np.multiply(np.dot(a, b), s)
    if got is None:  # only a row, a column, a single term, a shape this BLAS got wrong, or too many shapes
        assert not HAVE_BLAS or min(m, n, k) < 2 or len(scaled_gemm._CHECKED) >= scaled_gemm._MAX_CHECKED \
            or not scaled_gemm._CHECKED.get((np.dtype(dtype), m, n, k, *_flags(a, b)), True)
        return
    assert got.dtype == want.dtype and got.shape == want.shape and got.flags.c_contiguous
    assert np.array_equal(_bits(got), _bits(want))


def _flags(a, b):
    return scaled_gemm._layout(a)[0], scaled_gemm._layout(b)[0]


@pytest.mark.skipif(not HAVE_BLAS, reason="NumPy's own OpenBLAS (scipy-openblas) not found in this process")
def test_the_rbm_gradient_shape_takes_the_scaled_call():
    rng = np.random.default_rng(1)
    left = rng.random((40, 784), dtype=np.float32).T  # [x; nv].T: a transposed (Fortran) view
    right = rng.random((40, 500), dtype=np.float32)
    got = scaled_dot(left, right, np.float32(0.1))
    assert got is not None
    assert np.array_equal(_bits(got), _bits(np.multiply(np.dot(left, right), np.float32(0.1))))


@pytest.mark.parametrize("scale", [-0.1, 0.0, -0.0, np.inf, np.nan])
def test_a_factor_that_is_not_positive_and_finite_is_left_to_multiply(scale):
    """``alpha`` applied by the BLAS gives +0 where ``multiply`` gives -0 for a negative factor (an
    exactly zero sum), and the non-finite factors are not worth a proof: None, the caller multiplies."""
    a, b = np.ones((3, 4), np.float32), np.zeros((4, 2), np.float32)
    assert scaled_dot(a, b, np.float32(scale)) is None


@pytest.mark.parametrize("case", ["long inner", "mixed dtypes", "strided", "empty", "int", "vector", "wide factor",
                                  "huge python float", "byteswapped", "row", "column", "one term", "a @ a.T"])
def test_what_is_left_to_the_plain_path(case):
    rng = np.random.default_rng(2)
    a, b, s = rng.random((5, 6), np.float32), rng.random((6, 7), np.float32), np.float32(0.5)
    if case == "long inner":
        a, b = rng.random((5, MAX_INNER + 1), np.float32), rng.random((MAX_INNER + 1, 7), np.float32)
    elif case == "mixed dtypes":
        b = b.astype(np.float64)
    elif case == "strided":
        a = rng.random((5, 12), np.float32)[:, ::2]
    elif case == "empty":
        a, b = np.ones((0, 6), np.float32), np.ones((6, 7), np.float32)
    elif case == "int":
        a, b = np.ones((5, 6), np.int64), np.ones((6, 7), np.int64)
    elif case == "vector":
        b = b[:, 0]
    elif case == "wide factor":
        s = np.float64(0.5)
    elif case == "huge python float":
        s = 1e300
    elif case == "byteswapped":
        a = a.astype(a.dtype.newbyteorder())
    elif case == "row":  # NumPy's dot takes GEMV for these: other sums
        a = a[:1]
    elif case == "column":
        b = b[:, :1]
    elif case == "one term":
        a, b = a[:, :1], b[:1]
    else:  # NumPy's dot takes SYRK
        b = a.T
    assert scaled_dot(a, b, s) is None


def test_a_python_float_factor_is_cast_as_multiply_casts_it():
    rng = np.random.default_rng(3)
    a, b = rng.random((6, 5), np.float32), rng.random((5, 4), np.float32)
    got = scaled_dot(a, b, 0.1)
    want = np.multiply(np.dot(a, b), 0.1)
    assert got is None or np.array_equal(_bits(got), _bits(want))


def test_a_blas_that_disagrees_is_never_used(monkeypatch):
    """The check per shape compares with the product then ``multiply``: a BLAS giving other bits
    (here: one applying ``alpha`` twice) is refused for that shape, and the plain path runs."""
    gemm = dict(scaled_gemm._gemm())
    if not gemm:
        pytest.skip("NumPy's own OpenBLAS not found in this process")
    real = gemm["f"]

    def wrong(order, ta, tb, m, n, k, alpha, *rest):
        return real(order, ta, tb, m, n, k, alpha * alpha, *rest)

    monkeypatch.setattr(scaled_gemm, "_GEMM", {**gemm, "f": wrong})
    monkeypatch.setattr(scaled_gemm, "_CHECKED", {})
    a, b = np.ones((3, 17), np.float32), np.ones((17, 5), np.float32)
    assert scaled_dot(a, b, np.float32(0.1)) is None
    assert scaled_gemm._CHECKED == {(np.dtype(np.float32), 3, 5, 17, 111, 111): False}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_weight_update_is_the_scaled_nodes_own_kernel(dtype, monkeypatch):
    """The RBM's update ``W - lr * (x.T @ ph - nv.T @ nh)`` compiled to the scaled stacked node:
    lowered through this module, the same bits as the node's own kernel (the product, then
    ``multiply``), and equal up to rounding to the graph without the stacking rewrites."""
    from framework import Mode
    from framework_backend_numpy import NumpyBackend

    W, x, nv, ph, nh = (T.matrix(n, dtype=dtype) for n in ("W", "x", "nv", "ph", "nh"))
    out = W - np.asarray(0.1, dtype=dtype) * (T.dot(x.T, ph) - T.dot(nv.T, nh))
    f = function([W, x, nv, ph, nh], out)
    assert any(getattr(n.op, "scaled", False) for n in f.maker.fgraph.toposort())
    unstacked = function([W, x, nv, ph, nh], out,
                         mode=Mode("fast_run", excluding=["dot_sum_stack", "dot_sum_stack_scale"]))
    monkeypatch.setattr(NumpyBackend, "lowerings",
                        {k: v for k, v in NumpyBackend.lowerings.items() if k != "stacked_dot_sum"})
    own_kernel = function([W, x, nv, ph, nh], out)
    rng = np.random.default_rng(4)
    args = [rng.standard_normal(s).astype(dtype) for s in ((30, 12), (20, 30), (20, 30), (20, 12), (20, 12))]
    got = f(*args)
    assert np.array_equal(_bits(got), _bits(own_kernel(*args)))
    np.testing.assert_allclose(got, unstacked(*args), rtol=1e-5 if dtype == "float32" else 1e-12, atol=1e-6)
